"""The myloware schema (sql/myloware, dbkit/models/myloware.py) against a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
import sqlalchemy as sa
from psycopg.errors import DataException, UniqueViolation
from psycopg.types.json import Jsonb

from dbkit.models.myloware import (
    Artifact,
    HitlApproval,
    KbDocument,
    KbEmbedding,
    OrchestrationCheckpoint,
    ProjectSocial,
    Run,
    Social,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)
DIM = 1536
TABLES = {
    "runs", "artifacts", "webhook_events", "webhook_dlq", "orchestration_checkpoints",
    "hitl_approvals", "kb_documents", "kb_embeddings", "socials", "project_socials",
}  # fmt: skip
SEED_INDEXES = {
    "idx_artifacts_persona", "idx_webhook_dlq_next_retry", "idx_webhook_dlq_provider",
    "idx_hitl_approvals_run_id", "idx_kb_documents_project_persona", "idx_kb_embeddings_doc",
    "idx_kb_embeddings_cosine",
}  # fmt: skip


@pytest.fixture
def conn(schema_conn):
    """A connection with myloware first on its search_path, rolled back at the end: the shared database stays empty."""
    return schema_conn("myloware")


def _webhook(conn, key: str, provider: str = "kie") -> None:
    conn.execute(
        "INSERT INTO webhook_events (idempotency_key, provider, headers, payload, signature_status)"
        " VALUES (%s, %s, %s, %s, 'valid')",
        (key, provider, Jsonb({"content-type": "application/json"}), b'{"ok": true}'),
    )


def _unit(i: int) -> np.ndarray:
    vec = np.zeros(DIM, dtype=np.float32)
    vec[i] = 1.0
    return vec


def test_replayed_webhook_is_refused_by_the_idempotency_constraint(conn):
    _webhook(conn, "delivery-1")
    with pytest.raises(UniqueViolation) as caught, conn.transaction():
        _webhook(conn, "delivery-1")
    assert caught.value.diag.constraint_name == "uq_webhook_events_idempotency"


def test_replay_can_be_ignored_with_on_conflict(conn):
    _webhook(conn, "delivery-2")
    cur = conn.execute(
        "INSERT INTO webhook_events (idempotency_key, provider, headers, payload, signature_status)"
        " VALUES ('delivery-2', 'kie', '{}', '\\x00', 'valid')"
        " ON CONFLICT ON CONSTRAINT uq_webhook_events_idempotency DO NOTHING"
    )
    assert cur.rowcount == 0


def test_dlq_is_unique_per_key_and_provider(conn):
    insert = "INSERT INTO webhook_dlq (idempotency_key, provider, headers, payload, error) VALUES (%s, %s, '{}', '\\x00', 'boom')"
    conn.execute(insert, ("k", "kie"))
    conn.execute(insert, ("k", "shotstack"))  # same key, other provider: a different delivery
    with pytest.raises(UniqueViolation) as caught, conn.transaction():
        conn.execute(insert, ("k", "kie"))
    assert caught.value.diag.constraint_name == "uq_webhook_dlq_idempotency"


def test_dlq_retry_queue_reads_in_next_retry_order_through_its_index(conn):
    rows = [(f"k{i}", "kie", Jsonb({}), b"\x00", "timeout", NOW + timedelta(minutes=(i * 37) % 200)) for i in range(200)]
    rows += [(f"done{i}", "kie", Jsonb({}), b"\x00", "gave up", None) for i in range(20)]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO webhook_dlq (idempotency_key, provider, headers, payload, error, next_retry_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )
    conn.execute("ANALYZE webhook_dlq")
    queue = "SELECT id, next_retry_at FROM webhook_dlq WHERE next_retry_at <= %s ORDER BY next_retry_at LIMIT 10"
    due = conn.execute(queue, (NOW + timedelta(minutes=60),)).fetchall()
    assert [r[1] for r in due] == sorted(r[1] for r in due)
    assert len(due) == 10 and due[0][1] == NOW
    # Planner choices on a small table are cost-based; forbid the alternatives to show the index serves it.
    conn.execute("SET LOCAL enable_seqscan = off")
    conn.execute("SET LOCAL enable_sort = off")
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + queue, (NOW,)))
    assert "idx_webhook_dlq_next_retry" in plan


def test_vector_1536_insert_and_cosine_query(conn):
    doc = conn.execute("INSERT INTO kb_documents (path, content) VALUES ('a.md', 'A') RETURNING id").fetchone()[0]
    for i in range(3):
        conn.execute("INSERT INTO kb_embeddings (doc_id, embedding) VALUES (%s, %s)", (doc, _unit(i)))
    query = _unit(1) + 0.1 * _unit(2)
    # ivfflat.probes = lists searches every list, so the approximate index answers exactly.
    conn.execute("SET LOCAL ivfflat.probes = 10")
    rows = conn.execute(
        "SELECT embedding, embedding <=> %s AS distance FROM kb_embeddings ORDER BY embedding <=> %s LIMIT 3",
        (query, query),
    ).fetchall()
    assert np.array_equal(rows[0][0].to_numpy(), _unit(1))
    assert [round(r[1], 4) for r in rows] == [round(1 - 1 / np.sqrt(1.01), 4), round(1 - 0.1 / np.sqrt(1.01), 4), 1.0]
    conn.execute("SET LOCAL enable_seqscan = off")
    plan = "\n".join(
        r[0] for r in conn.execute("EXPLAIN SELECT id FROM kb_embeddings ORDER BY embedding <=> %s LIMIT 3", (query,))
    )
    assert "idx_kb_embeddings_cosine" in plan


def test_vector_of_the_wrong_size_is_refused(conn):
    doc = conn.execute("INSERT INTO kb_documents (path, content) VALUES ('a.md', 'A') RETURNING id").fetchone()[0]
    with pytest.raises(DataException, match="expected 1536 dimensions, not 3"), conn.transaction():
        conn.execute("INSERT INTO kb_embeddings (doc_id, embedding) VALUES (%s, '[1,2,3]')", (doc,))


def test_cosine_index_is_ivfflat_with_ten_lists(conn):
    definition = conn.execute("SELECT pg_get_indexdef('myloware.idx_kb_embeddings_cosine'::regclass)").fetchone()[0]
    assert "USING ivfflat (embedding vector_cosine_ops) WITH (lists='10')" in definition


def test_deleting_a_run_cascades_to_artifacts_checkpoint_and_approvals(conn):
    conn.execute("INSERT INTO runs (run_id, project, status) VALUES ('r1', 'aismr', 'running')")
    conn.execute("INSERT INTO artifacts (run_id, type) VALUES ('r1', 'script')")
    conn.execute("INSERT INTO orchestration_checkpoints (run_id, state) VALUES ('r1', '{}')")
    conn.execute("INSERT INTO hitl_approvals (run_id, gate) VALUES ('r1', 'publish')")
    conn.execute("DELETE FROM runs WHERE run_id = 'r1'")
    for table in ("artifacts", "orchestration_checkpoints", "hitl_approvals"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_deleting_documents_and_socials_cascades(conn):
    doc = conn.execute("INSERT INTO kb_documents (path, content) VALUES ('a.md', 'A') RETURNING id").fetchone()[0]
    conn.execute("INSERT INTO kb_embeddings (doc_id, embedding) VALUES (%s, %s)", (doc, _unit(0)))
    social = conn.execute("INSERT INTO socials (provider, account_id) VALUES ('tiktok', '@a') RETURNING id").fetchone()[0]
    conn.execute("INSERT INTO project_socials (project, social_id) VALUES ('aismr', %s)", (social,))
    conn.execute("DELETE FROM kb_documents")
    conn.execute("DELETE FROM socials")
    assert conn.execute("SELECT (SELECT count(*) FROM kb_embeddings) + (SELECT count(*) FROM project_socials)").fetchone()[0] == 0


@pytest.mark.parametrize("table", ["orchestration_checkpoints", "hitl_approvals"])
def test_checkpoints_and_approvals_need_an_existing_run(conn, table):
    column = "state" if table == "orchestration_checkpoints" else "gate"
    with pytest.raises(psycopg.errors.ForeignKeyViolation), conn.transaction():
        conn.execute(
            f"INSERT INTO {table} (run_id, {column}) VALUES ('no-such-run', %s)", (Jsonb({}) if column == "state" else "g",)
        )


def test_uuid_defaults_come_from_gen_random_uuid(conn):
    row = conn.execute("INSERT INTO socials (provider, account_id) VALUES ('youtube', 'c') RETURNING id").fetchone()
    assert isinstance(row[0], uuid.UUID) and row[0].version == 4
    defaults = conn.execute(
        "SELECT DISTINCT column_default FROM information_schema.columns"
        " WHERE table_schema = 'myloware' AND column_name = 'id' AND data_type = 'uuid'"
    ).fetchall()
    assert defaults == [("gen_random_uuid()",)]


def test_tables_and_seed_indexes_are_there(conn):
    tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'myloware'")}
    assert tables == TABLES
    indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'myloware'")}
    assert SEED_INDEXES | {"uq_webhook_events_idempotency", "uq_webhook_dlq_idempotency"} <= indexes


def test_every_foreign_key_column_leads_an_index(conn):
    unindexed = conn.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c
        WHERE c.contype = 'f' AND c.connamespace = 'myloware'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
        """
    ).fetchall()
    assert unindexed == []


