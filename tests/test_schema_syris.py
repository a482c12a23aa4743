"""The syris schema (sql/syris, dbkit/models/syris.py) from the same files on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.errors import RestrictViolation
from sqlalchemy.orm import Session

from dbkit import sqlite
from dbkit.migrate import migrate
from dbkit.models import syris
from dbkit.models.syris import (
    SQLITE_SCHEMA_MAP,
    AuditEvent,
    Event,
    Schedule,
    Step,
    Task,
    ToolCall,
)

TABLES = {
    "events", "routing_decisions", "tasks", "steps", "tool_calls", "tool_results",
    "idempotency_outcomes", "audit_events", "approvals", "schedules", "watcher_state", "rules",
    "system_health", "alarms", "artifacts",
}  # fmt: skip
BOOLEANS = {("schedules", "enabled"), ("rules", "enabled"), ("artifacts", "redacted")}
APPEND_ONLY = "audit_events is append-only"


def _audit(execute) -> None:
    execute("INSERT INTO audit_events (trace_id, type, outcome) VALUES ('t1', 'tool_call', 'success')")


# ---------------------------------------------------------------- SQLite, applied by the runner


@pytest.fixture
def lite(tmp_path):
    """A SQLite file migrated by the kit's runner; yields an open `dbkit.sqlite` connection."""
    path = tmp_path / "syris.db"
    applied = migrate(f"sqlite:///{path}")
    assert [m.name for m in applied] == [
        "0001_events.sql", "0002_tasks.sql", "0003_tools.sql", "0004_audit.sql",
        "0005_audit_append_only.sqlite.sql", "0006_approvals.sql", "0007_automation.sql",
        "0008_health.sql", "0009_audit_no_replace.sqlite.sql",
    ]  # fmt: skip
    conn = sqlite.connect(path)
    yield conn
    conn.close()


def test_sqlite_file_is_in_wal_mode_for_any_connection(lite):
    path = lite.execute("PRAGMA database_list").fetchone()[2]
    plain = sqlite3.connect(path)  # no PRAGMAs of ours: WAL is remembered by the file itself
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        plain.close()


def test_sqlite_has_the_fifteen_tables(lite):
    names = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names - {"sqlite_sequence", "dbkit_schema_migrations"} == TABLES


@pytest.mark.parametrize(
    ("insert", "column"),
    [
        (
            "INSERT INTO events (trace_id, channel, event_type, payload, dedupe_key) VALUES ('t', 'c', 'e', '{{}}', {key})",
            "events.dedupe_key",
        ),
        (
            "INSERT INTO steps (task_id, seq, name, status, idempotency_key) VALUES (1, 1, 's', 'done', {key})",
            "steps.idempotency_key",
        ),
    ],
    ids=["events", "steps"],
)
def test_sqlite_partial_unique_indexes_ignore_null_keys(lite, insert, column):
    lite.execute("INSERT INTO tasks (id, trace_id, name, status) VALUES (1, 't', 'n', 'pending')")
    lite.execute(insert.format(key="NULL"))
    lite.execute(insert.format(key="NULL"))  # no key: never deduplicated
    lite.execute(insert.format(key="'k'"))
    with pytest.raises(sqlite3.IntegrityError, match=f"UNIQUE constraint failed: {column}"):
        lite.execute(insert.format(key="'k'"))


def test_sqlite_alarm_key_is_unique_among_open_alarms_only(lite):
    insert = "INSERT INTO alarms (dedupe_key, severity, title, status) VALUES ('disk', 'high', 'full', ?)"
    lite.execute(insert, ("resolved",))
    lite.execute(insert, ("resolved",))
    lite.execute(insert, ("open",))
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: alarms.dedupe_key"):
        lite.execute(insert, ("open",))


def test_sqlite_due_schedules_query_uses_the_partial_index(lite):
    plan = lite.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM schedules WHERE enabled = 1 AND next_run_at <= '2025-01-01' ORDER BY next_run_at"
    ).fetchall()
    assert "idx_schedules_next_run_at" in " ".join(r[-1] for r in plan)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET outcome = 'failure'", "DELETE FROM audit_events"])
def test_sqlite_audit_events_are_append_only(lite, statement):
    _audit(lite.execute)
    verb = statement.split()[0]
    with pytest.raises(sqlite3.IntegrityError, match=f"{APPEND_ONLY}: {verb} is not allowed"):
        lite.execute(statement)
    assert lite.execute("SELECT outcome FROM audit_events").fetchall() == [("success",)]


