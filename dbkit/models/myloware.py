"""Query MyloWare (seed 003) through SQLAlchemy 2.0 models of the `myloware` schema.

The migrations in `sql/myloware/` are the source of truth. These models repeat them name for
name (constraints, indexes, IVFFlat options), so that `alembic.autogenerate.compare_metadata`
against a migrated database reports nothing; the kit's tests hold them to that. They carry no
comments: those live only in the SQL files (`COMMENT ON`) and reach readers through the catalog
(`dbkit.catalog`), from which `dbkit check` checks comment coverage. Example::

    from sqlalchemy import select
    from dbkit.models.myloware import KbEmbedding

    nearest = select(KbEmbedding).order_by(KbEmbedding.embedding.cosine_distance(vec)).limit(5)

Columns named `metadata` are mapped to the attribute `metadata_` (`Base.metadata` is taken).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Artifact",
    "Base",
    "HitlApproval",
    "KbDocument",
    "KbEmbedding",
    "OrchestrationCheckpoint",
    "ProjectSocial",
    "Run",
    "Social",
    "WebhookDlq",
    "WebhookEvent",
]


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, server_default=func.gen_random_uuid())


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _children() -> dict[str, Any]:
    # The database cascades the delete (ON DELETE CASCADE); the ORM only has to let it.
    return {"cascade": "all, delete-orphan", "passive_deletes": True}


class Base(DeclarativeBase):
    """Declarative base whose tables all live in the `myloware` schema."""

    metadata = MetaData(schema="myloware")


class Run(Base):
    """One production run of a project."""

    __tablename__ = "runs"
    __table_args__ = (
        # Containment (payload @> ...): sql/myloware/0007_containment_indexes.sql
        Index("idx_runs_payload", "payload", postgresql_using="gin", postgresql_ops={"payload": "jsonb_path_ops"}),
    )

    run_id: Mapped[str] = mapped_column(Text, primary_key=True)
    project: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any | None] = mapped_column(JSONB)
    result: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

    artifacts: Mapped[list[Artifact]] = relationship(back_populates="run", **_children())
    checkpoint: Mapped[OrchestrationCheckpoint | None] = relationship(back_populates="run", **_children())
    approvals: Mapped[list[HitlApproval]] = relationship(back_populates="run", **_children())


class Artifact(Base):
    """An output produced during a run."""

    __tablename__ = "artifacts"
    __table_args__ = (
        Index("idx_artifacts_persona", "persona"),
        Index("idx_artifacts_run_id", "run_id"),
        Index(
            "idx_artifacts_retrieval_trace",
            "retrieval_trace",
            postgresql_using="gin",
            postgresql_ops={"retrieval_trace": "jsonb_path_ops"},
        ),  # fmt: skip
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    run_id: Mapped[str] = mapped_column(Text, ForeignKey("runs.run_id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(Text)
    checksum: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[Any] = mapped_column("metadata", JSONB, server_default=text("'{}'::jsonb"))
    retrieval_trace: Mapped[Any | None] = mapped_column(JSONB)
    persona: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()

    run: Mapped[Run] = relationship(back_populates="artifacts")


class WebhookEvent(Base):
    """A webhook delivery; a replay with the same idempotency key is refused."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_webhook_events_idempotency"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    idempotency_key: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    headers: Mapped[Any] = mapped_column(JSONB)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    signature_status: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = _now()


class WebhookDlq(Base):
    """A failed webhook waiting in the dead-letter queue for its next retry."""

    __tablename__ = "webhook_dlq"
    __table_args__ = (
        UniqueConstraint("idempotency_key", "provider", name="uq_webhook_dlq_idempotency"),
        Index("idx_webhook_dlq_next_retry", "next_retry_at"),
        Index("idx_webhook_dlq_provider", "provider"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    idempotency_key: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    headers: Mapped[Any] = mapped_column(JSONB)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error_at: Mapped[datetime] = _now()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class OrchestrationCheckpoint(Base):
    """The latest LangGraph state of a run (one per run)."""

    __tablename__ = "orchestration_checkpoints"

    run_id: Mapped[str] = mapped_column(Text, ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[Any] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = _now()

    run: Mapped[Run] = relationship(back_populates="checkpoint")


class HitlApproval(Base):
    """A human-in-the-loop approval of one gate of a run."""

    __tablename__ = "hitl_approvals"
    __table_args__ = (Index("idx_hitl_approvals_run_id", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # SERIAL in the SQL
    run_id: Mapped[str] = mapped_column(Text, ForeignKey("runs.run_id", ondelete="CASCADE"))
    gate: Mapped[str] = mapped_column(Text)
    approver_ip: Mapped[str | None] = mapped_column(Text)
    approver: Mapped[str | None] = mapped_column(Text)
    # Plain json, not jsonb, as in the seed: the details are stored verbatim.
    metadata_: Mapped[Any | None] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime] = _now()

    run: Mapped[Run] = relationship(back_populates="approvals")


class KbDocument(Base):
    """A knowledge-base source document."""

    __tablename__ = "kb_documents"
    __table_args__ = (Index("idx_kb_documents_project_persona", "project", "persona"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    project: Mapped[str | None] = mapped_column(Text)
    persona: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()

    embeddings: Mapped[list[KbEmbedding]] = relationship(back_populates="document", **_children())


class KbEmbedding(Base):
    """A 1536-d embedding of a document chunk, searched by cosine distance."""

    __tablename__ = "kb_embeddings"
    __table_args__ = (
        Index("idx_kb_embeddings_doc", "doc_id"),
        Index(
            "idx_kb_embeddings_cosine",
            "embedding",
            postgresql_using="ivfflat",
            postgresql_ops={"embedding": "vector_cosine_ops"},
            postgresql_with={"lists": 10},  # why 10: see sql/myloware/0005_knowledge_base.sql
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    doc_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("kb_documents.id", ondelete="CASCADE"))
    embedding: Mapped[Any | None] = mapped_column(Vector(1536))

    document: Mapped[KbDocument] = relationship(back_populates="embeddings")


class Social(Base):
    """A social account that runs publish to."""

    __tablename__ = "socials"

    id: Mapped[uuid.UUID] = _uuid_pk()
    provider: Mapped[str] = mapped_column(Text)
    account_id: Mapped[str] = mapped_column(Text)
    credential_ref: Mapped[str | None] = mapped_column(Text)
    default_caption: Mapped[str | None] = mapped_column(Text)
    default_tags: Mapped[Any | None] = mapped_column(JSONB)
    privacy: Mapped[str | None] = mapped_column(Text)
    rate_limit_window: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now()

    projects: Mapped[list[ProjectSocial]] = relationship(back_populates="social", **_children())


class ProjectSocial(Base):
    """Links a project to one of its social accounts."""

    __tablename__ = "project_socials"
    __table_args__ = (Index("idx_project_socials_social_id", "social_id"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    project: Mapped[str] = mapped_column(Text)
    social_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("socials.id", ondelete="CASCADE"))
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = _now()

    social: Mapped[Social] = relationship(back_populates="projects")
