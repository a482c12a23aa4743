"""dbkit.seed.iris: sprites, councils, chains and executions that satisfy every CHECK and hang together."""

from __future__ import annotations

import psycopg
import pytest

from dbkit.seed import SeedContext
from dbkit.seed.iris import generate

TABLES = ("sprites", "councils", "chains", "execution_history")


@pytest.fixture
def conn(seeded_db):
    with psycopg.connect(seeded_db) as conn:
        conn.execute("SET search_path TO iris")
        yield conn


def _one(conn, query: str):
    return conn.execute(query).fetchone()[0]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_has_rows(conn, table):
    assert _one(conn, f"SELECT count(*) FROM {table}") > 0


def test_seed_containment_query_selects_a_subset(conn):
    total = _one(conn, "SELECT count(*) FROM sprites")
    coders = _one(conn, """SELECT count(*) FROM sprites WHERE capabilities @> '[{"name": "generate_code"}]'""")
    assert 0 < coders < total


def test_all_six_roles_and_gate_authority(conn):
    roles = {r for (r,) in conn.execute("SELECT DISTINCT role FROM sprites")}
    assert roles == {"architect", "builder", "reviewer", "tester", "guardian", "scribe"}
    assert _one(conn, "SELECT bool_and(gate_authority) FROM sprites WHERE role = 'guardian'")


def test_sha256_fingerprints_are_the_prompt_digest(conn):
    wrong = _one(
        conn,
        "SELECT count(*) FROM sprites WHERE fingerprint_algorithm = 'sha256' "
        "AND fingerprint_hash <> encode(sha256(convert_to(system_prompt, 'UTF8')), 'hex')",
    )
    assert wrong == 0
    assert _one(conn, "SELECT count(*) FROM sprites WHERE fingerprint_algorithm = 'sha256'") > 0


def test_councils_and_chains_name_real_sprites(conn):
    strangers = _one(
        conn,
        """
        SELECT count(*) FROM councils c,
            jsonb_array_elements_text(c.sprites || c.gate_agents) AS member(id)
        WHERE NOT EXISTS (SELECT 1 FROM sprites s WHERE s.id = member.id::uuid)""",
    )
    unnamed = _one(
        conn,
        """
        SELECT count(*) FROM chains ch, jsonb_array_elements(ch.steps) AS step
        WHERE NOT EXISTS (SELECT 1 FROM sprites s WHERE s.name = step->>'sprite')""",
    )
    gatekeepers = _one(
        conn,
        """
        SELECT bool_and(s.gate_authority) FROM councils c, jsonb_array_elements_text(c.gate_agents) AS g(id)
        JOIN sprites s ON s.id = g.id::uuid""",
    )
    assert (strangers, unnamed) == (0, 0)
    assert gatekeepers


def test_executions_have_every_status_and_consistent_times(conn):
    statuses = dict(conn.execute("SELECT status, count(*) FROM execution_history GROUP BY 1").fetchall())
    assert set(statuses) == {"completed", "failed", "vetoed"}
    assert statuses["completed"] > statuses["failed"] > 0 and statuses["vetoed"] > 0
    inconsistent = _one(
        conn,
        """
        SELECT count(*) FROM execution_history
        WHERE duration_ms <> round(extract(epoch FROM completed_at - started_at) * 1000)
           OR (status = 'completed') = (error_message IS NOT NULL)""",
    )
    assert inconsistent == 0
    vetoes = _one(
        conn,
        """SELECT count(*) FROM execution_history
                           WHERE status = 'vetoed' AND gates @> '[{"decision": "veto"}]'""",
    )
    assert vetoes == statuses["vetoed"]


def test_history_points_at_real_chains(conn):
    orphans = _one(
        conn,
        """
        SELECT count(*) FROM execution_history h
        WHERE NOT EXISTS (SELECT 1 FROM chains c WHERE c.id = h.chain_id AND c.council_id = h.council_id)""",
    )
    assert orphans == 0


def _rows(seed_value: int, scale: int = 1) -> dict[str, list]:
    return {t.name: t.rows for t in generate(SeedContext("iris", seed=seed_value, scale=scale))}


def test_scale_multiplies_the_bulk_tables():
    one, three = _rows(42), _rows(42, scale=3)
    assert len(three["sprites"]) == 3 * len(one["sprites"])
    assert len(three["execution_history"]) == 3 * len(one["execution_history"])
    assert len({row["name"] for row in three["sprites"]}) == len(three["sprites"])  # names stay unique
