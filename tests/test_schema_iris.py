"""The iris schema (sql/iris, dbkit/models/iris.py) against a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from kit_fixtures import insert_row
from psycopg.errors import CheckViolation

from dbkit.models.iris import ROLES, Chain, Council, ExecutionHistory, Sprite

SEED_INDEXES = {
    "idx_sprites_name": ("sprites", "name"),
    "idx_sprites_fingerprint": ("sprites", "fingerprint_hash"),
    "idx_councils_domain": ("councils", "domain"),
    "idx_chains_council_id": ("chains", "council_id"),
    "idx_exec_history_council_id": ("execution_history", "council_id"),
    "idx_exec_history_chain_id": ("execution_history", "chain_id"),
    "idx_exec_history_status": ("execution_history", "status"),
}
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def conn(schema_conn):
    """A connection with iris first on its search_path, rolled back at the end: the shared database stays empty."""
    return schema_conn("iris")


def _sprite(**overrides) -> dict:
    row = {
        "name": f"SOL-FORGE-{uuid.uuid4().hex[:12].upper()}",
        "version": "1.2.3",
        "role": "builder",
        "capabilities": [{"name": "generate_code", "description": "writes code", "params": {}}],
        "system_prompt": "You build.",
        "sprite_metadata": {"author": "test", "tags": []},
        "fingerprint_algorithm": "blake3",
        "fingerprint_hash": "0" * 64,
    }
    return row | overrides


def _council(**overrides) -> dict:
    return {"domain": f"test-{uuid.uuid4().hex}", "sprites": [], "gate_agents": []} | overrides


def _chain(conn, **overrides) -> dict:
    council_id = insert_row(conn, "councils", _council())["id"]
    return {"council_id": council_id, "name": "build", "steps": [{"sprite": "x"}]} | overrides


def _history(**overrides) -> dict:
    row = {"council_id": uuid.uuid4(), "chain_id": uuid.uuid4(), "status": "completed", "started_at": NOW}
    return row | overrides


BAD_ROWS = [
    ("ck_sprites_name_sol_forge", "sprites", {"name": "sol-forge-lowercase"}),
    ("ck_sprites_name_sol_forge", "sprites", {"name": "SOL-FORGE-"}),
    ("ck_sprites_version_semver", "sprites", {"version": "1.0"}),
    ("ck_sprites_version_semver", "sprites", {"version": "v1.0.0"}),
    ("ck_sprites_role", "sprites", {"role": "wizard"}),
    ("ck_sprites_capabilities_array", "sprites", {"capabilities": {"name": "generate_code"}}),
    ("ck_sprites_system_prompt_length", "sprites", {"system_prompt": "x" * 65537}),
    ("ck_sprites_sprite_metadata_object", "sprites", {"sprite_metadata": []}),
    ("ck_sprites_fingerprint_algorithm", "sprites", {"fingerprint_algorithm": "md5"}),
    ("ck_sprites_fingerprint_hash", "sprites", {"fingerprint_hash": "A" * 64}),
    ("ck_sprites_fingerprint_hash", "sprites", {"fingerprint_hash": "0" * 63}),
    ("ck_councils_sprites_array", "councils", {"sprites": {}}),
    ("ck_councils_gate_agents_array", "councils", {"gate_agents": {}}),
    ("ck_councils_rules_array", "councils", {"rules": {"rule": 1}}),
    ("ck_councils_council_metadata_object", "councils", {"council_metadata": []}),
    ("ck_chains_steps_array", "chains", {"steps": {}}),
    ("ck_chains_gates_array", "chains", {"gates": {}}),
    ("ck_chains_timeout_iso8601", "chains", {"timeout": "5 minutes"}),
    ("ck_chains_timeout_iso8601", "chains", {"timeout": "PT"}),
    ("ck_execution_history_status", "execution_history", {"status": "running"}),
    ("ck_execution_history_duration_ms", "execution_history", {"duration_ms": -1}),
    ("ck_execution_history_completed_at", "execution_history", {"completed_at": NOW - timedelta(seconds=1)}),
    ("ck_execution_history_steps_array", "execution_history", {"steps": {}}),
    ("ck_execution_history_gates_array", "execution_history", {"gates": {}}),
]


def _valid_row(conn, table: str, **overrides) -> dict:
    if table == "chains":
        return _chain(conn, **overrides)
    return {"sprites": _sprite, "councils": _council, "execution_history": _history}[table](**overrides)


@pytest.mark.parametrize(("constraint", "table", "bad"), BAD_ROWS, ids=[f"{c}-{i}" for i, (c, *_) in enumerate(BAD_ROWS)])
def test_check_refuses_bad_row(conn, constraint, table, bad):
    row = _valid_row(conn, table, **bad)
    with pytest.raises(CheckViolation) as caught, conn.transaction():
        insert_row(conn, table, row)
    assert caught.value.diag.constraint_name == constraint


def test_every_check_constraint_has_a_bad_row(conn):
    names = {
        r[0]
        for r in conn.execute("SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'iris'::regnamespace")
    }
    assert names == {c for c, _, _ in BAD_ROWS}


@pytest.mark.parametrize("table", ["sprites", "councils", "chains", "execution_history"])
def test_valid_row_is_accepted(conn, table):
    assert insert_row(conn, table, _valid_row(conn, table))["id"] is not None


def test_edge_values_are_accepted(conn):
    for role in ROLES:
        insert_row(conn, "sprites", _sprite(role=role, fingerprint_algorithm="sha256"))
    insert_row(conn, "sprites", _sprite(version="10.0.0-rc.1+build.7", system_prompt="x" * 65536))
    for timeout in ("PT5M", "P1D", "P1DT2H30M", "PT0.5S", None):
        insert_row(conn, "chains", _chain(conn, timeout=timeout))
    insert_row(conn, "execution_history", _history(completed_at=NOW, duration_ms=0, steps=[], gates=[]))


def test_seed_containment_query_returns_the_right_sprites(conn):
    coder = insert_row(conn, "sprites", _sprite(capabilities=[{"name": "generate_code"}, {"name": "review"}]))
    reviewer = insert_row(conn, "sprites", _sprite(capabilities=[{"name": "review", "params": {"strict": True}}]))
    empty = insert_row(conn, "sprites", _sprite(capabilities=[]))
    ids = [coder["id"], reviewer["id"], empty["id"]]
    query = "SELECT id FROM sprites WHERE capabilities @> %s AND id = ANY(%s)"
    assert {r[0] for r in conn.execute(query, ('[{"name": "generate_code"}]', ids))} == {coder["id"]}
    assert {r[0] for r in conn.execute(query, ('[{"name": "review"}]', ids))} == {coder["id"], reviewer["id"]}


def test_containment_query_can_use_the_gin_index(conn):
    conn.execute("SET LOCAL enable_seqscan = off")
    plan = "\n".join(
        r[0] for r in conn.execute("""EXPLAIN SELECT id FROM sprites WHERE capabilities @> '[{"name": "generate_code"}]'""")
    )
    assert "idx_sprites_capabilities" in plan


def test_indexes_are_the_seeds_seven_plus_gin(conn):
    rows = conn.execute(
        """SELECT i.relname, t.relname, a.attname, am.amname, x.indisunique, x.indisprimary
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_am am ON am.oid = i.relam
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
           WHERE t.relnamespace = 'iris'::regnamespace"""
    ).fetchall()
    explicit = {name: (table, col) for name, table, col, _, unique, primary in rows if not (unique or primary)}
    assert explicit == SEED_INDEXES | {"idx_sprites_capabilities": ("sprites", "capabilities")}
    assert {name: am for name, _, _, am, _, _ in rows}["idx_sprites_capabilities"] == "gin"
    assert sum(primary for *_, primary in rows) == 4
    assert {name for name, *_, unique, primary in rows if unique and not primary} == {"uq_sprites_name", "uq_councils_domain"}


def test_execution_history_has_no_foreign_keys(conn):
    count = conn.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'execution_history'::regclass"
    ).fetchone()[0]
    assert count == 0


def test_every_table_and_column_has_a_comment(conn):
    missing = conn.execute(
        """SELECT c.relname, a.attname FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'iris'::regnamespace AND c.relkind = 'r'
             AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)"""
    ).fetchall()
    assert missing == []


def test_models_get_server_defaults_and_load_relationships(schema_session):
    sprite = Sprite(**_sprite())
    council = Council(**_council(rules=[{"quorum": 2}]))
    council.chains = [Chain(name="build", steps=[{"sprite": "a"}]), Chain(name="ship", steps=[], timeout="PT5M")]
    history = ExecutionHistory(**_history())
    schema_session.add_all([sprite, council, history])
    schema_session.flush()
    for obj in (sprite, council, history):
        schema_session.refresh(obj)
    assert isinstance(sprite.id, uuid.UUID)
    assert (sprite.protected, sprite.gate_authority) == (False, False)
    assert sprite.created is not None and council.created_at is not None and history.created_at is not None
    assert sprite.capabilities[0]["name"] == "generate_code"

    council_id = council.id
    schema_session.expire_all()  # what follows reads back through the database
    loaded = schema_session.get(Council, council_id)
    assert sorted(c.name for c in loaded.chains) == ["build", "ship"]
    assert all(chain.council is loaded for chain in loaded.chains)
    found = schema_session.scalars(
        sa.select(Sprite).where(Sprite.capabilities.contains([{"name": "generate_code"}]), Sprite.id == sprite.id)
    ).all()
    assert found == [sprite]


def test_deleting_a_council_deletes_its_chains(schema_session):
    council = Council(**_council(), chains=[Chain(name="build", steps=[])])
    schema_session.add(council)
    schema_session.flush()
    chain_id = council.chains[0].id
    schema_session.delete(council)
    schema_session.flush()
    schema_session.expire_all()
    assert schema_session.get(Chain, chain_id) is None