def test_every_table_and_column_has_a_comment(conn):
    missing = conn.execute(
        """
        SELECT c.relname, a.attname FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = 'myloware'::regnamespace AND c.relkind = 'r'
          AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)
        """
    ).fetchall()
    assert missing == []


def test_models_load_relationships_and_let_the_database_cascade(schema_session):
    run = Run(run_id=f"r-{uuid.uuid4()}", project="aismr", status="running", payload={"topic": "x"})
    run.artifacts.append(Artifact(type="script", metadata_={"citations": []}))
    run.checkpoint = OrchestrationCheckpoint(state={"node": "write"})
    run.approvals.append(HitlApproval(gate="publish", metadata_={"via": "slack"}))
    doc = KbDocument(path="a.md", content="A", embeddings=[KbEmbedding(embedding=_unit(0))])
    social = Social(provider="tiktok", account_id="@a", projects=[ProjectSocial(project="aismr")])
    schema_session.add_all([run, doc, social])
    schema_session.flush()
    schema_session.expire_all()

    loaded = schema_session.get(Run, run.run_id)
    assert [a.type for a in loaded.artifacts] == ["script"]
    assert loaded.artifacts[0].metadata_ == {"citations": []}
    assert loaded.checkpoint.state == {"node": "write"} and loaded.approvals[0].id > 0
    assert loaded.created_at.tzinfo is not None and loaded.artifacts[0].id.version == 4
    nearest = schema_session.scalars(
        sa.select(KbEmbedding).order_by(KbEmbedding.embedding.cosine_distance(_unit(0))).limit(1)
    ).one()
    assert nearest.document.path == "a.md"
    assert schema_session.get(Social, social.id).projects[0].is_primary is False

    schema_session.delete(loaded)
    schema_session.flush()
    for model in (Artifact, OrchestrationCheckpoint, HitlApproval):
        assert schema_session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
