"""Query MyloWare (seed 003) through SQLAlchemy 2.0 models of the `myloware` schema.

The migrations in `sql/myloware/` are the source of truth. These models repeat them name for
name (constraints, indexes, IVFFlat options, comments), so that
`alembic.autogenerate.compare_metadata` against a migrated database reports nothing; the
kit's tests hold them to that. Example::

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
    "Base",
    "Run",
    "Artifact",
    "WebhookEvent",
    "WebhookDlq",
    "OrchestrationCheckpoint",
    "HitlApproval",
    "KbDocument",
    "KbEmbedding",
    "Social",
    "ProjectSocial",
]


def _uuid_pk(comment: str) -> Mapped[uuid.UUID]:
    return mapped_column(
        Uuid, primary_key=True, server_default=func.gen_random_uuid(), comment=comment
    )


def _now(comment: str) -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), comment=comment)


def _children() -> dict[str, Any]:
    # The database cascades the delete (ON DELETE CASCADE); the ORM only has to let it.
    return {"cascade": "all, delete-orphan", "passive_deletes": True}


class Base(DeclarativeBase):
    """Declarative base whose tables all live in the `myloware` schema."""

    metadata = MetaData(schema="myloware")


class Run(Base):
    """One production run of a project."""

    __tablename__ = "runs"
    __table_args__ = {
        "comment": "One production run of a MyloWare project: its lifecycle status plus the "
        "request payload and final result."
    }

    run_id: Mapped[str] = mapped_column(
        Text,
        primary_key=True,
        comment="Caller-chosen run identifier (text, not a UUID) that every other run-scoped "
        "table references.",
    )
    project: Mapped[str] = mapped_column(
        Text, comment="Name of the project (publishing pipeline) the run belongs to."
    )
    status: Mapped[str] = mapped_column(
        Text,
        comment="Current lifecycle state of the run as reported by the orchestrator "
        "(free text in the seed, no CHECK).",
    )
    payload: Mapped[Any | None] = mapped_column(
        JSONB, comment="The request that started the run, as JSON."
    )
    result: Mapped[Any | None] = mapped_column(
        JSONB, comment="The run's final output as JSON; NULL until the run finishes."
    )
    created_at: Mapped[datetime] = _now("When the run row was inserted.")
    updated_at: Mapped[datetime] = _now(
        "When the run row was last changed; the application sets it (there is no trigger)."
    )

    artifacts: Mapped[list[Artifact]] = relationship(back_populates="run", **_children())
    checkpoint: Mapped[OrchestrationCheckpoint | None] = relationship(
        back_populates="run", **_children()
    )
    approvals: Mapped[list[HitlApproval]] = relationship(back_populates="run", **_children())


class Artifact(Base):
    """An output produced during a run."""

    __tablename__ = "artifacts"
    __table_args__ = (
        Index("idx_artifacts_persona", "persona"),
        Index("idx_artifacts_run_id", "run_id"),
        {
            "comment": "Outputs produced during a run: persona deliverables, notifications and "
            "RAG audit records."
        },
    )

    id: Mapped[uuid.UUID] = _uuid_pk("Artifact identifier, a random UUID from gen_random_uuid().")
    run_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("runs.run_id", ondelete="CASCADE"),
        comment="The run that produced the artifact; deleting the run deletes its artifacts.",
    )
    type: Mapped[str] = mapped_column(
        Text,
        comment="Kind of artifact, e.g. a script, a video, a notification or a citations record.",
    )
    url: Mapped[str | None] = mapped_column(
        Text,
        comment="Where the artifact's content is stored, if it lives outside the database.",
    )
    provider: Mapped[str | None] = mapped_column(
        Text, comment="External service that produced or hosts the artifact, if any."
    )
    checksum: Mapped[str | None] = mapped_column(
        Text,
        comment="Checksum of the artifact's content, used to detect changed or duplicate uploads.",
    )
    metadata_: Mapped[Any] = mapped_column(
        "metadata",
        JSONB,
        server_default=text("'{}'::jsonb"),
        comment="Free-form JSON details; for RAG audits it carries the citations that "
        "accompany retrieval_trace.",
    )
    retrieval_trace: Mapped[Any | None] = mapped_column(
        JSONB,
        comment="Structured RAG trace of the persona memory searches behind this artifact, "
        "if any.",
    )
    persona: Mapped[str | None] = mapped_column(
        Text, comment="The persona (agent role) that produced the artifact."
    )
    created_at: Mapped[datetime] = _now("When the artifact was recorded.")

    run: Mapped[Run] = relationship(back_populates="artifacts")


class WebhookEvent(Base):
    """A webhook delivery; a replay with the same idempotency key is refused."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_webhook_events_idempotency"),
        {
            "comment": "Webhook deliveries received from providers, stored raw with their "
            "signature check result."
        },
    )

    id: Mapped[uuid.UUID] = _uuid_pk("Event identifier, a random UUID from gen_random_uuid().")
    idempotency_key: Mapped[str] = mapped_column(
        Text,
        comment="The provider's delivery key; unique, so a replayed webhook is rejected.",
    )
    provider: Mapped[str] = mapped_column(Text, comment="The service that sent the webhook.")
    headers: Mapped[Any] = mapped_column(
        JSONB, comment="The HTTP request headers as a JSON object."
    )
    payload: Mapped[bytes] = mapped_column(
        LargeBinary,
        comment="The raw request body, kept byte-for-byte so the signature can be re-verified.",
    )
    signature_status: Mapped[str] = mapped_column(
        Text, comment="Outcome of the signature verification, e.g. valid or invalid."
    )
    received_at: Mapped[datetime] = _now("When the webhook arrived.")


