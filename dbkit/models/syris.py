"""Query SYRIS (seed 004) on SQLite or PostgreSQL through one set of SQLAlchemy 2.0 models.

The migrations in `sql/syris/` are the source of truth (SQLite dialect, translated for
PostgreSQL by `dbkit.translate`); these models repeat them name for name, so that
`alembic.autogenerate.compare_metadata` against a migrated PostgreSQL database reports nothing.
They carry no comments: those live only in the SQL files (`COMMENT ON` in
`0099_comments.postgresql.sql`, PostgreSQL only) and reach readers through the catalog
(`dbkit.catalog`), from which `dbkit check` checks comment coverage.

One model, two engines. The tables live in the `syris` schema on PostgreSQL; SQLite has no
schemas, so remove it there with a schema translate map::

    from sqlalchemy.orm import Session
    from dbkit import sqlite
    from dbkit.models.syris import SQLITE_SCHEMA_MAP, Event

    eng = sqlite.engine("syris.db").execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)
    with Session(eng) as session:
        session.add(Event(trace_id="t1", channel="cli", event_type="ping", payload={"n": 1}))
        session.commit()

How the column types meet the two storage conventions:

- JSON columns are ``JSON().with_variant(JSONB(), "postgresql")``: TEXT holding JSON on
  SQLite, jsonb on PostgreSQL; Python sees dicts and lists on both.
- Booleans are ``Boolean``: 0/1 INTEGER on SQLite, boolean on PostgreSQL; Python sees bool.
- Timestamps are ``DateTime(timezone=True)``: ISO-8601 UTC text on SQLite (read back as naive
  datetimes), timestamptz on PostgreSQL (read back as aware ones). Write UTC.
- Integer ids are ``Identity()`` on PostgreSQL and AUTOINCREMENT (``sqlite_autoincrement``) on
  SQLite.

Against a migrated SQLite file, compare `sqlite_metadata()` (the same tables without the
schema) with ``compare_type=sqlite_compare_type``: SQLite reflects the declared storage types
(INTEGER for booleans, TEXT for JSON, TIMESTAMP) and that hook knows which model types they
stand for; everything else is compared as usual.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "SQLITE_SCHEMA_MAP",
    "Alarm",
    "Approval",
    "Artifact",
    "AuditEvent",
    "Base",
    "Event",
    "IdempotencyOutcome",
    "RoutingDecision",
    "Rule",
    "Schedule",
    "Step",
    "SystemHealth",
    "Task",
    "ToolCall",
    "ToolResult",
    "WatcherState",
    "sqlite_compare_type",
    "sqlite_metadata",
]

SQLITE_SCHEMA_MAP: dict[str | None, str | None] = {"syris": None}
"""`execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)` drops the schema on SQLite."""

_JSON = JSON().with_variant(JSONB(), "postgresql")
_TS = DateTime(timezone=True)
_NOW = text("CURRENT_TIMESTAMP")  # "now" on both engines


def _id() -> Mapped[int]:
    return mapped_column(Integer, Identity(), primary_key=True)


def _at(*, now: bool = False) -> Any:
    return mapped_column(_TS, server_default=_NOW if now else None)


def _table(*items: Any) -> tuple[Any, ...]:
    # sqlite_autoincrement makes create_all on SQLite write AUTOINCREMENT, as the migrations do.
    return (*items, {"sqlite_autoincrement": True})


def _partial(name: str, column: str, where: str, *, unique: bool = False) -> Index:
    return Index(name, column, unique=unique, sqlite_where=text(where), postgresql_where=text(where))


class Base(DeclarativeBase):
    """Declarative base whose tables all live in the `syris` schema (none on SQLite)."""

    metadata = MetaData(schema="syris")


class Event(Base):
    """An inbound event after normalisation."""

    __tablename__ = "events"
    __table_args__ = _table(
        Index("idx_events_trace_id", "trace_id"),
        Index("idx_events_ingested_at", "ingested_at"),
        Index("idx_events_channel", "channel"),
        _partial("uq_events_dedupe_key", "dedupe_key", "dedupe_key IS NOT NULL", unique=True),
    )

    id: Mapped[int] = _id()
    trace_id: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(_JSON)
    dedupe_key: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = _at(now=True)

    routing_decisions: Mapped[list[RoutingDecision]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class RoutingDecision(Base):
    """The routing outcome of one trace."""

    __tablename__ = "routing_decisions"
    __table_args__ = _table(
        UniqueConstraint("trace_id", name="uq_routing_decisions_trace_id"),
        Index("idx_routing_decisions_event_id", "event_id"),
        Index("idx_routing_decisions_decided_at", "decided_at"),
    )

    id: Mapped[int] = _id()
    event_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("events.id", ondelete="CASCADE", name="fk_routing_decisions_event_id"),
    )
    trace_id: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = _at(now=True)

    event: Mapped[Event] = relationship(back_populates="routing_decisions")


class Task(Base):
    """A persisted workflow instance."""

    __tablename__ = "tasks"
    __table_args__ = _table(
        CheckConstraint(
            "status IN ('pending', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')",
            name="ck_tasks_status",
        ),
        Index("idx_tasks_status", "status"),
        Index("idx_tasks_trace_id", "trace_id"),
        Index("idx_tasks_updated_at", "updated_at"),
        _partial("idx_tasks_next_wake_time", "next_wake_time", "next_wake_time IS NOT NULL"),
    )

    id: Mapped[int] = _id()
    trace_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_wake_time: Mapped[datetime | None] = _at()
    created_at: Mapped[datetime] = _at(now=True)
    updated_at: Mapped[datetime] = _at(now=True)

    steps: Mapped[list[Step]] = relationship(back_populates="task", cascade="all, delete-orphan", passive_deletes=True)


class Step(Base):
    """A resumable unit of work within a task."""

    __tablename__ = "steps"
    __table_args__ = _table(
        Index("idx_steps_task_id", "task_id"),
        Index("idx_steps_status", "status"),
        _partial(
            "uq_steps_idempotency_key",
            "idempotency_key",
            "idempotency_key IS NOT NULL",
            unique=True,
        ),
    )

    id: Mapped[int] = _id()
    task_id: Mapped[int] = mapped_column(Integer, ForeignKey("tasks.id", ondelete="CASCADE", name="fk_steps_task_id"))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    input: Mapped[Any | None] = mapped_column(_JSON)
    output: Mapped[Any | None] = mapped_column(_JSON)
    started_at: Mapped[datetime | None] = _at()
    finished_at: Mapped[datetime | None] = _at()

    task: Mapped[Task] = relationship(back_populates="steps")
    tool_calls: Mapped[list[ToolCall]] = relationship(back_populates="step", passive_deletes=True)


class ToolCall(Base):
    """One tool invocation (every retry is its own row)."""

    __tablename__ = "tool_calls"
    __table_args__ = _table(
        Index("idx_tool_calls_trace_id", "trace_id"),
        Index("idx_tool_calls_idempotency_key", "idempotency_key"),
        Index("idx_tool_calls_created_at", "created_at"),
        Index("idx_tool_calls_step_id", "step_id"),
    )

    id: Mapped[int] = _id()
    trace_id: Mapped[str] = mapped_column(Text)
    step_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("steps.id", ondelete="SET NULL", name="fk_tool_calls_step_id")
    )
    tool_name: Mapped[str] = mapped_column(Text)
    arguments: Mapped[Any | None] = mapped_column(_JSON)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _at(now=True)

    step: Mapped[Step | None] = relationship(back_populates="tool_calls")
    result: Mapped[ToolResult | None] = relationship(
        back_populates="tool_call", cascade="all, delete-orphan", passive_deletes=True
    )


class ToolResult(Base):
    """The final outcome of a tool call."""

    __tablename__ = "tool_results"
    __table_args__ = _table(
        CheckConstraint("status IN ('ok', 'error', 'timeout')", name="ck_tool_results_status"),
    )

    tool_call_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("tool_calls.id", ondelete="CASCADE", name="fk_tool_results_tool_call_id"),
        primary_key=True,
        autoincrement=False,
    )
    status: Mapped[str] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(_JSON)
    error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime] = _at(now=True)

    tool_call: Mapped[ToolCall] = relationship(back_populates="result")


class IdempotencyOutcome(Base):
    """The stored outcome of an idempotent operation."""

    __tablename__ = "idempotency_outcomes"
    __table_args__ = _table()

    idempotency_key: Mapped[str] = mapped_column(Text, primary_key=True)
    outcome: Mapped[Any] = mapped_column(_JSON)
    created_at: Mapped[datetime] = _at(now=True)
    expires_at: Mapped[datetime | None] = _at()


class Artifact(Base):
    """An encrypted, redacted payload that audit events point to."""

    __tablename__ = "artifacts"
    __table_args__ = _table(
        UniqueConstraint("ref_id", name="uq_artifacts_ref_id"),
        Index("idx_artifacts_created_at", "created_at"),
    )

    id: Mapped[int] = _id()
    ref_id: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    redacted: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = _at(now=True)


class AuditEvent(Base):
    """One append-only audit record; the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = _table(
        CheckConstraint("outcome IN ('success', 'failure', 'denied')", name="ck_audit_events_outcome"),
        Index("idx_audit_events_trace_id", "trace_id"),
        Index("idx_audit_events_timestamp", "timestamp"),
        Index("idx_audit_events_type", "type"),
        Index("idx_audit_events_outcome", "outcome"),
        Index("idx_audit_events_tool_name", "tool_name"),
        _partial("idx_audit_events_ref_task_id", "ref_task_id", "ref_task_id IS NOT NULL"),
    )

    id: Mapped[int] = _id()
    trace_id: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = _at(now=True)
    type: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    tool_name: Mapped[str | None] = mapped_column(Text)
    # tasks.id by value, no foreign key: audit rows outlive tasks.
    ref_task_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    payload_ref: Mapped[str | None] = mapped_column(Text)


