"""dbkit.seed.syris: traces that can be followed from event to audit, and the pipeline's upkeep tables."""

from __future__ import annotations

import psycopg
import pytest

from dbkit.seed import END, SeedContext
from dbkit.seed.syris import generate

TABLES = (
    "events",
    "routing_decisions",
    "tasks",
    "steps",
    "tool_calls",
    "tool_results",
    "idempotency_outcomes",
    "audit_events",
    "approvals",
    "schedules",
    "watcher_state",
    "rules",
    "system_health",
    "alarms",
    "artifacts",
)


@pytest.fixture
def conn(seeded_db):
    with psycopg.connect(seeded_db) as conn:
        conn.execute("SET search_path TO syris")
        yield conn


def _one(conn, query: str, params=None):
    return conn.execute(query, params).fetchone()[0]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_has_rows(conn, table):
    assert _one(conn, f"SELECT count(*) FROM {table}") > 0


def test_traces_join_through_all_seven_pipeline_tables(conn):
    full = _one(
        conn,
        """
        SELECT count(DISTINCT e.trace_id)
        FROM events e
        JOIN routing_decisions r ON r.trace_id = e.trace_id AND r.event_id = e.id
        JOIN tasks t ON t.trace_id = e.trace_id
        JOIN steps s ON s.task_id = t.id
        JOIN tool_calls c ON c.step_id = s.id AND c.trace_id = e.trace_id
        JOIN tool_results tr ON tr.tool_call_id = c.id
        JOIN audit_events a ON a.trace_id = e.trace_id AND a.ref_task_id = t.id""",
    )
    assert full >= 5
    assert _one(conn, "SELECT count(*) FROM events") == _one(conn, "SELECT count(*) FROM routing_decisions")


def test_audit_references_resolve(conn):
    dangling_artifacts = _one(
        conn,
        """SELECT count(*) FROM audit_events a WHERE a.payload_ref IS NOT NULL
                                       AND NOT EXISTS (SELECT 1 FROM artifacts f WHERE f.ref_id = a.payload_ref)""",
    )
    dangling_tasks = _one(
        conn,
        """SELECT count(*) FROM audit_events a WHERE a.ref_task_id IS NOT NULL
                                   AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = a.ref_task_id)""",
    )
    assert (dangling_artifacts, dangling_tasks) == (0, 0)
    assert _one(conn, "SELECT count(*) FROM audit_events WHERE payload_ref IS NOT NULL") > 0
    assert {o for (o,) in conn.execute("SELECT DISTINCT outcome FROM audit_events")} == {"success", "failure", "denied"}


def test_task_statuses_and_wake_times(conn):
    statuses = {s for (s,) in conn.execute("SELECT DISTINCT status FROM tasks")}
    assert {"succeeded", "failed", "waiting", "running"} <= statuses
    # a wake time exactly on the tasks that sleep
    assert _one(conn, "SELECT count(*) FROM tasks WHERE (status = 'waiting') <> (next_wake_time IS NOT NULL)") == 0


def test_pending_approvals_are_still_open_at_end(conn):
    pending = _one(conn, "SELECT count(*) FROM approvals WHERE status = 'pending' AND expires_at > %s", (END,))
    decided = {s for (s,) in conn.execute("SELECT DISTINCT status FROM approvals WHERE status <> 'pending'")}
    assert pending >= 3
    assert decided == {"approved", "denied", "expired"}


def test_tool_results_of_every_status_and_idempotent_retries(conn):
    assert {s for (s,) in conn.execute("SELECT DISTINCT status FROM tool_results")} == {"ok", "error", "timeout"}
    retried = _one(
        conn,
        """SELECT count(*) FROM (SELECT idempotency_key FROM tool_calls
                            WHERE idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1) k""",
    )
    unrecorded = _one(
        conn,
        """SELECT count(*) FROM tool_results r JOIN tool_calls c ON c.id = r.tool_call_id
                               WHERE r.status = 'ok' AND c.idempotency_key IS NOT NULL AND NOT EXISTS
                               (SELECT 1 FROM idempotency_outcomes o WHERE o.idempotency_key = c.idempotency_key)""",
    )
    assert retried > 0 and unrecorded == 0


def test_events_channels_and_dedupe_keys(conn):
    channels = {c for (c,) in conn.execute("SELECT DISTINCT channel FROM events")}
    assert channels == {"email", "slack", "webhook", "cron"}
    keyed, total = conn.execute("SELECT count(dedupe_key), count(*) FROM events").fetchone()
    assert 0 < keyed < total


def test_at_most_one_open_alarm_per_key(conn):
    most_open = _one(conn, "SELECT max(n) FROM (SELECT count(*) AS n FROM alarms WHERE status = 'open' GROUP BY dedupe_key) k")
    assert most_open == 1
    assert _one(conn, "SELECT count(DISTINCT dedupe_key) FROM alarms WHERE status = 'resolved'") > 1


def test_schedules_are_cron_or_interval(conn):
    cron, interval = conn.execute("SELECT count(cron), count(interval_s) FROM schedules").fetchone()
    assert cron > 0 and interval > 0


def _rows(seed_value: int, scale: int = 1) -> dict[str, list]:
    return {t.name: t.rows for t in generate(SeedContext("syris", seed=seed_value, scale=scale))}


def test_scale_multiplies_the_bulk_tables():
    one, two = _rows(42), _rows(42, scale=2)
    assert len(two["events"]) == 2 * len(one["events"])
    assert len(two["system_health"]) == 2 * len(one["system_health"])
    assert 1.6 < len(two["audit_events"]) / len(one["audit_events"]) < 2.4
