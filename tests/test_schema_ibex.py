"""The ibex_core schema (sql/ibex, dbkit/models/ibex.py) against a real PostgreSQL, as the superuser."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from kit_fixtures import insert_row
from psycopg import sql
from psycopg.errors import CheckViolation, UniqueViolation

from dbkit.models import ibex
from dbkit.models.ibex import (
    Agent,
    Checkpoint,
    Directive,
    Memory,
    MemoryCategory,
    MemoryRelationship,
    MemorySource,
    MemoryStatus,
    MemoryTag,
    MemoryVersion,
    Organization,
    Token,
    User,
)

TABLES = [
    "organizations",
    "users",
    "agents",
    "tokens",
    "directives",
    "sessions",
    "checkpoints",
    "memories",
    "memory_versions",
    "memory_relationships",
    "memory_tags",
]
WITH_UPDATED_AT = ["organizations", "users", "agents", "tokens", "directives", "memories"]
OLD = datetime(2000, 1, 1, tzinfo=UTC)


def vec(*weights: float) -> str:
    """A vector(384) literal whose first components are `weights`, the rest zero."""
    return "[" + ",".join(map(str, [*weights, *[0.0] * (384 - len(weights))])) + "]"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def conn(schema_conn):
    """A connection with ibex_core first on its search_path, rolled back at the end: the shared database stays empty."""
    return schema_conn("ibex_core")


@pytest.fixture
def world(conn) -> dict:
    """One row in each parent table, for building valid child rows."""
    key = uuid.uuid4().hex[:8]
    org = insert_row(conn, "organizations", {"name": "Acme", "slug": f"acme-{key}"})["id"]
    w = {"key": key, "org": org}
    w["user"] = insert_row(conn, "users", {"org_id": org, "email": f"ada-{key}@example.com", "name": "Ada"})["id"]
    w["agent"] = insert_row(conn, "agents", {"org_id": org, "name": "Scout", "slug": f"scout-{key}"})["id"]
    w["session"] = insert_row(conn, "sessions", {"org_id": org, "agent_id": w["agent"]})["id"]
    for name in ("memory", "memory2"):
        w[name] = insert_row(conn, "memories", valid_row("memories", w, content=f"{name} {key}"))["id"]
    return w


def valid_row(table: str, w: dict, **overrides) -> dict:
    """A row of `table` that every constraint accepts (unique values drawn fresh), with overrides."""
    u = uuid.uuid4().hex[:8]
    org = w["org"]
    rows = {
        "organizations": {"name": "Org", "slug": f"org-{u}"},
        "users": {"org_id": org, "email": f"u-{u}@example.com", "name": "U"},
        "agents": {"org_id": org, "name": "A", "slug": f"agent-{u}"},
        "tokens": {
            "org_id": org,
            "user_id": w["user"],
            "type": "pat",
            "hash": sha(u),
            "prefix": "ibx_",
            "name": "cli",
            "permissions": 3,
        },
        "directives": {
            "org_id": org,
            "name": f"d-{u}",
            "content": "Be brief.",
            "content_hash": sha("Be brief."),
            "version_number": 1,
        },
        "sessions": {"org_id": org, "agent_id": w["agent"]},
        "checkpoints": {
            "session_id": w["session"],
            "org_id": org,
            "sequence_number": 1,
            "state": {"turn": 1},
            "state_hash": sha("1"),
            "state_size_bytes": 11,
        },
        "memories": {
            "org_id": org,
            "agent_id": w["agent"],
            "content": f"fact {u}",
            "content_hash": sha(u),
            "embedding": vec(1.0),
            "category": "factual",
        },
        "memory_versions": {"memory_id": w.get("memory"), "org_id": org, "version_num": 1, "operation": "created"},
        "memory_relationships": {
            "org_id": org,
            "source_memory_id": w.get("memory"),
            "target_memory_id": w.get("memory2"),
            "relationship_type": "contradicts",
        },
        "memory_tags": {"memory_id": w.get("memory"), "org_id": org, "tag": f"tag-{u}"},
    }
    return {**rows[table], **overrides}


BAD_ROWS = [
    ("organizations_slug_format", "organizations", {"slug": "Not A Slug"}),
    ("organizations_tier_valid", "organizations", {"tier": "gold"}),
    ("organizations_status_valid", "organizations", {"status": "deleted"}),
    ("users_email_format", "users", {"email": "ada.example.com"}),
    ("users_role_valid", "users", {"role": "root"}),
    ("users_status_valid", "users", {"status": "gone"}),
    ("agents_slug_format", "agents", {"slug": "Scout_1"}),
    ("agents_status_valid", "agents", {"status": "running"}),
    ("agents_counters_nonnegative", "agents", {"total_memories": -1}),
    ("tokens_type_valid", "tokens", {"type": "password"}),
    ("tokens_use_count_nonnegative", "tokens", {"use_count": -1}),
    ("directives_status_valid", "directives", {"status": "published"}),
    ("directives_version_number_positive", "directives", {"version_number": 0}),
    ("sessions_status_valid", "sessions", {"status": "done"}),
    ("sessions_counters_nonnegative", "sessions", {"total_turns": -1}),
    ("checkpoints_numbers_nonnegative", "checkpoints", {"state_size_bytes": -1}),
    ("memories_content_not_empty", "memories", {"content": ""}),
    ("memories_content_max_length", "memories", {"content": "x" * 8193}),
    ("memories_confidence_range", "memories", {"confidence": Decimal("1.001")}),
    ("memories_usefulness_range", "memories", {"usefulness_score": Decimal("-0.001")}),
    ("memories_retrieval_count_nonnegative", "memories", {"retrieval_count": -1}),
    ("memories_category_valid", "memories", {"category": "gossip"}),
    ("memories_source_valid", "memories", {"source": "dreamed"}),
    ("memories_status_valid", "memories", {"status": "deleted"}),
    ("memory_versions_operation_valid", "memory_versions", {"operation": "renamed"}),
    ("memory_relationships_type_valid", "memory_relationships", {"relationship_type": "likes"}),
    ("memory_relationships_confidence_range", "memory_relationships", {"confidence": Decimal("1.50")}),
    ("memory_relationships_not_self", "memory_relationships", {"target_memory_id": lambda w: w["memory"]}),
    ("memory_tags_tag_not_empty", "memory_tags", {"tag": ""}),
]


@pytest.mark.parametrize(("constraint", "table", "bad"), BAD_ROWS, ids=[c for c, _, _ in BAD_ROWS])
def test_check_refuses_bad_row(conn, world, constraint, table, bad):
    bad = {column: value(world) if callable(value) else value for column, value in bad.items()}
    with pytest.raises(CheckViolation) as caught:
        insert_row(conn, table, valid_row(table, world, **bad))
    assert caught.value.diag.constraint_name == constraint


def test_every_check_constraint_has_a_bad_row(conn):
    names = {
        r[0]
        for r in conn.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'ibex_core'::regnamespace"
        )
    }
    assert names == {c for c, _, _ in BAD_ROWS}


@pytest.mark.parametrize("table", TABLES)
def test_valid_row_is_accepted(conn, world, table):
    assert insert_row(conn, table, valid_row(table, world))


def test_edge_values_are_accepted(conn, world):
    row = insert_row(
        conn,
        "memories",
        valid_row("memories", world, content="x" * 8192, confidence=Decimal("1.000"), usefulness_score=Decimal("0")),
    )
    assert len(row["content"]) == 8192 and row["confidence"] == Decimal("1.000")
    assert insert_row(conn, "organizations", valid_row("organizations", world, slug="a-1-b"))["slug"] == "a-1-b"


def test_memory_defaults_are_the_seeds(conn, world):
    row = insert_row(conn, "memories", valid_row("memories", world))
    assert (row["source"], row["status"]) == ("extracted", "active")
    assert (row["confidence"], row["usefulness_score"]) == (Decimal("0.800"), Decimal("0.500"))
    assert row["retrieval_count"] == 0 and row["metadata"] == {}
    assert row["created_at"] == row["updated_at"] is not None and row["deleted_at"] is None


def test_dedup_index_refuses_a_second_active_copy(conn, world):
    first = valid_row("memories", world)
    insert_row(conn, "memories", first)
    with pytest.raises(UniqueViolation) as caught:
        insert_row(conn, "memories", {**first, "content": "same hash, new text"})
    assert caught.value.diag.constraint_name == "memories_content_hash_org"


@pytest.mark.parametrize(
    "twin",
    [{"status": "archived"}, {"status": "superseded"}, {"deleted_at": OLD}, {"agent_id": "new"}],
    ids=["archived", "superseded", "soft-deleted", "other-agent"],
)
def test_dedup_index_ignores_copies_that_are_not_live(conn, world, twin):
    first = valid_row("memories", world)
    insert_row(conn, "memories", first)
    if twin.get("agent_id") == "new":
        twin = {"agent_id": insert_row(conn, "agents", valid_row("agents", world))["id"]}
    assert insert_row(conn, "memories", {**first, **twin})


def test_one_active_directive_version_per_name(conn, world):
    v1 = insert_row(conn, "directives", valid_row("directives", world, status="active"))
    insert_row(conn, "directives", valid_row("directives", world, name=v1["name"], version_number=2))  # a draft
    with pytest.raises(UniqueViolation) as caught:
        insert_row(conn, "directives", valid_row("directives", world, name=v1["name"], version_number=3, status="active"))
    assert caught.value.diag.constraint_name == "directives_one_active_per_name"


@pytest.mark.parametrize("table", WITH_UPDATED_AT)
def test_updated_at_trigger_stamps_updates(conn, world, table):
    row = insert_row(conn, table, valid_row(table, world, created_at=OLD, updated_at=OLD))
    query = sql.SQL("UPDATE {} SET created_at = created_at WHERE id = %s RETURNING updated_at, now()")
    updated_at, now = conn.execute(query.format(sql.Identifier(table)), [row["id"]]).fetchone()
    assert updated_at == now > OLD


def test_every_table_with_updated_at_has_the_trigger(conn):
    with_column = {
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'ibex_core' AND column_name = 'updated_at'"
        )
    }
    triggered = {
        r[0]
        for r in conn.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE p.proname = 'set_updated_at' AND NOT t.tgisinternal"
        )
    }
    assert with_column == set(WITH_UPDATED_AT)
    assert {t.removeprefix("ibex_core.") for t in triggered} >= with_column


def test_deletes_cascade_or_set_null_as_declared(conn, world):
    newer = insert_row(conn, "memories", valid_row("memories", world, session_id=world["session"]))
    conn.execute("UPDATE memories SET superseded_by = %s, status = 'superseded' WHERE id = %s", [newer["id"], world["memory"]])
    insert_row(conn, "memory_tags", valid_row("memory_tags", world))
    conn.execute("DELETE FROM sessions WHERE id = %s", [world["session"]])
    assert conn.execute("SELECT session_id FROM memories WHERE id = %s", [newer["id"]]).fetchone() == (None,)
    conn.execute("DELETE FROM memories WHERE id = %s", [newer["id"]])
    assert conn.execute("SELECT superseded_by FROM memories WHERE id = %s", [world["memory"]]).fetchone() == (None,)
    conn.execute("DELETE FROM organizations WHERE id = %s", [world["org"]])
    for table in TABLES[1:]:
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE org_id = %s").format(sql.Identifier(table)), [world["org"]]
        ).fetchone()[0]
        assert count == 0, table


SPECIAL_INDEXES = {
    "memories_content_hash_org": [
        "CREATE UNIQUE INDEX",
        "(org_id, agent_id, content_hash)",
        "WHERE (((status)::text = 'active'::text) AND (deleted_at IS NULL))",
    ],
    "memories_embedding_hnsw_idx": [
        "USING hnsw (embedding vector_cosine_ops)",
        "WITH (m='16', ef_construction='64')",
        "WHERE (((status)::text = 'active'::text) AND (deleted_at IS NULL))",
    ],
    "memories_hot_cache_idx": ["USING btree (org_id, agent_id, created_at DESC)"],
    "checkpoints_latest_valid_idx": ["(session_id, sequence_number DESC) WHERE is_valid"],
    "directives_one_active_per_name": ["CREATE UNIQUE INDEX", "(org_id, name) WHERE (status = 'active'::text)"],
    "tokens_org_id_active_idx": ["(org_id) WHERE (NOT is_revoked)"],
    "sessions_active_heartbeat_idx": ["(last_heartbeat_at) WHERE (status = 'active'::text)"],
    "agents_tags_idx": ["USING gin (tags)"],
}


@pytest.mark.parametrize("name", SPECIAL_INDEXES)
def test_partial_and_special_indexes_are_as_declared(conn, name):
    # The drift check (alembic) compares index columns but not WHERE, operator class or WITH: check them here.
    found = conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'ibex_core' AND indexname = %s", [name]).fetchone()
    assert found, f"index {name} is missing"
    for fragment in SPECIAL_INDEXES[name]:
        assert fragment in found[0]


def test_every_foreign_key_column_leads_an_index(conn):
    unindexed = conn.execute("""
        SELECT c.conrelid::regclass::text, a.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.connamespace = 'ibex_core'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_index i
                          WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1] AND i.indpred IS NULL)
    """).fetchall()
    assert unindexed == []


def test_every_table_and_column_has_a_comment(conn):
    missing = conn.execute("""
        SELECT c.relname, a.attname
        FROM pg_class c
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'ibex_core'::regnamespace AND c.relkind = 'r'
          AND (obj_description(c.oid, 'pg_class') IS NULL OR col_description(c.oid, a.attnum) IS NULL)
    """).fetchall()
    tables = {
        r[0]
        for r in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'ibex_core'::regnamespace AND relkind = 'r'")
    }
    assert missing == [] and tables == set(TABLES)


def test_models_export_every_table():
    mapped = {m.class_.__tablename__ for m in ibex.Base.registry.mappers}
    assert mapped == set(TABLES)
    assert all(hasattr(ibex, name) for name in ibex.__all__)


def test_model_instantiation_keeps_python_values():
    memory = Memory(
        content="Prefers tea",
        content_hash=sha("Prefers tea"),
        embedding=[0.0] * 384,
        category=MemoryCategory.PREFERENCE,
        metadata_={"lang": "en"},
    )
    assert memory.category == "preference" and isinstance(memory.category, str)
    assert memory.metadata_ == {"lang": "en"} and sa.inspect(Memory).attrs["metadata_"].columns[0].name == "metadata"
    assert memory.status is None  # server defaults arrive with the INSERT, not at construction
    assert [m.value for m in MemoryStatus] == ["active", "superseded", "merged", "archived", "pending_review"]


def _graph(session) -> dict:
    key = uuid.uuid4().hex[:8]
    org = Organization(name="Acme", slug=f"acme-{key}")
    user = User(organization=org, email=f"ada-{key}@example.com", name="Ada")
    agent = Agent(organization=org, creator=user, name="Scout", slug="scout", tags=["support"])
    directive = Directive(organization=org, name="tone", content="Be brief.", content_hash=sha("b"), version_number=1)
    run = ibex.Session(organization=org, agent=agent, user=user, directive=directive)
    Checkpoint(session=run, organization=org, sequence_number=1, state={"turn": 1}, state_hash="h", state_size_bytes=11)
    Token(organization=org, user=user, agent=agent, type="pat", hash=sha(key), prefix="ibx_", name="cli", permissions=3)
    old = Memory(
        organization=org,
        agent=agent,
        session=run,
        content="Likes coffee",
        content_hash=sha("coffee"),
        embedding=[1.0] + [0.0] * 383,
        category=MemoryCategory.PREFERENCE,
        status=MemoryStatus.SUPERSEDED,
    )
    new = Memory(
        organization=org,
        agent=agent,
        session=run,
        content="Likes tea",
        content_hash=sha("tea"),
        embedding=[0.0, 1.0] + [0.0] * 382,
        category=MemoryCategory.PREFERENCE,
    )
    old.superseded_by_memory = new
    new.tags = [MemoryTag(tag="drinks", organization=org)]
    new.versions = [
        MemoryVersion(version_num=2, operation="updated", organization=org),
        MemoryVersion(version_num=1, operation="created", organization=org),
    ]
    MemoryRelationship(organization=org, source_memory=new, target_memory=old, relationship_type="supersedes")
    session.add(org)
    session.flush()
    ids = {"org": org.id, "old": old.id, "new": new.id, "run": run.id}
    session.expunge_all()  # what follows loads from the database, not from the identity map
    return ids


def test_models_get_server_defaults(schema_session):
    ids = _graph(schema_session)
    org = schema_session.get(Organization, ids["org"])
    assert (org.tier, org.status, org.settings) == ("free", "active", {})
    new = schema_session.get(Memory, ids["new"])
    assert new.status is MemoryStatus.ACTIVE and new.source is MemorySource.EXTRACTED
    assert (new.confidence, new.usefulness_score, new.retrieval_count) == (Decimal("0.800"), Decimal("0.500"), 0)
    assert new.metadata_ == {} and new.created_at.tzinfo is not None
    run = schema_session.get(ibex.Session, ids["run"])
    assert (run.status, run.total_tokens_used, run.loop_suspected) == ("initializing", 0, False)


def test_relationships_load_both_ways(schema_session):
    ids = _graph(schema_session)
    org = schema_session.get(Organization, ids["org"])
    assert [u.name for u in org.users] == ["Ada"] and len(org.memories) == 2 and len(org.memory_tags) == 1
    agent = org.agents[0]
    assert agent.creator.name == "Ada" and agent.creator.agents_created == [agent]
    assert agent.tokens[0].user is agent.creator and len(agent.memories) == 2
    run = agent.sessions[0]
    assert run.directive.sessions == [run] and run.checkpoints[0].sequence_number == 1
    old, new = schema_session.get(Memory, ids["old"]), schema_session.get(Memory, ids["new"])
    assert old.superseded_by_memory is new and new.supersedes == [old] and old.session is run
    assert [v.version_num for v in new.versions] == [1, 2] and new.tags[0].memory is new
    rel = new.outgoing_relationships[0]
    assert rel.target_memory is old and old.incoming_relationships == [rel] and rel.confidence == Decimal("0.90")


def test_updated_at_moves_on_orm_update(schema_session):
    ids = _graph(schema_session)
    # The trigger would overwrite an old updated_at at once: off meanwhile, in this transaction (which is rolled
    # back). ALTER TABLE, not session_replication_role, which only a superuser may set.
    schema_session.execute(sa.text("ALTER TABLE ibex_core.memories DISABLE TRIGGER memories_set_updated_at"))
    schema_session.execute(sa.update(Memory).where(Memory.id == ids["new"]).values(updated_at=OLD))
    schema_session.execute(sa.text("ALTER TABLE ibex_core.memories ENABLE TRIGGER memories_set_updated_at"))
    new = schema_session.get(Memory, ids["new"])
    assert new.updated_at == OLD
    new.confidence = Decimal("0.9")
    schema_session.flush()
    assert new.updated_at == schema_session.scalar(sa.select(sa.func.now()))
