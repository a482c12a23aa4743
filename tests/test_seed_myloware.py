"""MyloWare seed: runs through the persona pipeline, webhooks and their retry queue, a searchable knowledge base."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from dbkit import connect
from dbkit.embed import HashingEmbedder, embed, embedder, pad_1536
from dbkit.seed import END, SeedContext
from dbkit.seed.myloware import KB_QUERIES, generate

TABLES = [
    "runs",
    "artifacts",
    "webhook_events",
    "webhook_dlq",
    "orchestration_checkpoints",
    "hitl_approvals",
    "kb_documents",
    "kb_embeddings",
    "socials",
    "project_socials",
]
NEAREST_DOCUMENT = """
    SELECT d.path FROM myloware.kb_embeddings e JOIN myloware.kb_documents d ON d.id = e.doc_id
    ORDER BY e.embedding <=> %s LIMIT 1"""
REPLAY = """
    INSERT INTO myloware.webhook_events (idempotency_key, provider, headers, payload, signature_status)
    SELECT idempotency_key, provider, headers, payload, signature_status FROM myloware.webhook_events LIMIT 1"""


def _rows(url: str, query, params=()) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute(query, params).fetchall()


def _one(url: str, query, params=()):
    return _rows(url, query, params)[0][0]


def test_every_table_has_rows(seeded_db):
    count = sql.SQL("SELECT count(*) FROM {}")
    counts = {t: _one(seeded_db, count.format(sql.Identifier("myloware", t))) for t in TABLES}
    assert [t for t, n in counts.items() if n == 0] == [], counts
    assert counts["kb_documents"] == 150 and counts["kb_embeddings"] >= counts["kb_documents"]


def test_payload_containment_selects_real_subsets(seeded_db):
    runs = _one(seeded_db, "SELECT count(*) FROM myloware.runs")
    for fragment in ('{"persona": "brendan"}', '{"project": "aismr"}', '{"options": {"voiceover": true}}'):
        n = _one(seeded_db, "SELECT count(*) FROM myloware.runs WHERE payload @> %s::jsonb", (fragment,))
        assert 0.1 * runs <= n <= 0.9 * runs, (fragment, n, runs)
    assert _one(seeded_db, "SELECT count(DISTINCT status) FROM myloware.runs") >= 5


def test_citations_carry_a_retrieval_trace_of_real_documents(seeded_db):
    rows = _rows(seeded_db, "SELECT metadata, retrieval_trace FROM myloware.artifacts WHERE type = 'citations'")
    assert rows and all(meta["citations"] and trace["results"] for meta, trace in rows)
    paths = {p for (p,) in _rows(seeded_db, "SELECT path FROM myloware.kb_documents")}
    assert {r["path"] for _, trace in rows for r in trace["results"]} <= paths


def test_knowledge_base_search_finds_the_document_on_the_topic(seeded_db):
    assert not embedder().name.startswith("hashing"), f"embedder {embedder().name!r}"
    with connect(seeded_db) as conn, conn.transaction():
        # IVFFlat with the default probes = 1 searches one list of ten, and may miss the nearest chunk:
        # probing all 10 lists makes the search exact, which is what this test is about.
        conn.execute("SET LOCAL ivfflat.probes = 10")
        for path, query in KB_QUERIES:
            assert conn.execute(NEAREST_DOCUMENT, (pad_1536(embed([query]))[0],)).fetchone() == (path,), query


def test_embeddings_are_padded_384_d_vectors(seeded_db):
    shapes = _rows(
        seeded_db,
        "SELECT DISTINCT vector_dims(embedding), vector_norm(subvector(embedding, 385, 1152)) = 0 FROM myloware.kb_embeddings",
    )
    assert shapes == [(1536, True)]


def test_dead_letter_queue_is_read_by_next_retry_at(seeded_db):
    queue = _rows(
        seeded_db, "SELECT next_retry_at FROM myloware.webhook_dlq WHERE next_retry_at IS NOT NULL ORDER BY next_retry_at"
    )
    assert queue and queue == sorted(queue)
    assert any(due <= END for (due,) in queue) and any(due > END for (due,) in queue)
    assert _one(seeded_db, "SELECT count(*) FROM myloware.webhook_dlq WHERE next_retry_at IS NULL") > 0
    dead = _one(seeded_db, "SELECT count(*) FROM myloware.webhook_dlq")
    assert (
        _one(
            seeded_db, "SELECT count(*) FROM myloware.webhook_dlq JOIN myloware.webhook_events USING (idempotency_key, provider)"
        )
        == dead
    )


def test_a_replayed_webhook_is_rejected(seeded_db):
    with connect(seeded_db) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation, match="uq_webhook_events_idempotency"):
            conn.execute(REPLAY)


def test_gates_checkpoints_and_primary_socials(seeded_db):
    gates = {g for (g,) in _rows(seeded_db, "SELECT DISTINCT gate FROM myloware.hitl_approvals")}
    assert gates == {"ideate", "script", "publish"}
    saved = _one(seeded_db, "SELECT count(*) FROM myloware.orchestration_checkpoints")
    assert 0 < saved < _one(seeded_db, "SELECT count(*) FROM myloware.runs")
    primaries = _rows(
        seeded_db, "SELECT DISTINCT count(*) FILTER (WHERE is_primary) FROM myloware.project_socials GROUP BY project"
    )
    assert primaries == [(1,)]


def _generate(seed_value: int):
    return generate(SeedContext("myloware", seed=seed_value, embed=HashingEmbedder().embed))
