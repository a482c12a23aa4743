"""SQLAlchemy models of the IRIS schema (seed 000), matching sql/iris/ with no drift."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, MetaData, String, Text,
    UniqueConstraint, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Sprite", "Council", "Chain", "ExecutionHistory", "ROLES"]

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


def _pk(comment: str) -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"), comment=comment
    )


def _created(comment: str) -> Mapped[datetime | None]:
    return mapped_column(_TZ, server_default=text("now()"), comment=comment)


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
        CheckConstraint(
            "fingerprint_algorithm IN ('blake3', 'sha256')", name="ck_sprites_fingerprint_algorithm"
        ),
        CheckConstraint("fingerprint_hash ~ '^[0-9a-f]{64}$'", name="ck_sprites_fingerprint_hash"),
        Index("idx_sprites_name", "name"),
        Index("idx_sprites_fingerprint", "fingerprint_hash"),
        Index("idx_sprites_capabilities", "capabilities", postgresql_using="gin"),
        {"comment": "Registered sprites: named, versioned agents with a role, capabilities, "
                    "a system prompt and a content fingerprint."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated sprite identifier.")
    name: Mapped[str] = mapped_column(
        String, comment="Unique sprite name in the SOL-FORGE pattern, e.g. SOL-FORGE-ARCHITECT.")
    version: Mapped[str] = mapped_column(String, comment=(
        "Semantic version of the sprite definition (MAJOR.MINOR.PATCH, optional -prerelease and +build)."))
    role: Mapped[str] = mapped_column(String, comment=(
        "One of the six sprite roles: architect, builder, reviewer, tester, guardian, scribe."))
    capabilities: Mapped[JSONArray] = mapped_column(JSONB, comment=(
        "JSON array of capability objects {name, description, params}; GIN-indexed for @> queries."))
    system_prompt: Mapped[str] = mapped_column(
        Text, comment="System prompt given to the sprite, at most 65,536 characters.")
    protected: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"), comment=(
        "True when the sprite may not be modified or removed by ordinary operations."))
    gate_authority: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"), comment=(
        "True when the sprite may pass or veto gates in a chain."))
    sprite_metadata: Mapped[JSONObject] = mapped_column(
        JSONB, comment="JSON object with authorship, tags and timestamps.")
    fingerprint_algorithm: Mapped[str] = mapped_column(
        String, comment="Hash algorithm of the fingerprint: blake3 or sha256.")
    fingerprint_hash: Mapped[str] = mapped_column(
        String, comment="Content fingerprint as 64 lowercase hex characters; indexed for lookups.")
    created: Mapped[datetime | None] = _created("When the sprite row was created (server default now()).")


class Council(Base):
    __tablename__ = "councils"
    __table_args__ = (
        UniqueConstraint("domain", name="uq_councils_domain"),
        _typeof("councils", "sprites", "array"),
        _typeof("councils", "gate_agents", "array"),
        _typeof("councils", "rules", "array"),
        _typeof("councils", "council_metadata", "object"),
        Index("idx_councils_domain", "domain"),
        {"comment": "Councils: a domain namespace grouping sprites, their gate agents and the rules "
                    "they follow."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated council identifier.")
    domain: Mapped[str] = mapped_column(String, comment="Unique namespace identifier of the council.")
    sprites: Mapped[JSONArray] = mapped_column(JSONB, comment="JSON array of the member sprite UUIDs.")
    gate_agents: Mapped[JSONArray] = mapped_column(
        JSONB, comment="JSON array of the UUIDs of sprites acting as gate agents.")
    rules: Mapped[JSONArray | None] = mapped_column(
        JSONB, comment="Optional JSON array of rule objects the council enforces.")
    council_metadata: Mapped[JSONObject | None] = mapped_column(
        JSONB, comment="Optional JSON object with additional council metadata.")
    created_at: Mapped[datetime | None] = _created("When the council row was created (server default now()).")

    chains: Mapped[list[Chain]] = relationship(
        back_populates="council", cascade="all, delete-orphan", passive_deletes=True
    )


class Chain(Base):
    __tablename__ = "chains"
    __table_args__ = (
        _typeof("chains", "steps", "array"),
        _typeof("chains", "gates", "array"),
        CheckConstraint(f"timeout ~ '{_ISO8601_DURATION}'", name="ck_chains_timeout_iso8601"),
        Index("idx_chains_council_id", "council_id"),
        {"comment": "Chains: ordered steps and gates that a council executes."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated chain identifier.")
    council_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("councils.id", ondelete="CASCADE"),
        comment="Owning council (foreign key to councils.id, cascades on delete).")
    name: Mapped[str] = mapped_column(String, comment="Human-readable chain name.")
    steps: Mapped[JSONArray] = mapped_column(
        JSONB, comment="JSON array of ChainStep objects, in execution order.")
    gates: Mapped[JSONArray | None] = mapped_column(
        JSONB, comment="Optional JSON array of Gate objects evaluated between steps.")
    timeout: Mapped[str | None] = mapped_column(
        String, comment="Optional ISO 8601 duration bounding the chain run, e.g. PT5M.")
    created_at: Mapped[datetime | None] = _created("When the chain row was created (server default now()).")

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
        {"comment": "One row per finished chain execution; deliberately without foreign keys so history "
                    "survives deletions."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated execution identifier.")
    council_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), comment="Council that ran the chain (not a foreign key).")
    chain_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), comment="Chain that was executed (not a foreign key).")
    status: Mapped[str] = mapped_column(
        String, comment="Outcome of the execution: completed, failed or vetoed.")
    started_at: Mapped[datetime] = mapped_column(_TZ, comment="When the execution started.")
    completed_at: Mapped[datetime | None] = mapped_column(
        _TZ, comment="When the execution ended, if it did; never before started_at.")
    duration_ms: Mapped[int | None] = mapped_column(
        Integer, comment="Total duration in milliseconds, never negative.")
    steps: Mapped[JSONArray | None] = mapped_column(JSONB, comment="JSON array of per-step results.")
    gates: Mapped[JSONArray | None] = mapped_column(JSONB, comment="JSON array of gate evaluations.")
    input_data: Mapped[JSONObject | None] = mapped_column(
        JSONB, comment="Optional JSON input the chain was run with.")
    output_data: Mapped[JSONObject | None] = mapped_column(
        JSONB, comment="Optional JSON output the chain produced.")
    error_message: Mapped[str | None] = mapped_column(
        Text, comment="Failure reason when the execution failed or was vetoed.")
    created_at: Mapped[datetime | None] = _created("When the history row was written (server default now()).")