class WebhookDlq(Base):
    """A failed webhook waiting in the dead-letter queue for its next retry."""

    __tablename__ = "webhook_dlq"
    __table_args__ = (
        UniqueConstraint("idempotency_key", "provider", name="uq_webhook_dlq_idempotency"),
        Index("idx_webhook_dlq_next_retry", "next_retry_at"),
        Index("idx_webhook_dlq_provider", "provider"),
        {
            "comment": "Dead-letter queue: webhooks whose processing failed, kept with their "
            "error for scheduled retries."
        },
    )

    id: Mapped[uuid.UUID] = _uuid_pk(
        "Queue entry identifier, a random UUID from gen_random_uuid()."
    )
    idempotency_key: Mapped[str] = mapped_column(
        Text,
        comment="The failed delivery's key; unique together with provider, so a delivery is "
        "queued once.",
    )
    provider: Mapped[str] = mapped_column(
        Text, comment="The service that sent the failed webhook."
    )
    headers: Mapped[Any] = mapped_column(
        JSONB, comment="The original HTTP request headers as a JSON object."
    )
    payload: Mapped[bytes] = mapped_column(
        LargeBinary, comment="The original raw request body, replayed on retry."
    )
    error: Mapped[str] = mapped_column(Text, comment="The most recent processing error message.")
    retry_count: Mapped[int] = mapped_column(
        Integer,
        server_default=text("0"),
        comment="How many retries have been attempted so far.",
    )
    next_retry_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        comment="When the next retry is due; NULL means no further retry is scheduled.",
    )
    last_error_at: Mapped[datetime] = _now("When the most recent failure happened.")
    created_at: Mapped[datetime] = _now("When the delivery first entered the queue.")
    updated_at: Mapped[datetime] = _now(
        "When the entry was last changed; the application sets it (there is no trigger)."
    )


class OrchestrationCheckpoint(Base):
    """The latest LangGraph state of a run (one per run)."""

    __tablename__ = "orchestration_checkpoints"
    __table_args__ = {
        "comment": "The latest LangGraph state snapshot of each run, so an interrupted run can "
        "resume (at most one per run)."
    }

    run_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("runs.run_id", ondelete="CASCADE"),
        primary_key=True,
        comment="The run this checkpoint belongs to; primary key, so each run keeps only its "
        "latest snapshot.",
    )
    state: Mapped[Any] = mapped_column(
        JSONB, comment="The serialized LangGraph graph state as JSON."
    )
    updated_at: Mapped[datetime] = _now("When the snapshot was last written.")

    run: Mapped[Run] = relationship(back_populates="checkpoint")


class HitlApproval(Base):
    """A human-in-the-loop approval of one gate of a run."""

    __tablename__ = "hitl_approvals"
    __table_args__ = (
        Index("idx_hitl_approvals_run_id", "run_id"),
        {
            "comment": "Audit log of human-in-the-loop approvals: who let a run pass which gate, "
            "and from where."
        },
    )

    id: Mapped[int] = mapped_column(  # SERIAL in the SQL
        Integer,
        primary_key=True,
        comment="Approval identifier from a SERIAL sequence (the seed's choice; the other "
        "tables use UUIDs).",
    )
    run_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("runs.run_id", ondelete="CASCADE"),
        comment="The run whose gate was approved; deleting the run deletes its approvals.",
    )
    gate: Mapped[str] = mapped_column(
        Text, comment="Name of the approval gate in the workflow, e.g. before publishing."
    )
    approver_ip: Mapped[str | None] = mapped_column(
        Text, comment="IP address the approval came from, kept for auditing."
    )
    approver: Mapped[str | None] = mapped_column(
        Text, comment="Identity of the person who approved, if known."
    )
    metadata_: Mapped[Any | None] = mapped_column(
        "metadata",
        JSON,
        comment="Extra approval details as JSON (plain json, not jsonb, as in the seed: "
        "stored verbatim).",
    )
    created_at: Mapped[datetime] = _now("When the approval was given.")

    run: Mapped[Run] = relationship(back_populates="approvals")