class Approval(Base):
    """A gate decision waiting for, or given by, a human."""

    __tablename__ = "approvals"
    __table_args__ = _table(
        CheckConstraint("status IN ('pending', 'approved', 'denied', 'expired')", name="ck_approvals_status"),
        Index("idx_approvals_status", "status"),
        Index("idx_approvals_trace_id", "trace_id"),
        Index("idx_approvals_expires_at", "expires_at"),
    )

    id: Mapped[int] = _id()
    trace_id: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    risk: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    requested_at: Mapped[datetime] = _at(now=True)
    expires_at: Mapped[datetime | None] = _at()
    decided_at: Mapped[datetime | None] = _at()
    decided_by: Mapped[str | None] = mapped_column(Text)


class Schedule(Base):
    """A persistent schedule: a cron expression or a fixed interval."""

    __tablename__ = "schedules"
    __table_args__ = _table(
        UniqueConstraint("name", name="uq_schedules_name"),
        CheckConstraint("(cron IS NULL) <> (interval_s IS NULL)", name="ck_schedules_cron_or_interval"),
        CheckConstraint("interval_s > 0", name="ck_schedules_interval_s"),
        Index(
            "idx_schedules_next_run_at",
            "next_run_at",
            sqlite_where=text("enabled = 1"),
            postgresql_where=text("enabled = TRUE"),
        ),
    )

    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(Text)
    cron: Mapped[str | None] = mapped_column(Text)
    interval_s: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[Any | None] = mapped_column(_JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    next_run_at: Mapped[datetime | None] = _at()
    last_run_at: Mapped[datetime | None] = _at()


class WatcherState(Base):
    """What one watcher remembers between ticks."""

    __tablename__ = "watcher_state"
    __table_args__ = _table()

    watcher_id: Mapped[str] = mapped_column(Text, primary_key=True)
    last_tick_at: Mapped[datetime | None] = _at()
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    dedup_state: Mapped[Any | None] = mapped_column(_JSON)


class Rule(Base):
    """An IFTTT-style rule: when the condition matches, perform the action."""

    __tablename__ = "rules"
    __table_args__ = _table(
        Index("idx_rules_enabled", "enabled"),
        Index("idx_rules_priority", "priority"),
    )

    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(Text)
    condition: Mapped[Any] = mapped_column(_JSON)
    action: Mapped[Any] = mapped_column(_JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    priority: Mapped[int] = mapped_column(Integer, server_default=text("100"))


class SystemHealth(Base):
    """A heartbeat record."""

    __tablename__ = "system_health"
    __table_args__ = _table(
        CheckConstraint("status IN ('ok', 'degraded', 'down')", name="ck_system_health_status"),
        Index("idx_system_health_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = _id()
    recorded_at: Mapped[datetime] = _at(now=True)
    component: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    details: Mapped[Any | None] = mapped_column(_JSON)


class Alarm(Base):
    """An incident, open or resolved."""

    __tablename__ = "alarms"
    __table_args__ = _table(
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="ck_alarms_status"),
        Index("idx_alarms_status", "status"),
        _partial("uq_alarms_dedupe_key_open", "dedupe_key", "status = 'open'", unique=True),
    )

    id: Mapped[int] = _id()
    dedupe_key: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'open'"))
    title: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = _at(now=True)
    resolved_at: Mapped[datetime | None] = _at()


def sqlite_metadata() -> MetaData:
    """Return a copy of `Base.metadata` without the schema, for tools that reflect SQLite."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata, schema=None)  # type: ignore[arg-type]  # None: no schema (SQLite)
    return metadata


def sqlite_compare_type(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_type: Any,
    metadata_type: Any,
) -> bool | None:
    """Alembic `compare_type` hook for SQLite: False where SQLite's storage type is expected."""
    stored = type(inspected_type).__name__.upper()
    wanted = metadata_type.dialect_impl(context.dialect)
    expected = (
        (isinstance(wanted, JSON) and stored == "TEXT")
        or (isinstance(wanted, Boolean) and stored == "INTEGER")
        or (isinstance(wanted, DateTime) and stored in {"TIMESTAMP", "DATETIME"})
    )
    return False if expected else None  # None: let alembic compare as usual
