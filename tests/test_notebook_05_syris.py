"""notebooks/05_syris.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from nbtools import check_diagram, check_every_table_walked, check_plot, executed, source

from dbkit.registry import SQL_DIR

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_syris.ipynb"
TABLES = [
    "alarms",
    "approvals",
    "artifacts",
    "audit_events",
    "events",
    "idempotency_outcomes",
    "routing_decisions",
    "rules",
    "schedules",
    "steps",
    "system_health",
    "tasks",
    "tool_calls",
    "tool_results",
    "watcher_state",
]
TRACE_TABLES = {"events", "routing_decisions", "tasks", "steps", "tool_calls", "tool_results", "audit_events"}
FILES = sorted(p.name for p in (SQL_DIR / "syris").glob("*.sql"))


def _source(tag: str) -> str:
    return source(NOTEBOOK, tag)


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def _count(tb, table: str, where: str = "") -> int:
    return tb.value(f'int(explore.query("SELECT count(*) FROM syris.{table} {where}").iloc[0, 0])')


def test_postgres_ledger_lists_the_plain_files_and_the_postgresql_variants(tb):
    expected = [name for name in FILES if not name.endswith(".sqlite.sql")]
    assert len(expected) == 10
    assert tb.value("list(ledger['name'])") == expected
    ran_as = dict(zip(expected, tb.value("list(ledger['ran as'])")))
    assert {n for n, how in ran_as.items() if how == "PostgreSQL only"} == {n for n in expected if n.endswith(".postgresql.sql")}
    assert tb.value("len(dbkit.plan(schemas=['syris']))") == 0


def test_seed_fills_every_table(tb):
    rows = tb.value("{t: int(n) for t, n in zip(counts['table'], counts['rows'])}")
    assert sorted(rows) == TABLES
    assert all(n > 0 for n in rows.values()), rows
    assert sum(rows.values()) == tb.value("loaded['syris']")


def test_diagram_is_mermaid_and_svg(tb):
    markup = check_diagram(tb, TABLES)
    for parent, child in [
        ("events", "routing_decisions"),
        ("tasks", "steps"),
        ("steps", "tool_calls"),
        ("tool_calls", "tool_results"),
    ]:
        assert re.search(rf"\b{parent} .+ {child} :", markup), (parent, child)


def test_every_table_is_described_and_queried_schema_qualified(tb):
    check_every_table_walked(tb, NOTEBOOK, "syris", TABLES)


def test_audit_log_refuses_update_delete_and_truncate(tb):
    refusals = tb.value("refusals.to_dict('records')")
    assert [r["statement"].split()[0] for r in refusals] == ["UPDATE", "DELETE", "TRUNCATE"]
    for r in refusals:
        assert r["error"] == "RestrictViolation" and r["sqlstate"] == "23001"
        assert r["message"] == f"audit_events is append-only: {r['statement'].split()[0]} is not allowed"
    assert _count(tb, "audit_events") == tb.value("int(counts.set_index('table').at['audit_events', 'rows'])")


def test_pending_approvals_are_all_pending_and_hold_a_waiting_task(tb):
    assert set(tb.value("list(pending['status'])")) == {"pending"}
    assert tb.value("len(pending)") == _count(tb, "approvals", "WHERE status = 'pending'") > 0
    assert set(tb.value("list(pending['task_status'])")) == {"waiting"}
    assert tb.value("bool((pending['expires_at'] > AS_OF).all())") is True
    assert tb.value("AS_OF == dbkit.seed.END") is True


def test_one_trace_covers_all_seven_tables_in_time_order(tb):
    assert set(tb.value("list(trace['table'])")) == TRACE_TABLES
    trace_id = tb.ref("trace_id")
    assert _count(tb, "events", f"WHERE trace_id = '{trace_id}'") == 1
    # every audit event of the trace is in the story, and the story is in time order
    assert tb.value("int((trace['table'] == 'audit_events').sum())") == _count(
        tb, "audit_events", f"WHERE trace_id = '{trace_id}'"
    )
    assert tb.value("bool(trace['at'].dropna().is_monotonic_increasing)") is True
    assert f"trace {trace_id} touches 7 tables" in tb.cell_output_text("trace")


def test_sqlite_side_runs_in_wal_with_its_own_ledger(tb):
    assert tb.value("journal_mode") == "wal"
    assert "journal_mode: wal" in tb.cell_output_text("sqlite-pragmas")
    assert tb.value("list(sqlite_ledger['name'])") == [n for n in FILES if not n.endswith(".postgresql.sql")]
    pragmas = tb.value("pragmas.set_index('pragma').astype(str).to_dict('index')")
    assert pragmas["foreign_keys"] == {"dbkit.sqlite.connect": "1", "plain sqlite3.connect": "0"}
    assert pragmas["journal_mode"]["plain sqlite3.connect"] == "wal"  # stored in the file
    assert pragmas["busy_timeout"]["dbkit.sqlite.connect"] == "5000"


def test_translation_differs_exactly_where_the_rules_say(tb):
    sqlite_text, postgres_text = tb.ref("sqlite_text"), tb.ref("postgres_text")
    assert sqlite_text == (SQL_DIR / "syris" / "0007_automation.sql").read_text()
    code = lambda text: "\n".join(line.split("--", 1)[0] for line in text.splitlines())  # noqa: E731
    for marker in (
        "BOOLEAN NOT NULL DEFAULT TRUE",
        "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "JSONB",
        "TIMESTAMPTZ",
        "WHERE enabled = TRUE",
    ):
        assert marker in code(postgres_text) and marker not in code(sqlite_text), marker
    for gone in ("AUTOINCREMENT", "json_valid", "IN (0, 1)", "enabled = 1"):
        assert gone in code(sqlite_text) and gone not in code(postgres_text), gone
    # line for line: only lines carrying a rule's marker change, and every such line does
    markers = re.compile(r"AUTOINCREMENT|json_valid|IN \(0, 1\)|\bTIMESTAMP\b|\bBLOB\b|enabled = 1")
    lines = list(zip(sqlite_text.splitlines(), postgres_text.splitlines()))
    assert len(lines) == len(sqlite_text.splitlines()) == len(postgres_text.splitlines())
    expected = [n for n, (s, _) in enumerate(lines, 1) if markers.search(s.split("--", 1)[0])]
    assert tb.value("list(changed.index)") == expected
    assert f"{len(expected)} of {len(lines)} lines change" in tb.cell_output_text("translate")


def test_column_types_on_both_engines(tb):
    types = tb.value("types.to_dict('index')")
    assert types["schedules.enabled"] == {"sqlite": "INTEGER", "postgresql": "boolean"}
    assert types["events.payload"] == {"sqlite": "TEXT", "postgresql": "jsonb"}
    assert types["artifacts.ciphertext"] == {"sqlite": "BLOB", "postgresql": "bytea"}
    assert types["events.ingested_at"] == {"sqlite": "TIMESTAMP", "postgresql": "timestamptz"}
    assert types["events.id"] == {"sqlite": "INTEGER", "postgresql": "integer"}


def test_sqlite_has_the_same_tables_and_refuses_audit_updates(tb):
    assert tb.value("sqlite_tables == set(counts['table'])") is True
    assert tb.value("type(sqlite_refusal).__name__") == "IntegrityError"
    assert "audit_events is append-only: UPDATE is not allowed" in tb.cell_output_text("sqlite-audit")
    assert tb.value("workdir.exists()") is False


def test_trace_timeline_draws_every_span_of_the_trace(tb, seeded_clone):
    check_plot(tb, "plot-trace")
    trace_id = tb.ref("trace_id")
    with psycopg.connect(seeded_clone) as conn:
        spans = conn.execute(
            "SELECT (SELECT count(*) FROM syris.tasks WHERE trace_id = %(t)s)"
            " + (SELECT count(*) FROM syris.steps s JOIN syris.tasks t ON t.id = s.task_id WHERE t.trace_id = %(t)s)"
            " + (SELECT count(*) FROM syris.tool_calls WHERE trace_id = %(t)s)",
            {"t": trace_id},
        ).fetchone()[0]
        arrived, last = conn.execute(
            "SELECT e.ingested_at, greatest((SELECT max(timestamp) FROM syris.audit_events WHERE trace_id = %(t)s),"
            " (SELECT max(updated_at) FROM syris.tasks WHERE trace_id = %(t)s))"
            " FROM syris.events e WHERE e.trace_id = %(t)s",
            {"t": trace_id},
        ).fetchone()
    rows = tb.value("timeline[['kind', 'from_s', 'to_s']].values.tolist()")
    assert len(rows) == spans
    assert all(0 <= start <= end for _, start, end in rows)  # nothing before the event arrived, no negative span
    assert max(end for _, _, end in rows) == pytest.approx((last - arrived).total_seconds(), abs=0.001)
    # every span is a bar in each panel, and every panel's window lies inside the trace
    panels = tb.value("len(windows)")
    assert tb.value("[len(a.patches) for a in axes[0]]") == [spans] * panels
    windows = tb.value("[list(w) for w in windows]")
    assert windows[0][0] == 0 and windows[-1][1] == pytest.approx((last - arrived).total_seconds(), abs=0.001)
    if panels == 2:  # the axis broke at a wait longer than the rest of the trace together
        (_, wait_from), (wait_to, end) = windows
        assert wait_to - wait_from > end - (wait_to - wait_from)
