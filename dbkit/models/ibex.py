"""Typed SQLAlchemy 2.0 models of the `ibex_core` schema (seed 001): import them, never redefine them.

The DDL lives in `sql/ibex/`; these classes mirror it name for name (constraints, indexes and
comments included) so that `alembic.autogenerate.compare_metadata` finds no drift. Importing this
module also imports `pgvector.sqlalchemy`, which registers the `vector` type for reflection.
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


def _pk(comment: str) -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, server_default=func.gen_random_uuid(), comment=comment)


def _fk(target: str, ondelete: str, comment: str, *, nullable: bool = False) -> Any:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable, comment=comment)


def _jsonb(comment: str) -> Mapped[dict[str, Any]]:
    return mapped_column(server_default=text("'{}'::jsonb"), comment=comment)


def _created_at(comment: str = "When the row was inserted.") -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), comment=comment)


def _updated_at() -> Mapped[datetime]:
    # The trigger set_updated_at() is the authority; onupdate makes the ORM expire the old value too.
    return mapped_column(
        server_default=func.now(),
        onupdate=func.now(),
        comment="When the row last changed; kept current by the set_updated_at trigger.",
    )


def _deleted_at() -> Mapped[datetime | None]:
    return mapped_column(comment="Soft-delete time; NULL while the row is live.")


def _one_of(column: str, values: type[enum.Enum] | tuple[str, ...], name: str) -> CheckConstraint:
    allowed = [m.value for m in values] if isinstance(values, type) else list(values)
    quoted = ", ".join(f"'{v}'" for v in allowed)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


def _children(target: str, back: str, **kw: Any) -> Any:
    # The database cascades or nulls the children itself (ON DELETE); the ORM must not try first.
    return relationship(target, back_populates=back, passive_deletes=True, **kw)


ORG_FK = f"{SCHEMA}.organizations.id"
COPIED_ORG = "Organization of the {}, copied here for row-level security."
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
        {"comment": "Tenants of the memory engine; row-level security scopes every other table to one of them."},
    )

    id: Mapped[uuid.UUID] = _pk("Organization id; the value of app.current_org_id under row-level security.")
    name: Mapped[str] = mapped_column(comment="Display name of the organization.")
    slug: Mapped[str] = mapped_column(comment="URL-safe unique handle: lowercase letters, digits and hyphens.")
    tier: Mapped[str] = mapped_column(server_default="free", comment="Billing tier: free, pro or enterprise.")
    status: Mapped[str] = mapped_column(
        server_default="active", comment="Lifecycle state: active, suspended, cancelled or trial."
    )
    settings: Mapped[dict[str, Any]] = _jsonb("Organization-wide settings as a JSON object.")
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
        {"comment": "People who belong to an organization; the email is unique within it."},
    )

    id: Mapped[uuid.UUID] = _pk("User id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization the user belongs to.")
    email: Mapped[str] = mapped_column(comment="Login email, unique within the organization.")
    name: Mapped[str] = mapped_column(comment="Display name of the user.")
    role: Mapped[str] = mapped_column(
        server_default="member", comment="Permission level: owner, admin, member or viewer."
    )
    status: Mapped[str] = mapped_column(
        server_default="active", comment="Account state: active, invited, suspended or deactivated."
    )
    mfa_enabled: Mapped[bool] = mapped_column(
        server_default=text("false"), comment="Whether the user has multi-factor authentication turned on."
    )
    last_login_at: Mapped[datetime | None] = mapped_column(comment="Time of the most recent login, if any.")
    preferences: Mapped[dict[str, Any]] = _jsonb("Per-user interface preferences as a JSON object.")
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
        {"comment": "AI agents of an organization; sessions and memories hang off them."},
    )

    id: Mapped[uuid.UUID] = _pk("Agent id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization that owns the agent.")
    created_by: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.users.id", "SET NULL", "User who created the agent; NULL once that user is deleted.", nullable=True
    )
    name: Mapped[str] = mapped_column(comment="Display name of the agent.")
    slug: Mapped[str] = mapped_column(comment="URL-safe handle, unique within the organization.")
    description: Mapped[str | None] = mapped_column(comment="Free-text description of what the agent does.")
    config: Mapped[dict[str, Any]] = _jsonb("Agent configuration (model, limits, tools) as a JSON object.")
    status: Mapped[str] = mapped_column(
        server_default="active", comment="Lifecycle state: active, paused, suspended or archived."
    )
    tags: Mapped[list[str]] = mapped_column(
        server_default=text("'{}'::text[]"), comment="Free-form labels; GIN-indexed for array containment (@>)."
    )
    total_sessions: Mapped[int] = mapped_column(
        server_default=text("0"), comment="Number of sessions the agent has run (denormalised counter)."
    )
    total_memories: Mapped[int] = mapped_column(
        server_default=text("0"), comment="Number of memories the agent holds (denormalised counter)."
    )
    last_active_at: Mapped[datetime | None] = mapped_column(comment="Time of the agent's most recent activity.")
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", server_default=text("'{}'::jsonb"), comment="Arbitrary extra attributes as a JSON object."
    )
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
        {"comment": "API tokens (personal, organization, service, marketplace); the plaintext is never stored."},
    )

    id: Mapped[uuid.UUID] = _pk("Token id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization the token grants access to.")
    user_id: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.users.id", "CASCADE", "User owning a personal token; NULL for other types.", nullable=True
    )
    agent_id: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.agents.id", "CASCADE", "Agent a service token is bound to, if any.", nullable=True
    )
    type: Mapped[str] = mapped_column(comment="Token kind: pat, org_token, service_token or marketplace.")
    hash: Mapped[str] = mapped_column(comment="Hash of the secret, unique; the plaintext is shown once and dropped.")
    prefix: Mapped[str] = mapped_column(comment="First characters of the secret, shown so users can recognise it.")
    name: Mapped[str] = mapped_column(comment="Label the owner gave the token.")
    permissions: Mapped[int] = mapped_column(BigInteger, comment="Granted permissions as a bitmap.")
    expires_at: Mapped[datetime | None] = mapped_column(comment="Expiry time; NULL means the token never expires.")
    is_revoked: Mapped[bool] = mapped_column(
        server_default=text("false"), comment="Whether the token was revoked; revoked tokens are refused."
    )
    revoked_at: Mapped[datetime | None] = mapped_column(comment="When the token was revoked, if it was.")
    last_used_at: Mapped[datetime | None] = mapped_column(comment="Time of the token's most recent use.")
    use_count: Mapped[int] = mapped_column(
        BigInteger, server_default=text("0"), comment="Number of requests authenticated with the token."
    )
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
        {"comment": "Versioned directives (system instructions) for agents; at most one active version per name."},
    )

    id: Mapped[uuid.UUID] = _pk("Directive version id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization that owns the directive.")
    name: Mapped[str] = mapped_column(comment="Directive name, shared by all its versions.")
    description: Mapped[str | None] = mapped_column(comment="What the directive is for.")
    content: Mapped[str] = mapped_column(comment="The instruction text given to agents.")
    content_hash: Mapped[str] = mapped_column(comment="Hash of content, to detect identical versions.")
    version_number: Mapped[int] = mapped_column(comment="Version of this directive name, counting from 1.")
    status: Mapped[str] = mapped_column(
        server_default="draft", comment="Review state: draft, review, active, deprecated or revoked."
    )
    is_published: Mapped[bool] = mapped_column(
        server_default=text("false"), comment="Whether the version is published to the marketplace."
    )
    tags: Mapped[list[str] | None] = mapped_column(comment="Free-form labels of the directive.")
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
        {"comment": "Agent sessions; the heartbeat index finds active sessions that stopped reporting."},
    )

    id: Mapped[uuid.UUID] = _pk("Session id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization the session runs in.")
    agent_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.agents.id", "CASCADE", "Agent that runs the session.")
    user_id: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.users.id", "SET NULL", "User who started the session, if a person did.", nullable=True
    )
    directive_id: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.directives.id", "SET NULL", "Directive version the session follows, if any.", nullable=True
    )
    status: Mapped[str] = mapped_column(
        server_default="initializing",
        comment="Lifecycle: initializing, active, suspended, resuming, completed, failed or abandoned.",
    )
    started_at: Mapped[datetime] = mapped_column(server_default=func.now(), comment="When the session began.")
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(comment="Last liveness signal from the agent.")
    completed_at: Mapped[datetime | None] = mapped_column(comment="When the session ended, whatever the outcome.")
    checkpoint_sequence: Mapped[int] = mapped_column(
        server_default=text("0"), comment="Sequence number of the latest checkpoint taken."
    )
    total_turns: Mapped[int] = mapped_column(server_default=text("0"), comment="Conversation turns so far.")
    total_tokens_used: Mapped[int] = mapped_column(
        BigInteger, server_default=text("0"), comment="LLM tokens consumed by the session so far."
    )
    loop_suspected: Mapped[bool] = mapped_column(
        server_default=text("false"), comment="Set when the agent seems stuck repeating itself."
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", server_default=text("'{}'::jsonb"), comment="Arbitrary extra attributes as a JSON object."
    )

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
        CheckConstraint(
            "sequence_number >= 0 AND state_size_bytes >= 0", name="checkpoints_numbers_nonnegative"
        ),
        Index("checkpoints_org_id_idx", "org_id"),
        {"comment": "Session snapshots; a session resumes from its latest valid checkpoint."},
    )

    id: Mapped[uuid.UUID] = _pk("Checkpoint id.")
    session_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.sessions.id", "CASCADE", "Session the snapshot belongs to.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", COPIED_ORG.format("session"))
    sequence_number: Mapped[int] = mapped_column(comment="Position of the checkpoint within its session.")
    state: Mapped[dict[str, Any]] = mapped_column(comment="The serialised session state.")
    state_hash: Mapped[str] = mapped_column(comment="Hash of state, to verify it on resume.")
    state_size_bytes: Mapped[int] = mapped_column(comment="Size of the serialised state in bytes.")
    is_valid: Mapped[bool] = mapped_column(
        server_default=text("true"), comment="False once the checkpoint is known to be corrupt or unusable."
    )
    created_at: Mapped[datetime] = _created_at("When the snapshot was taken.")

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
    return Enum(
        cls, native_enum=False, create_constraint=False, length=32, values_callable=lambda e: [m.value for m in e]
    )


class Memory(Base):
    """One remembered fact of an agent, with its 384-dimension embedding."""

    __tablename__ = "memories"
    __table_args__ = (
        # A UniqueConstraint cannot carry a WHERE: a partial unique index is the only way.
        Index("memories_content_hash_org", "org_id", "agent_id", "content_hash",
              unique=True, postgresql_where=text(LIVE_MEMORY)),
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
        {
            "comment": "Agent memories with embeddings; live rows are deduplicated by content hash"
            " and searched by cosine distance."
        },
    )

    id: Mapped[uuid.UUID] = _pk("Memory id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization that owns the memory.")
    agent_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.agents.id", "CASCADE", "Agent the memory belongs to.")
    session_id: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.sessions.id", "SET NULL", "Session the memory was formed in; NULL once it is deleted.", nullable=True
    )
    content: Mapped[str] = mapped_column(comment="The memory text, 1 to 8192 characters.")
    content_hash: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 hex of the content; live duplicates per agent are refused."
    )
    embedding: Mapped[list[float]] = mapped_column(
        Vector(384), comment="384-dimension embedding of the content, searched by cosine distance."
    )
    category: Mapped[MemoryCategory] = mapped_column(
        _str_enum(MemoryCategory),
        comment="Kind of knowledge: factual, preference, behavioral, episodic or procedural.",
    )
    source: Mapped[MemorySource] = mapped_column(
        _str_enum(MemorySource),
        server_default="extracted",
        comment="Origin: extracted, user_provided, imported or inferred.",
    )
    status: Mapped[MemoryStatus] = mapped_column(
        _str_enum(MemoryStatus),
        server_default="active",
        comment="Lifecycle: active, superseded, merged, archived or pending_review; only active rows are searched.",
    )
    confidence: Mapped[Decimal] = mapped_column(
        Numeric(4, 3), server_default="0.800", comment="How sure the engine is that the memory is true, 0 to 1."
    )
    usefulness_score: Mapped[Decimal] = mapped_column(
        Numeric(4, 3), server_default="0.500", comment="How useful the memory proved when injected, 0 to 1."
    )
    retrieval_count: Mapped[int] = mapped_column(
        server_default=text("0"), comment="Number of times a search returned the memory."
    )
    last_retrieved_at: Mapped[datetime | None] = mapped_column(comment="When a search last returned the memory.")
    last_injected_at: Mapped[datetime | None] = mapped_column(comment="When the memory was last put into a prompt.")
    superseded_by: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.memories.id", "SET NULL", "Newer memory that replaced this one, if any.", nullable=True
    )
    merged_into: Mapped[uuid.UUID | None] = _fk(
        f"{SCHEMA}.memories.id", "SET NULL", "Memory this one was merged into, if any.", nullable=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(comment="Time after which the memory should be forgotten.")
    deleted_at: Mapped[datetime | None] = _deleted_at()
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", server_default=text("'{}'::jsonb"), comment="Arbitrary extra attributes as a JSON object."
    )
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
        {"comment": "Append-only change history of memories; the application role may insert but not edit rows."},
    )

    id: Mapped[uuid.UUID] = _pk("Version entry id.")
    memory_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.memories.id", "CASCADE", "Memory this entry describes.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", COPIED_ORG.format("memory"))
    version_num: Mapped[int] = mapped_column(comment="Version number within the memory, counting from 1.")
    operation: Mapped[str] = mapped_column(
        comment="What happened: created, updated, status_changed, confidence_updated, merged or deleted."
    )
    previous_content: Mapped[str | None] = mapped_column(comment="Content before the change, if it changed.")
    new_content: Mapped[str | None] = mapped_column(comment="Content after the change, if it changed.")
    change_reason: Mapped[str | None] = mapped_column(comment="Why the change was made.")
    changed_at: Mapped[datetime] = _created_at("When the change happened.")

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
        {
            "comment": "Typed links between memories (supersedes, contradicts, ...);"
            " the unique key also indexes the source."
        },
    )

    id: Mapped[uuid.UUID] = _pk("Relationship id.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", "Organization that owns both memories.")
    source_memory_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.memories.id", "CASCADE", "Memory the edge starts from.")
    target_memory_id: Mapped[uuid.UUID] = _fk(f"{SCHEMA}.memories.id", "CASCADE", "Memory the edge points to.")
    relationship_type: Mapped[str] = mapped_column(
        comment="Edge kind: supersedes, contradicts, specializes, generalizes, merged_from or derived_from."
    )
    confidence: Mapped[Decimal] = mapped_column(
        Numeric(3, 2), server_default="0.90", comment="How sure the engine is of the edge, 0 to 1."
    )
    created_at: Mapped[datetime] = _created_at()

    organization: Mapped[Organization] = relationship(back_populates="memory_relationships")
    source_memory: Mapped[Memory] = relationship(
        back_populates="outgoing_relationships", foreign_keys=[source_memory_id]
    )
    target_memory: Mapped[Memory] = relationship(
        back_populates="incoming_relationships", foreign_keys=[target_memory_id]
    )


class MemoryTag(Base):
    """A label on a memory."""

    __tablename__ = "memory_tags"
    __table_args__ = (
        CheckConstraint("length(tag) > 0", name="memory_tags_tag_not_empty"),
        Index("memory_tags_org_id_tag_idx", "org_id", "tag"),
        {"comment": "Labels on memories; one row per (memory, tag), indexed by (org, tag) for tag lookups."},
    )

    memory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.memories.id", ondelete="CASCADE"), primary_key=True, comment="Memory the tag is on."
    )
    tag: Mapped[str] = mapped_column(primary_key=True, comment="The label text.")
    org_id: Mapped[uuid.UUID] = _fk(ORG_FK, "CASCADE", COPIED_ORG.format("memory"))
    created_at: Mapped[datetime] = _created_at("When the tag was attached.")

    memory: Mapped[Memory] = relationship(back_populates="tags")
    organization: Mapped[Organization] = relationship(back_populates="memory_tags")
