"""IBEX seed: every table filled, memory lifecycles linked correctly, and memories found by meaning."""

from __future__ import annotations

import numpy as np
from kit_fixtures import owner_conn
from psycopg import sql

from dbkit.embed import embed, embedder
from dbkit.seed import SeedContext
from dbkit.seed.ibex import PARAPHRASES, generate, space

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
SUPERSEDED = """
    SELECT new.status, new.agent_id = old.agent_id, new.created_at >= old.created_at, r.id IS NOT NULL
    FROM ibex_core.memories old
    JOIN ibex_core.memories new ON new.id = old.superseded_by
    LEFT JOIN ibex_core.memory_relationships r
      ON r.source_memory_id = new.id AND r.target_memory_id = old.id AND r.relationship_type = 'supersedes'
    WHERE old.status = 'superseded'"""
MERGED = """
    SELECT keep.status, keep.content <> gone.content, r.id IS NOT NULL
    FROM ibex_core.memories gone
    JOIN ibex_core.memories keep ON keep.id = gone.merged_into
    LEFT JOIN ibex_core.memory_relationships r
      ON r.source_memory_id = keep.id AND r.target_memory_id = gone.id AND r.relationship_type = 'merged_from'
    WHERE gone.status = 'merged'"""
ARCHIVED_DUPLICATES = """
    SELECT count(*) FROM ibex_core.memories a
    WHERE a.status = 'archived' AND EXISTS (
        SELECT FROM ibex_core.memories m WHERE m.status = 'active' AND m.deleted_at IS NULL
        AND (m.org_id, m.agent_id, m.content_hash) = (a.org_id, a.agent_id, a.content_hash))"""
NEAREST = """
    SELECT content FROM ibex_core.memories WHERE status = 'active' AND deleted_at IS NULL
    ORDER BY embedding <=> %s LIMIT 20"""


def _rows(url: str, query, params=()) -> list[tuple]:
    with owner_conn(url) as conn:  # every organization's rows, also as an owner that forced policies bind
        return conn.execute(query, params).fetchall()


def _one(url: str, query, params=()):
    return _rows(url, query, params)[0][0]


def test_every_table_has_rows(seeded_db):
    count = sql.SQL("SELECT count(*) FROM {}")
    counts = {t: _one(seeded_db, count.format(sql.Identifier("ibex_core", t))) for t in TABLES}
    assert [t for t, n in counts.items() if n == 0] == [], counts
    assert counts["organizations"] == 3 and counts["memories"] >= 1200


def test_tiers_roles_categories_and_statuses(seeded_db):
    tiers = _rows(seeded_db, "SELECT tier FROM ibex_core.organizations ORDER BY 1")
    assert tiers == [("enterprise",), ("free",), ("pro",)]
    assert _one(seeded_db, "SELECT count(DISTINCT role) FROM ibex_core.users") == 4
    assert _one(seeded_db, "SELECT count(DISTINCT status) FROM ibex_core.memories") == 5
    assert _one(seeded_db, "SELECT count(DISTINCT status) FROM ibex_core.sessions") == 7
    assert _one(seeded_db, "SELECT bool_and(last_heartbeat_at IS NOT NULL) FROM ibex_core.sessions WHERE status = 'active'")
    categories = dict(_rows(seeded_db, "SELECT category, count(*) FROM ibex_core.memories GROUP BY 1"))
    assert sorted(categories) == ["behavioral", "episodic", "factual", "preference", "procedural"]
    assert min(categories.values()) >= 150, categories


def test_hashes_are_sha256_and_no_secret_is_stored(seeded_db):
    for table in ("memories", "directives"):
        query = sql.SQL("SELECT bool_and(content_hash = encode(sha256(convert_to(content, 'UTF8')), 'hex')) FROM {}")
        assert _one(seeded_db, query.format(sql.Identifier("ibex_core", table)))
    assert _one(seeded_db, "SELECT bool_and(hash ~ '^[0-9a-f]{64}$' AND prefix LIKE 'ibx_%%') FROM ibex_core.tokens")
    assert _one(seeded_db, "SELECT count(*) FROM ibex_core.tokens WHERE is_revoked") > 0
    assert _one(seeded_db, "SELECT count(*) FROM ibex_core.tokens WHERE expires_at IS NOT NULL") > 0