class KbDocument(Base):
    """A knowledge-base source document."""

    __tablename__ = "kb_documents"
    __table_args__ = (
        Index("idx_kb_documents_project_persona", "project", "persona"),
        {
            "comment": "Source documents of the knowledge base, optionally scoped to a project "
            "and a persona."
        },
    )

    id: Mapped[uuid.UUID] = _uuid_pk("Document identifier, a random UUID from gen_random_uuid().")
    project: Mapped[str | None] = mapped_column(
        Text, comment="Project the document belongs to; NULL means shared by all projects."
    )
    persona: Mapped[str | None] = mapped_column(
        Text, comment="Persona the document is meant for; NULL means every persona."
    )
    path: Mapped[str] = mapped_column(
        Text, comment="Where the document was loaded from (file path or URL)."
    )
    content: Mapped[str] = mapped_column(Text, comment="The document's full text.")
    created_at: Mapped[datetime] = _now("When the document was loaded.")

    embeddings: Mapped[list[KbEmbedding]] = relationship(
        back_populates="document", **_children()
    )


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
        {
            "comment": "Embedding vectors of knowledge-base document chunks, searched by cosine "
            "distance."
        },
    )

    id: Mapped[uuid.UUID] = _uuid_pk(
        "Embedding identifier, a random UUID from gen_random_uuid()."
    )
    doc_id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        ForeignKey("kb_documents.id", ondelete="CASCADE"),
        comment="The document this embedding was computed from; deleting the document deletes "
        "its embeddings.",
    )
    embedding: Mapped[Any | None] = mapped_column(
        Vector(1536),
        comment="A 1536-dimension pgvector embedding (the size of OpenAI's text-embedding "
        "models), compared with <=>.",
    )

    document: Mapped[KbDocument] = relationship(back_populates="embeddings")


class Social(Base):
    """A social account that runs publish to."""

    __tablename__ = "socials"
    __table_args__ = {
        "comment": "Publish targets: one social media account with its posting defaults."
    }

    id: Mapped[uuid.UUID] = _uuid_pk(
        "Social account identifier, a random UUID from gen_random_uuid()."
    )
    provider: Mapped[str] = mapped_column(
        Text, comment="The social platform, e.g. tiktok or youtube."
    )
    account_id: Mapped[str] = mapped_column(
        Text, comment="The account's identifier on that platform."
    )
    credential_ref: Mapped[str | None] = mapped_column(
        Text,
        comment="Reference to where the account's credentials are kept (never the secret "
        "itself).",
    )
    default_caption: Mapped[str | None] = mapped_column(
        Text, comment="Caption used when a post does not bring its own."
    )
    default_tags: Mapped[Any | None] = mapped_column(
        JSONB, comment="Tags added to every post, as a JSON array."
    )
    privacy: Mapped[str | None] = mapped_column(
        Text, comment="Default visibility of posts, e.g. public or private."
    )
    rate_limit_window: Mapped[int | None] = mapped_column(
        Integer,
        comment="Length of the posting rate-limit window the platform imposes on the account.",
    )
    created_at: Mapped[datetime] = _now("When the account was configured.")

    projects: Mapped[list[ProjectSocial]] = relationship(back_populates="social", **_children())


class ProjectSocial(Base):
    """Links a project to one of its social accounts."""

    __tablename__ = "project_socials"
    __table_args__ = (
        Index("idx_project_socials_social_id", "social_id"),
        {"comment": "Which social accounts each project publishes to."},
    )

    id: Mapped[uuid.UUID] = _uuid_pk("Link identifier, a random UUID from gen_random_uuid().")
    project: Mapped[str] = mapped_column(
        Text, comment="Name of the project that publishes to the account."
    )
    social_id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        ForeignKey("socials.id", ondelete="CASCADE"),
        comment="The social account; deleting the account removes its project links.",
    )
    is_primary: Mapped[bool] = mapped_column(
        Boolean,
        server_default=text("false"),
        comment="Whether this is the project's main account on that platform.",
    )
    created_at: Mapped[datetime] = _now("When the project was linked to the account.")

    social: Mapped[Social] = relationship(back_populates="projects")