def test_sqlite_json_and_boolean_columns_check_their_values(lite):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        lite.execute("INSERT INTO events (trace_id, channel, event_type, payload) VALUES ('t', 'c', 'e', '{not json')")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        lite.execute("INSERT INTO schedules (name, cron, enabled) VALUES ('s', '* * * * *', 2)")


def test_sqlite_foreign_keys_cascade_and_set_null(lite):
    lite.execute("INSERT INTO tasks (id, trace_id, name, status) VALUES (1, 't', 'n', 'running')")
    lite.execute("INSERT INTO steps (id, task_id, seq, name, status) VALUES (1, 1, 1, 's', 'done')")
    lite.execute("INSERT INTO tool_calls (id, trace_id, step_id, tool_name) VALUES (1, 't', 1, 'search')")
    lite.execute("INSERT INTO tool_results (tool_call_id, status) VALUES (1, 'ok')")
    lite.execute("DELETE FROM tasks")
    assert lite.execute("SELECT count(*) FROM steps").fetchone()[0] == 0
    assert lite.execute("SELECT step_id FROM tool_calls").fetchall() == [(None,)]
    lite.execute("DELETE FROM tool_calls")
    assert lite.execute("SELECT count(*) FROM tool_results").fetchone()[0] == 0


def test_sqlite_indexes_match_the_models_predicates_included(lite):
    """Alembic does not compare partial-index predicates; compare names, uniqueness and WHERE here."""
    found = {}
    for name, text in lite.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"):
        where = re.search(r"\bWHERE\s+(.*?);?\s*$", text, re.S | re.I)
        found[name] = (text.upper().startswith("CREATE UNIQUE"), _norm(where[1]) if where else None)
    expected = {}
    for table in syris.Base.metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            expected[index.name] = (index.unique, _norm(str(where)) if where is not None else None)
    assert found == expected


def _norm(sql: str) -> str:
    return " ".join(sql.replace("(", " ").replace(")", " ").split()).lower()


# ---------------------------------------------------------------- PostgreSQL, the same files translated


@pytest.fixture
def pg(migrated_db):
    """A connection to the shared migrated database; its work is rolled back."""
    with psycopg.connect(migrated_db) as conn:
        conn.execute("SET search_path TO syris")
        yield conn
        conn.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET outcome = 'failure'", "DELETE FROM audit_events", "TRUNCATE audit_events"]
)
def test_postgres_audit_events_are_append_only(pg, statement):
    _audit(pg.execute)
    verb = statement.split()[0]
    with pytest.raises(RestrictViolation, match=f"{APPEND_ONLY}: {verb} is not allowed"), pg.transaction():
        pg.execute(statement)
    assert pg.execute("SELECT outcome FROM audit_events").fetchall() == [("success",)]


def test_postgres_booleans_are_boolean(pg):
    rows = pg.execute(
        "SELECT table_name, column_name, column_default FROM information_schema.columns"
        " WHERE table_schema = 'syris' AND data_type = 'boolean'"
    ).fetchall()
    assert {(t, c) for t, c, _ in rows} == BOOLEANS
    assert {c: d for t, c, d in rows if t != "rules"} == {"enabled": "true", "redacted": "false"}
    pg.execute("INSERT INTO schedules (name, interval_s) VALUES ('tick', 60)")
    assert pg.execute("SELECT enabled FROM schedules").fetchone()[0] is True


def test_postgres_ids_are_identity_columns(pg):
    rows = pg.execute(
        "SELECT table_name, column_name, identity_generation FROM information_schema.columns"
        " WHERE table_schema = 'syris' AND is_identity = 'YES'"
    ).fetchall()
    no_integer_id = {"tool_results", "idempotency_outcomes", "watcher_state"}  # keyed by another column
    assert {(t, c, g) for t, c, g in rows} == {(t, "id", "BY DEFAULT") for t in TABLES - no_integer_id}
    first = pg.execute("INSERT INTO alarms (dedupe_key, severity, title) VALUES ('k', 'low', 'x') RETURNING id").fetchone()[0]
    assert (
        pg.execute("INSERT INTO alarms (dedupe_key, severity, title) VALUES ('l', 'low', 'y') RETURNING id").fetchone()[0]
        == first + 1
    )


