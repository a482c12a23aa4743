"""Typed SQLAlchemy 2.0 models of the `ibex_core` schema (seed 001): import them, never redefine them.

The DDL lives in `sql/ibex/`; these classes mirror it name for name (constraints and indexes)
so that `alembic.autogenerate.compare_metadata` finds no drift. They carry no comments: those live
only in the SQL files (`COMMENT ON`) and reach readers through the catalog (`dbkit.catalog`), from
which `dbkit check` checks comment coverage. Importing this module also imports
`pgvector.sqlalchemy`, which registers the `vector` type for reflection.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Agent",
    "Base",
    "Checkpoint",
    "Directive",
    "Memory",
    "MemoryCategory",
    "MemoryRelationship",
    "MemorySource",
    "MemoryStatus",
    "MemoryTag",
    "MemoryVersion",
    "Organization",
    "Session",
    "Token",
    "User",
]

SCHEMA = "ibex_core"
# The predicate shared by the dedup index, the HNSW index and every memory query: only live rows.
LIVE_MEMORY = "status = 'active' AND deleted_at IS NULL"


class Base(DeclarativeBase):
    """Declarative base of the ibex_core models; `Base.metadata` is what the drift check compares."""

    metadata = MetaData(schema=SCHEMA)
    # Text, not VARCHAR, and timestamptz, not timestamp: the SQL files use them throughout.
    type_annotation_map = {
        str: Text(),
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
        dict[str, Any]: JSONB(),
        list[str]: ARRAY(Text()),
    }


def _pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, server_default=func.gen_random_uuid())


def _fk(target: str, ondelete: str, *, nullable: bool = False) -> Any:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _jsonb() -> Mapped[dict[str, Any]]:
    return mapped_column(server_default=text("'{}'::jsonb"))


def _created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def _updated_at() -> Mapped[datetime]:
    # The trigger set_updated_at() is the authority; onupdate makes the ORM expire the old value too.
    return mapped_column(server_default=func.now(), onupdate=func.now())


def _deleted_at() -> Mapped[datetime | None]:
    return mapped_column()


def _one_of(column: str, values: type[enum.Enum] | tuple[str, ...], name: str) -> CheckConstraint:
    allowed = [m.value for m in values] if isinstance(values, type) else list(values)
    quoted = ", ".join(f"'{v}'" for v in allowed)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


def _children(target: str, back: str, **kw: Any) -> Any:
    # The database cascades or nulls the children itself (ON DELETE); the ORM must not try first.
    return relationship(target, back_populates=back, passive_deletes=True, **kw)


ORG_FK = f"{SCHEMA}.organizations.id"
SLUG_FORMAT = "^[a-z0-9-]+$"
EMAIL_FORMAT = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Organization(Base):
    """A tenant: every other ibex_core row belongs to exactly one organization."""

    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("slug", name="organizations_slug_key"),
        CheckConstraint(f"slug ~ '{SLUG_FORMAT}'", name="organizations_slug_format"),
        _one_of("tier", ("free", "pro", "enterprise"), "organizations_tier_valid"),
        _one_of("status", ("active", "suspended", "cancelled", "trial"), "organizations_status_valid"),
    )

    id: Mapped[uuid.UUID] = _pk()
    name: Mapped[str] = mapped_column()
    slug: Mapped[str] = mapped_column()
    tier: Mapped[str] = mapped_column(server_default="free")
    status: Mapped[str] = mapped_column(server_default="active")
    settings: Mapped[dict[str, Any]] = _jsonb()
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    deleted_at: Mapped[datetime | None] = _deleted_at()

    users: Mapped[list[User]] = _children("User", "organization")
    agents: Mapped[list[Agent]] = _children("Agent", "organization")
    tokens: Mapped[list[Token]] = _children("Token", "organization")
    directives: Mapped[list[Directive]] = _children("Directive", "organization")
    sessions: Mapped[list[Session]] = _children("Session", "organization")
    checkpoints: Mapped[list[Checkpoint]] = _children("Checkpoint", "organization")
    memories: Mapped[list[Memory]] = _children("Memory", "organization")
    memory_versions: Mapped[list[MemoryVersion]] = _children("MemoryVersion", "organization")
    memory_relationships: Mapped[list[MemoryRelationship]] = _children("MemoryRelationship", "organization")
    memory_tags: Mapped[list[MemoryTag]] = _children("MemoryTag", "organization")


class User(Base):
    """A human member of an organization."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("org_id", "email", name="users_org_id_email_key"),
        CheckConstraint(f"email ~ '{EMAIL_FORMAT}'", name="users_email_format"),
        _one_of("role", ("owner", "admin", "member", "viewer"), "users_role_valid"),
        _one_of("status", ("active", "invited", "suspended", "deactivated"), "users_status_valid"),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    email: Mapped[str] = mapped_column()
    name: Mapped[str] = mapped_column()
    role: Mapped[str] = mapped_column(server_default="member")
    status: Mapped[str] = mapped_column(server_default="active")
    mfa_enabled: Mapped[bool] = mapped_column(server_default=text("false"))
    last_login_at: Mapped[datetime | None] = mapped_column()
    preferences: Mapped[dict[str, Any]] = _jsonb()
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    deleted_at: Mapped[datetime | None] = _deleted_at()

    organization: Mapped[Organization] = relationship(back_populates="users")
    agents_created: Mapped[list[Agent]] = _children("Agent", "creator")
    tokens: Mapped[list[Token]] = _children("Token", "user")
    sessions: Mapped[list[Session]] = _children("Session", "user")