def test_superseded_memories_point_to_the_newer_active_one(seeded_db):
    rows = _rows(seeded_db, SUPERSEDED)
    assert len(rows) >= 20
    assert set(rows) == {("active", True, True, True)}
    assert _one(seeded_db, "SELECT count(*) FROM ibex_core.memories WHERE status = 'superseded' AND superseded_by IS NULL") == 0


def test_merged_memories_point_into_their_survivor(seeded_db):
    rows = _rows(seeded_db, MERGED)
    assert len(rows) >= 15
    assert set(rows) == {("active", True, True)}


def test_archived_duplicates_share_the_hash_of_an_active_memory(seeded_db):
    assert _one(seeded_db, ARCHIVED_DUPLICATES) >= 20


def test_versions_start_with_created(seeded_db):
    assert (
        _one(
            seeded_db,
            """
        SELECT count(*) FROM ibex_core.memories m WHERE NOT EXISTS (SELECT FROM ibex_core.memory_versions v
        WHERE v.memory_id = m.id AND v.version_num = 1 AND v.operation = 'created')""",
        )
        == 0
    )
    assert _one(seeded_db, "SELECT count(DISTINCT operation) FROM ibex_core.memory_versions") == 6


def test_at_most_one_active_directive_per_name(seeded_db):
    per_name = [
        n
        for (n,) in _rows(
            seeded_db, "SELECT count(*) FILTER (WHERE status = 'active') FROM ibex_core.directives GROUP BY org_id, name"
        )
    ]
    assert max(per_name) == 1 and min(per_name) == 0
    assert _one(seeded_db, "SELECT count(DISTINCT status) FROM ibex_core.directives") >= 4


def test_paraphrases_find_their_memory_first(seeded_db):
    """The semantic demo: a question worded differently finds the memory it is about, by cosine distance."""
    name = embedder().name
    seeded_with = _one(seeded_db, "SELECT embedder FROM dbkit.seed_runs WHERE schema = 'ibex_core'")
    assert not name.startswith("hashing") and seeded_with == name, f"embedder {name!r} (seeded with {seeded_with!r})"
    assert _one(seeded_db, "SELECT count(*) FROM ibex_core.memories") >= 1000
    ranks, firsts = [], []
    with owner_conn(seeded_db) as conn:
        for memory, query in PARAPHRASES:
            vector = embed([query])[0]
            firsts.append(conn.execute(NEAREST.replace("LIMIT 20", "LIMIT 1"), (vector,)).fetchone()[0] == memory)
            found = list(dict.fromkeys(c for (c,) in conn.execute(NEAREST, (vector,))))  # for the message
            ranks.append(found.index(memory) + 1 if memory in found else None)
    assert sum(firsts) >= 4, f"ranks {ranks} with embedder {name!r}"


def _generate(seed_value: int, scale: int = 1, calls: list | None = None):
    def counted(texts):  # these tests are about everything but the vectors: zeros, not even the hashing fallback's
        if calls is not None:
            calls.append(len(texts))
        return np.zeros((len(texts), 384), np.float32)

    return generate(SeedContext("ibex_core", seed=seed_value, scale=scale, embed=counted))


def _live_texts(seed_value: int, scale: int, calls: list | None = None) -> list[str]:
    memories = {t.name: t.rows for t in _generate(seed_value, scale, calls)}["memories"]
    return [m["content"] for m in memories if m["status"] == "active" and m["deleted_at"] is None]


def test_distinct_texts_grow_with_scale():
    """Every memory an agent gets is a new draw of the grammar: live texts stay distinct as --scale grows.

    (The old generator drew from a bounded pool: at --scale 100 its 111,709 live memories held 1,500 texts.)
    """
    calls: list[int] = []
    one, three = _live_texts(42, 1, calls), _live_texts(42, 3, calls)
    for texts in (one, three):
        assert len(set(texts)) >= 0.95 * len(texts)
    assert len(set(three)) >= 2.8 * len(set(one))
    assert calls[-1] >= 2.8 * calls[0]  # and so does what there is to embed: dbkit.embed caches it on disk
    assert space() >= 10**9  # --scale 100 draws about 130,000 texts from it


def test_the_grammar_is_deterministic_and_keeps_the_curated_memories():
    assert _live_texts(42, 1) == _live_texts(42, 1)
    assert _live_texts(42, 1) != _live_texts(7, 1)
    live = set(_live_texts(42, 2))
    assert {memory for memory, _ in PARAPHRASES} <= live
