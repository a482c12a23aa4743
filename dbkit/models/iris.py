"""SQLAlchemy models of the IRIS schema (seed 000), matching sql/iris/ with no drift.

The models carry no comments: they live only in the SQL files (`COMMENT ON`) and reach readers
through the catalog (`dbkit.catalog`), from which `dbkit check` checks comment coverage.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["ROLES", "Base", "Chain", "Council", "ExecutionHistory", "Sprite"]

#: The six sprite roles that ck_sprites_role accepts.
ROLES = ("architect", "builder", "reviewer", "tester", "guardian", "scribe")

# The regexes avoid "(?:" groups: SQLAlchemy would read ":x" in a CHECK's text as a bind parameter.
_SOL_FORGE = r"^SOL-FORGE-[A-Z0-9]+(-[A-Z0-9]+)*$"
_SEMVER = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)
_ISO8601_DURATION = (
    r"^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?"
    r"(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+([.,][0-9]+)?S)?)?$"
)

JSONArray = list[Any]
JSONObject = dict[str, Any]
_TZ = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(schema="iris")


def _pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created() -> Mapped[datetime | None]:
    return mapped_column(_TZ, server_default=text("now()"))


def _typeof(table: str, column: str, json_type: str) -> CheckConstraint:
    """CHECK that a jsonb column holds an array or object; NULL passes, as for any CHECK."""
    return CheckConstraint(f"jsonb_typeof({column}) = '{json_type}'", name=f"ck_{table}_{column}_{json_type}")


class Sprite(Base):
    __tablename__ = "sprites"
    __table_args__ = (
        UniqueConstraint("name", name="uq_sprites_name"),
        CheckConstraint(f"name ~ '{_SOL_FORGE}'", name="ck_sprites_name_sol_forge"),
        CheckConstraint(f"version ~ '{_SEMVER}'", name="ck_sprites_version_semver"),
        CheckConstraint(f"role IN {ROLES!r}", name="ck_sprites_role"),
        _typeof("sprites", "capabilities", "array"),
        CheckConstraint("char_length(system_prompt) <= 65536", name="ck_sprites_system_prompt_length"),
        _typeof("sprites", "sprite_metadata", "object"),
        CheckConstraint("fingerprint_algorithm IN ('blake3', 'sha256')", name="ck_sprites_fingerprint_algorithm"),
        CheckConstraint("fingerprint_hash ~ '^[0-9a-f]{64}$'", name="ck_sprites_fingerprint_hash"),
        Index("idx_sprites_name", "name"),
        Index("idx_sprites_fingerprint", "fingerprint_hash"),
        Index("idx_sprites_capabilities", "capabilities", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = _pk()
    name: Mapped[str] = mapped_column(String)
    version: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    capabilities: Mapped[JSONArray] = mapped_column(JSONB)
    system_prompt: Mapped[str] = mapped_column(Text)
    protected: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    gate_authority: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    sprite_metadata: Mapped[JSONObject] = mapped_column(JSONB)
    fingerprint_algorithm: Mapped[str] = mapped_column(String)
    fingerprint_hash: Mapped[str] = mapped_column(String)
    created: Mapped[datetime | None] = _created()


class Council(Base):
    __tablename__ = "councils"
    __table_args__ = (
        UniqueConstraint("domain", name="uq_councils_domain"),
        _typeof("councils", "sprites", "array"),
        _typeof("councils", "gate_agents", "array"),
        _typeof("councils", "rules", "array"),
        _typeof("councils", "council_metadata", "object"),
        Index("idx_councils_domain", "domain"),
    )

    id: Mapped[uuid.UUID] = _pk()
    domain: Mapped[str] = mapped_column(String)
    sprites: Mapped[JSONArray] = mapped_column(JSONB)
    gate_agents: Mapped[JSONArray] = mapped_column(JSONB)
    rules: Mapped[JSONArray | None] = mapped_column(JSONB)
    council_metadata: Mapped[JSONObject | None] = mapped_column(JSONB)
    created_at: Mapped[datetime | None] = _created()

    chains: Mapped[list[Chain]] = relationship(back_populates="council", cascade="all, delete-orphan", passive_deletes=True)


class Chain(Base):
    __tablename__ = "chains"
    __table_args__ = (
        _typeof("chains", "steps", "array"),
        _typeof("chains", "gates", "array"),
        CheckConstraint(f"timeout ~ '{_ISO8601_DURATION}'", name="ck_chains_timeout_iso8601"),
        Index("idx_chains_council_id", "council_id"),
    )

    id: Mapped[uuid.UUID] = _pk()
    council_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("councils.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String)
    steps: Mapped[JSONArray] = mapped_column(JSONB)
    gates: Mapped[JSONArray | None] = mapped_column(JSONB)
    timeout: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime | None] = _created()

    council: Mapped[Council] = relationship(back_populates="chains")


class ExecutionHistory(Base):
    """One finished run; no foreign keys (as in the seed), hence no relationships."""

    __tablename__ = "execution_history"
    __table_args__ = (
        CheckConstraint("status IN ('completed', 'failed', 'vetoed')", name="ck_execution_history_status"),
        CheckConstraint("duration_ms >= 0", name="ck_execution_history_duration_ms"),
        CheckConstraint("completed_at >= started_at", name="ck_execution_history_completed_at"),
        _typeof("execution_history", "steps", "array"),
        _typeof("execution_history", "gates", "array"),
        Index("idx_exec_history_council_id", "council_id"),
        Index("idx_exec_history_chain_id", "chain_id"),
        Index("idx_exec_history_status", "status"),
    )

    id: Mapped[uuid.UUID] = _pk()
    council_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    chain_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(_TZ)
    completed_at: Mapped[datetime | None] = mapped_column(_TZ)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    steps: Mapped[JSONArray | None] = mapped_column(JSONB)
    gates: Mapped[JSONArray | None] = mapped_column(JSONB)
    input_data: Mapped[JSONObject | None] = mapped_column(JSONB)
    output_data: Mapped[JSONObject | None] = mapped_column(JSONB)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = _created()
