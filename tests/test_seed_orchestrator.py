"""dbkit.seed.orchestrator: sessions, agents, prompts, logs and chat whose numbers add up."""

from __future__ import annotations

import psycopg
import pytest

from dbkit.models.orchestrator import HOOK_EVENTS, RESPONSE_EVENTS
from dbkit.seed import SeedContext
from dbkit.seed.orchestrator import generate

TABLES = ("orchestrator_agents", "agents", "prompts", "agent_logs", "system_logs", "orchestrator_chat")


@pytest.fixture
def conn(seeded_db):
    with psycopg.connect(seeded_db) as conn:
        conn.execute("SET search_path TO orchestrator")
        yield conn


def _one(conn, query: str):
    return conn.execute(query).fetchone()[0]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_has_rows(conn, table):
    assert _one(conn, f"SELECT count(*) FROM {table}") > 0


def test_agent_logs_cover_every_event_type(conn):
    found = set(conn.execute("SELECT DISTINCT event_category, event_type FROM agent_logs").fetchall())
    assert found == {("hook", e) for e in HOOK_EVENTS} | {("response", e) for e in RESPONSE_EVENTS}
    assert _one(conn, "SELECT count(*) FROM agent_logs") >= 1000
    tools = _one(conn, "SELECT count(DISTINCT payload->>'tool_name') FROM agent_logs WHERE event_type = 'PreToolUse'")
    assert tools >= 5


def test_entry_index_counts_up_per_task_as_time_goes_on(conn):
    gaps = _one(
        conn,
        """
        SELECT count(*) FROM (
            SELECT agent_id, task_slug, count(*) AS n, min(entry_index) AS lo, max(entry_index) AS hi
            FROM agent_logs GROUP BY agent_id, task_slug) t
        WHERE lo <> 0 OR hi <> n - 1""",
    )
    backwards = _one(
        conn,
        """
        SELECT count(*) FROM (
            SELECT timestamp < lag(timestamp) OVER (PARTITION BY agent_id, task_slug ORDER BY entry_index) AS back
            FROM agent_logs) t
        WHERE back""",
    )
    assert (gaps, backwards) == (0, 0)


def test_every_level_of_system_logs(conn):
    levels = {level for (level,) in conn.execute("SELECT DISTINCT level FROM system_logs")}
    assert levels == {"DEBUG", "INFO", "WARNING", "ERROR"}


def test_costs_roll_up(conn):
    per_session = conn.execute("""
        SELECT o.id, o.total_cost, sum(a.total_cost), count(a.id) FROM orchestrator_agents o
        JOIN agents a ON a.orchestrator_agent_id = o.id GROUP BY o.id""").fetchall()
    assert len(per_session) == _one(conn, "SELECT count(*) FROM orchestrator_agents")
    assert all(own > 0 and agents > 0 and n >= 3 for _, own, agents, n in per_session)
    # an agent's tokens are the usage its response logs report
    mismatched = _one(
        conn,
        """
        SELECT count(*) FROM agents a
        JOIN (SELECT agent_id, sum((payload->'usage'->>'input_tokens')::int) AS input_tokens,
                     sum((payload->'usage'->>'output_tokens')::int) AS output_tokens
              FROM agent_logs GROUP BY agent_id) l ON l.agent_id = a.id
        WHERE (a.input_tokens, a.output_tokens) <> (l.input_tokens, l.output_tokens)""",
    )
    # and an orchestrator's own tokens are the usage of the chat messages it sent
    own = _one(
        conn,
        """
        SELECT count(*) FROM orchestrator_agents o
        JOIN (SELECT orchestrator_agent_id, sum((metadata->'usage'->>'input_tokens')::int) AS input_tokens
              FROM orchestrator_chat WHERE sender_type = 'orchestrator' GROUP BY 1) c ON c.orchestrator_agent_id = o.id
        WHERE o.input_tokens <> c.input_tokens""",
    )
    assert (mismatched, own) == (0, 0)


def test_chat_names_an_agent_exactly_when_one_takes_part(conn):
    broken = _one(
        conn,
        """SELECT count(*) FROM orchestrator_chat
                           WHERE (sender_type = 'agent' OR receiver_type = 'agent') <> (agent_id IS NOT NULL)""",
    )
    pairs = set(conn.execute("SELECT DISTINCT sender_type, receiver_type FROM orchestrator_chat").fetchall())
    assert broken == 0
    assert {("user", "orchestrator"), ("orchestrator", "user"), ("orchestrator", "agent"), ("agent", "orchestrator")} <= pairs


def test_prompts_from_both_authors(conn):
    authors = {a for (a,) in conn.execute("SELECT DISTINCT author FROM prompts")}
    assert authors == {"engineer", "orchestrator_agent"}


def _rows(seed_value: int, scale: int = 1) -> dict[str, list]:
    return {t.name: t.rows for t in generate(SeedContext("orchestrator", seed=seed_value, scale=scale))}


def test_scale_multiplies_the_bulk_tables():
    one, two = _rows(42), _rows(42, scale=2)
    assert len(two["orchestrator_agents"]) == 2 * len(one["orchestrator_agents"])
    assert len(two["system_logs"]) == 2 * len(one["system_logs"])
    assert 1.4 < len(two["agent_logs"]) / len(one["agent_logs"]) < 2.6