def test_postgres_columns_follow_the_sqlite_declarations(pg, lite):
    """Same columns, order and nullability on both engines; each type changed only by a rule."""
    rule = {"INTEGER": "integer", "TEXT": "text", "BLOB": "bytea", "TIMESTAMP": "timestamp with time zone"}
    for table in sorted(TABLES):
        create = lite.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        expected = []
        for _, name, declared, notnull, _, pk in lite.execute(f"PRAGMA table_info({table})"):
            pg_type = rule[declared]
            if (table, name) in BOOLEANS:
                pg_type = "boolean"
            elif f"json_valid({name})" in create:
                pg_type = "jsonb"
            expected.append((name, pg_type, bool(notnull or pk)))
        found = pg.execute(
            "SELECT a.attname, format_type(a.atttypid, NULL), a.attnotnull FROM pg_attribute a"
            " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (f"syris.{table}",),
        ).fetchall()
        assert found == expected, table


def test_postgres_indexes_are_the_sqlite_ones(pg, lite):
    """The explicit indexes (not those behind PRIMARY KEY / UNIQUE constraints): names, uniqueness, partiality."""
    on_sqlite = {
        name: (text.upper().startswith("CREATE UNIQUE"), " WHERE " in text.upper())
        for name, text in lite.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    }
    on_postgres = {
        name: (unique, partial)
        for name, unique, partial in pg.execute(
            """
            SELECT i.relname, x.indisunique, x.indpred IS NOT NULL FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            WHERE i.relnamespace = 'syris'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """
        )
    }
    assert on_postgres == on_sqlite
    assert sum(partial for _, partial in on_sqlite.values()) == 6


def test_postgres_every_foreign_key_column_leads_an_index(pg):
    unindexed = pg.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c
        WHERE c.contype = 'f' AND c.connamespace = 'syris'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
        """
    ).fetchall()
    assert unindexed == []


def test_postgres_partial_unique_index(pg):
    insert = "INSERT INTO events (trace_id, channel, event_type, payload, dedupe_key) VALUES ('t', 'c', 'e', '{}', %s)"
    pg.execute(insert, (None,))
    pg.execute(insert, (None,))
    pg.execute(insert, ("k",))
    with pytest.raises(psycopg.errors.UniqueViolation, match="uq_events_dedupe_key"), pg.transaction():
        pg.execute(insert, ("k",))


def test_postgres_every_table_and_column_has_a_comment(pg):
    missing = pg.execute(
        """
        SELECT c.relname, a.attname FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'syris'::regnamespace AND c.relkind = 'r'
          AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)
        """
    ).fetchall()
    assert missing == []


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "orm.db"
        migrate(f"sqlite:///{path}")
        engine = sqlite.engine(path).execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
    else:
        url = request.getfixturevalue("migrated_db")
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


def test_models_round_trip_on_both_engines(session):
    at = datetime(2025, 1, 1, 12, 30, tzinfo=UTC)
    task = Task(trace_id="t1", name="digest", status="waiting", next_wake_time=at)
    step = Step(seq=1, name="fetch", status="done", input={"q": "news"}, idempotency_key="t1-fetch")
    step.tool_calls.append(ToolCall(trace_id="t1", tool_name="search", arguments={"q": "news"}))
    task.steps.append(step)
    session.add_all([task, Event(trace_id="t1", channel="cli", event_type="ping", payload={"n": [1, 2]})])
    session.add_all([Schedule(name="daily", cron="0 7 * * *"), AuditEvent(trace_id="t1", type="tool_call", outcome="success")])
    session.flush()
    session.expire_all()

    loaded = session.scalars(sa.select(Task).where(Task.trace_id == "t1")).one()
    assert loaded.steps[0].input == {"q": "news"} and loaded.steps[0].tool_calls[0].tool_name == "search"
    wake = loaded.next_wake_time  # naive UTC on SQLite, aware on PostgreSQL
    assert (wake if wake.tzinfo else wake.replace(tzinfo=UTC)) == at
    assert session.scalars(sa.select(Event.payload)).one() == {"n": [1, 2]}
    due = session.scalars(sa.select(Schedule).where(Schedule.enabled.is_(True))).one()
    assert due.enabled is True and due.id >= 1
    assert isinstance(loaded.created_at, datetime)

    audit = session.scalars(sa.select(AuditEvent)).one()
    audit.outcome = "failure"
    with pytest.raises(sa.exc.IntegrityError, match=APPEND_ONLY):
        session.flush()