class Agent(Base):
    """An AI agent whose sessions produce memories."""

    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("org_id", "slug", name="agents_org_id_slug_key"),
        CheckConstraint(f"slug ~ '{SLUG_FORMAT}'", name="agents_slug_format"),
        _one_of("status", ("active", "paused", "suspended", "archived"), "agents_status_valid"),
        CheckConstraint("total_sessions >= 0 AND total_memories >= 0", name="agents_counters_nonnegative"),
        Index("agents_created_by_idx", "created_by"),
        Index("agents_tags_idx", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    created_by: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.users.id", "SET NULL", nullable=True)
    name: Mapped[str] = mapped_column()
    slug: Mapped[str] = mapped_column()
    description: Mapped[str | None] = mapped_column()
    config: Mapped[dict[str, Any]] = _jsonb()
    status: Mapped[str] = mapped_column(server_default="active")
    tags: Mapped[list[str]] = mapped_column(server_default=text("'{}'::text[]"))
    total_sessions: Mapped[int] = mapped_column(server_default=text("0"))
    total_memories: Mapped[int] = mapped_column(server_default=text("0"))
    last_active_at: Mapped[datetime | None] = mapped_column()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    deleted_at: Mapped[datetime | None] = _deleted_at()

    organization: Mapped[Organization] = relationship(back_populates="agents")
    creator: Mapped[User | None] = relationship(back_populates="agents_created")
    tokens: Mapped[list[Token]] = _children("Token", "agent")
    sessions: Mapped[list[Session]] = _children("Session", "agent")
    memories: Mapped[list[Memory]] = _children("Memory", "agent")


class Token(Base):
    """An API credential; only its hash is stored."""

    __tablename__ = "tokens"
    __table_args__ = (
        UniqueConstraint("hash", name="tokens_hash_key"),
        _one_of("type", ("pat", "org_token", "service_token", "marketplace"), "tokens_type_valid"),
        CheckConstraint("use_count >= 0", name="tokens_use_count_nonnegative"),
        Index("tokens_org_id_idx", "org_id"),
        Index("tokens_org_id_active_idx", "org_id", postgresql_where=text("NOT is_revoked")),
        Index("tokens_user_id_idx", "user_id"),
        Index("tokens_agent_id_idx", "agent_id"),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    user_id: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.users.id", "CASCADE", nullable=True)
    agent_id: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.agents.id", "CASCADE", nullable=True)
    type: Mapped[str] = mapped_column()
    hash: Mapped[str] = mapped_column()
    prefix: Mapped[str] = mapped_column()
    name: Mapped[str] = mapped_column()
    permissions: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column()
    is_revoked: Mapped[bool] = mapped_column(server_default=text("false"))
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    use_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    organization: Mapped[Organization] = relationship(back_populates="tokens")
    user: Mapped[User | None] = relationship(back_populates="tokens")
    agent: Mapped[Agent | None] = relationship(back_populates="tokens")


class Directive(Base):
    """A versioned instruction set given to agents; one version per name is active."""

    __tablename__ = "directives"
    __table_args__ = (
        UniqueConstraint("org_id", "name", "version_number", name="directives_org_id_name_version_number_key"),
        _one_of("status", ("draft", "review", "active", "deprecated", "revoked"), "directives_status_valid"),
        CheckConstraint("version_number > 0", name="directives_version_number_positive"),
        Index(
            "directives_one_active_per_name",
            "org_id",
            "name",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    name: Mapped[str] = mapped_column()
    description: Mapped[str | None] = mapped_column()
    content: Mapped[str] = mapped_column()
    content_hash: Mapped[str] = mapped_column()
    version_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(server_default="draft")
    is_published: Mapped[bool] = mapped_column(server_default=text("false"))
    tags: Mapped[list[str] | None] = mapped_column()
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()
    deleted_at: Mapped[datetime | None] = _deleted_at()

    organization: Mapped[Organization] = relationship(back_populates="directives")
    sessions: Mapped[list[Session]] = _children("Session", "directive")


class Session(Base):
    """One run of an agent, from initialisation to completion."""

    __tablename__ = "sessions"
    __table_args__ = (
        _one_of(
            "status",
            ("initializing", "active", "suspended", "resuming", "completed", "failed", "abandoned"),
            "sessions_status_valid",
        ),
        CheckConstraint(
            "checkpoint_sequence >= 0 AND total_turns >= 0 AND total_tokens_used >= 0",
            name="sessions_counters_nonnegative",
        ),
        Index("sessions_org_id_idx", "org_id"),
        Index("sessions_agent_id_idx", "agent_id"),
        Index("sessions_user_id_idx", "user_id"),
        Index("sessions_directive_id_idx", "directive_id"),
        Index("sessions_active_heartbeat_idx", "last_heartbeat_at", postgresql_where=text("status = 'active'")),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    agent_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.agents.id", "CASCADE")
    user_id: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.users.id", "SET NULL", nullable=True)
    directive_id: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.directives.id", "SET NULL", nullable=True)
    status: Mapped[str] = mapped_column(server_default="initializing")
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_heartbeat_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    checkpoint_sequence: Mapped[int] = mapped_column(server_default=text("0"))
    total_turns: Mapped[int] = mapped_column(server_default=text("0"))
    total_tokens_used: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    loop_suspected: Mapped[bool] = mapped_column(server_default=text("false"))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", server_default=text("'{}'::jsonb"))

    organization: Mapped[Organization] = relationship(back_populates="sessions")
    agent: Mapped[Agent] = relationship(back_populates="sessions")
    user: Mapped[User | None] = relationship(back_populates="sessions")
    directive: Mapped[Directive | None] = relationship(back_populates="sessions")
    checkpoints: Mapped[list[Checkpoint]] = _children(
        "Checkpoint", "session", cascade="all, delete-orphan", order_by="Checkpoint.sequence_number"
    )
    memories: Mapped[list[Memory]] = _children("Memory", "session")


class Checkpoint(Base):
    """A saved state of a session, to resume it after a crash."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        UniqueConstraint("session_id", "sequence_number", name="checkpoints_session_id_sequence_number_key"),
        CheckConstraint("sequence_number >= 0 AND state_size_bytes >= 0", name="checkpoints_numbers_nonnegative"),
        Index("checkpoints_org_id_idx", "org_id"),
    )

    id: Mapped[uuid.UUID] = _pk()
    session_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.sessions.id", "CASCADE")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    sequence_number: Mapped[int] = mapped_column()
    state: Mapped[dict[str, Any]] = mapped_column()
    state_hash: Mapped[str] = mapped_column()
    state_size_bytes: Mapped[int] = mapped_column()
    is_valid: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = _created_at()

    session: Mapped[Session] = relationship(back_populates="checkpoints")
    organization: Mapped[Organization] = relationship(back_populates="checkpoints")


# Resuming reads the newest valid checkpoint of one session: this index answers it without a sort.
Index(
    "checkpoints_latest_valid_idx",
    Checkpoint.session_id,
    Checkpoint.sequence_number.desc(),
    postgresql_where=text("is_valid"),
)


class MemoryCategory(str, enum.Enum):
    """What kind of knowledge a memory holds."""

    FACTUAL = "factual"
    PREFERENCE = "preference"
    BEHAVIORAL = "behavioral"
    EPISODIC = "episodic"
    PROCEDURAL = "procedural"


class MemorySource(str, enum.Enum):
    """How a memory came to exist."""

    EXTRACTED = "extracted"
    USER_PROVIDED = "user_provided"
    IMPORTED = "imported"
    INFERRED = "inferred"


class MemoryStatus(str, enum.Enum):
    """Lifecycle of a memory; only ACTIVE ones are searched and deduplicated."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    MERGED = "merged"
    ARCHIVED = "archived"
    PENDING_REVIEW = "pending_review"


def _str_enum(cls: type[enum.Enum]) -> Enum:
    # VARCHAR(32) plus the named CHECK below, as in the seed; the ORM still hands back enum members.
    return Enum(cls, native_enum=False, create_constraint=False, length=32, values_callable=lambda e: [m.value for m in e])


class Memory(Base):
    """One remembered fact of an agent, with its 384-dimension embedding."""

    __tablename__ = "memories"
    __table_args__ = (
        # A UniqueConstraint cannot carry a WHERE: a partial unique index is the only way.
        Index("memories_content_hash_org", "org_id", "agent_id", "content_hash", unique=True, postgresql_where=text(LIVE_MEMORY)),
        CheckConstraint("length(content) > 0", name="memories_content_not_empty"),
        CheckConstraint("length(content) <= 8192", name="memories_content_max_length"),
        CheckConstraint("confidence >= 0.000 AND confidence <= 1.000", name="memories_confidence_range"),
        CheckConstraint("usefulness_score >= 0.000 AND usefulness_score <= 1.000", name="memories_usefulness_range"),
        CheckConstraint("retrieval_count >= 0", name="memories_retrieval_count_nonnegative"),
        _one_of("category", MemoryCategory, "memories_category_valid"),
        _one_of("source", MemorySource, "memories_source_valid"),
        _one_of("status", MemoryStatus, "memories_status_valid"),
        Index(
            "memories_embedding_hnsw_idx",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
            postgresql_where=text(LIVE_MEMORY),
        ),
        # The seed's index=True on org_id is left out: memories_hot_cache_idx (below) leads with org_id.
        Index("memories_agent_id_idx", "agent_id"),
        Index("memories_session_id_idx", "session_id"),
        Index("memories_superseded_by_idx", "superseded_by"),
        Index("memories_merged_into_idx", "merged_into"),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    agent_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.agents.id", "CASCADE")
    session_id: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.sessions.id", "SET NULL", nullable=True)
    content: Mapped[str] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[list[float]] = mapped_column(Vector(384))
    category: Mapped[MemoryCategory] = mapped_column(_str_enum(MemoryCategory))
    source: Mapped[MemorySource] = mapped_column(_str_enum(MemorySource), server_default="extracted")
    status: Mapped[MemoryStatus] = mapped_column(_str_enum(MemoryStatus), server_default="active")
    confidence: Mapped[Decimal] = mapped_column(Numeric(4, 3), server_default="0.800")
    usefulness_score: Mapped[Decimal] = mapped_column(Numeric(4, 3), server_default="0.500")
    retrieval_count: Mapped[int] = mapped_column(server_default=text("0"))
    last_retrieved_at: Mapped[datetime | None] = mapped_column()
    last_injected_at: Mapped[datetime | None] = mapped_column()
    superseded_by: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.memories.id", "SET NULL", nullable=True)
    merged_into: Mapped[uuid.UUID | None] = _fk(f"{SCHEMA}.memories.id", "SET NULL", nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = _deleted_at()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()

    organization: Mapped[Organization] = relationship(back_populates="memories")
    agent: Mapped[Agent] = relationship(back_populates="memories")
    session: Mapped[Session | None] = relationship(back_populates="memories")
    tags: Mapped[list[MemoryTag]] = _children("MemoryTag", "memory", cascade="all, delete-orphan")
    versions: Mapped[list[MemoryVersion]] = _children(
        "MemoryVersion", "memory", cascade="all, delete-orphan", order_by="MemoryVersion.version_num"
    )
    # Self references: each FK column needs its own pair, told apart by foreign_keys.
    superseded_by_memory: Mapped[Memory | None] = relationship(
        back_populates="supersedes", remote_side="Memory.id", foreign_keys=[superseded_by]
    )
    supersedes: Mapped[list[Memory]] = _children("Memory", "superseded_by_memory", foreign_keys=[superseded_by])
    merged_into_memory: Mapped[Memory | None] = relationship(
        back_populates="merged_from", remote_side="Memory.id", foreign_keys=[merged_into]
    )
    merged_from: Mapped[list[Memory]] = _children("Memory", "merged_into_memory", foreign_keys=[merged_into])
    outgoing_relationships: Mapped[list[MemoryRelationship]] = _children(
        "MemoryRelationship", "source_memory", foreign_keys="MemoryRelationship.source_memory_id"
    )
    incoming_relationships: Mapped[list[MemoryRelationship]] = _children(
        "MemoryRelationship", "target_memory", foreign_keys="MemoryRelationship.target_memory_id"
    )


# Declared after the class so that created_at.desc() can name the mapped column.
Index("memories_hot_cache_idx", Memory.org_id, Memory.agent_id, Memory.created_at.desc())


class MemoryVersion(Base):
    """An append-only history entry of a memory."""

    __tablename__ = "memory_versions"
    __table_args__ = (
        UniqueConstraint("memory_id", "version_num", name="memory_versions_memory_id_version_num_key"),
        _one_of(
            "operation",
            ("created", "updated", "status_changed", "confidence_updated", "merged", "deleted"),
            "memory_versions_operation_valid",
        ),
        Index("memory_versions_org_id_idx", "org_id"),
    )

    id: Mapped[uuid.UUID] = _pk()
    memory_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.memories.id", "CASCADE")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    version_num: Mapped[int] = mapped_column()
    operation: Mapped[str] = mapped_column()
    previous_content: Mapped[str | None] = mapped_column()
    new_content: Mapped[str | None] = mapped_column()
    change_reason: Mapped[str | None] = mapped_column()
    changed_at: Mapped[datetime] = _created_at()

    memory: Mapped[Memory] = relationship(back_populates="versions")
    organization: Mapped[Organization] = relationship(back_populates="memory_versions")


class MemoryRelationship(Base):
    """A typed edge between two memories of the same organization."""

    __tablename__ = "memory_relationships"
    __table_args__ = (
        UniqueConstraint(
            "source_memory_id",
            "target_memory_id",
            "relationship_type",
            name="memory_relationships_source_target_type_key",
        ),
        _one_of(
            "relationship_type",
            ("supersedes", "contradicts", "specializes", "generalizes", "merged_from", "derived_from"),
            "memory_relationships_type_valid",
        ),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="memory_relationships_confidence_range"),
        CheckConstraint("source_memory_id <> target_memory_id", name="memory_relationships_not_self"),
        Index("memory_relationships_org_id_idx", "org_id"),
        Index("memory_relationships_target_memory_id_idx", "target_memory_id"),
    )

    id: Mapped[uuid.UUID] = _pk()
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    source_memory_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.memories.id", "CASCADE")
    target_memory_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.memories.id", "CASCADE")
    relationship_type: Mapped[str] = mapped_column()
    confidence: Mapped[Decimal] = mapped_column(Numeric(3, 2), server_default="0.90")
    created_at: Mapped[datetime] = _created_at()

    organization: Mapped[Organization] = relationship(back_populates="memory_relationships")
    source_memory: Mapped[Memory] = relationship(back_populates="outgoing_relationships", foreign_keys=[source_memory_id])
    target_memory: Mapped[Memory] = relationship(back_populates="incoming_relationships", foreign_keys=[target_memory_id])


class MemoryTag(Base):
    """A label on a memory."""

    __tablename__ = "memory_tags"
    __table_args__ = (
        CheckConstraint("length(tag) > 0", name="memory_tags_tag_not_empty"),
        Index("memory_tags_org_id_tag_idx", "org_id", "tag"),
    )

    memory_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.memories.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE")
    created_at: Mapped[datetime] = _created_at()

    memory: Mapped[Memory] = relationship(back_populates="tags")
    organization: Mapped[Organization] = relationship(back_populates="memory_tags")
