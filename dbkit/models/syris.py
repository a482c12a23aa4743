"""Query SYRIS (seed 004) on SQLite or PostgreSQL through one set of SQLAlchemy 2.0 models.

The migrations in `sql/syris/` are the source of truth (SQLite dialect, translated for
PostgreSQL by `dbkit.translate`); these models repeat them name for name, so that
`alembic.autogenerate.compare_metadata` against a migrated PostgreSQL database reports nothing.

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
    "Base",
    "SQLITE_SCHEMA_MAP",
    "sqlite_compare_type",
    "sqlite_metadata",
    "Event",
    "RoutingDecision",
    "Task",
    "Step",
    "ToolCall",
    "ToolResult",
    "IdempotencyOutcome",
    "Artifact",
    "AuditEvent",
    "Approval",
    "Schedule",
    "WatcherState",
    "Rule",
    "SystemHealth",
    "Alarm",
]

SQLITE_SCHEMA_MAP: dict[str | None, str | None] = {"syris": None}
"""`execution_options(schema_translate_map=SQLITE_SCHEMA_MAP)` drops the schema on SQLite."""

_JSON = JSON().with_variant(JSONB(), "postgresql")
_TS = DateTime(timezone=True)
_NOW = text("CURRENT_TIMESTAMP")  # "now" on both engines


def _id(comment: str) -> Mapped[int]:
    return mapped_column(Integer, Identity(), primary_key=True, comment=comment)


def _at(comment: str, *, now: bool = False) -> Any:
    return mapped_column(_TS, server_default=_NOW if now else None, comment=comment)


def _table(comment: str, *items: Any) -> tuple[Any, ...]:
    # sqlite_autoincrement makes create_all on SQLite write AUTOINCREMENT, as the migrations do.
    return (*items, {"comment": comment, "sqlite_autoincrement": True})


def _partial(name: str, column: str, where: str, *, unique: bool = False) -> Index:
    return Index(
        name, column, unique=unique, sqlite_where=text(where), postgresql_where=text(where)
    )


class Base(DeclarativeBase):
    """Declarative base whose tables all live in the `syris` schema (none on SQLite)."""

    metadata = MetaData(schema="syris")


class Event(Base):
    """An inbound event after normalisation."""

    __tablename__ = "events"
    __table_args__ = _table(
        "Inbound events after normalisation, one row per event from any channel.",
        Index("idx_events_trace_id", "trace_id"),
        Index("idx_events_ingested_at", "ingested_at"),
        Index("idx_events_channel", "channel"),
        _partial("uq_events_dedupe_key", "dedupe_key", "dedupe_key IS NOT NULL", unique=True),
    )

    id: Mapped[int] = _id(
        "Event identifier (identity on PostgreSQL, AUTOINCREMENT rowid on SQLite)."
    )
    trace_id: Mapped[str] = mapped_column(
        Text,
        comment="Trace that follows this event through routing, tasks, tool calls and audit.",
    )
    channel: Mapped[str] = mapped_column(
        Text, comment="Channel the event arrived on, e.g. a chat, email or webhook connector."
    )
    source: Mapped[str | None] = mapped_column(
        Text, comment="Sender or system within the channel that produced the event, if known."
    )
    event_type: Mapped[str] = mapped_column(
        Text, comment="Normalised kind of event, which routing decides on."
    )
    payload: Mapped[Any] = mapped_column(
        _JSON, comment="The normalised event body as JSON (TEXT on SQLite)."
    )
    dedupe_key: Mapped[str | None] = mapped_column(
        Text,
        comment="Optional key that makes re-delivery of the same event a no-op (unique when set).",
    )
    ingested_at: Mapped[datetime] = _at("When the event was stored.", now=True)

    routing_decisions: Mapped[list[RoutingDecision]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class RoutingDecision(Base):
    """The routing outcome of one trace."""

    __tablename__ = "routing_decisions"
    __table_args__ = _table(
        "The routing outcome for each trace: exactly one decision per trace.",
        UniqueConstraint("trace_id", name="uq_routing_decisions_trace_id"),
        Index("idx_routing_decisions_event_id", "event_id"),
        Index("idx_routing_decisions_decided_at", "decided_at"),
    )

    id: Mapped[int] = _id("Decision identifier.")
    event_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("events.id", ondelete="CASCADE", name="fk_routing_decisions_event_id"),
        comment="The event that was routed; deleting the event deletes its decision.",
    )
    trace_id: Mapped[str] = mapped_column(
        Text, comment="The trace decided on; unique, since a trace is routed once."
    )
    route: Mapped[str] = mapped_column(
        Text, comment="Where the event was sent, e.g. a workflow or a direct reply."
    )
    reason: Mapped[str | None] = mapped_column(
        Text, comment="Why the router chose this route, for debugging and audit."
    )
    decided_at: Mapped[datetime] = _at("When the decision was taken.", now=True)

    event: Mapped[Event] = relationship(back_populates="routing_decisions")


class Task(Base):
    """A persisted workflow instance."""

    __tablename__ = "tasks"
    __table_args__ = _table(
        "Persisted workflow instances that survive restarts and can sleep until a wake time.",
        CheckConstraint(
            "status IN ('pending', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')",
            name="ck_tasks_status",
        ),
        Index("idx_tasks_status", "status"),
        Index("idx_tasks_trace_id", "trace_id"),
        Index("idx_tasks_updated_at", "updated_at"),
        _partial("idx_tasks_next_wake_time", "next_wake_time", "next_wake_time IS NOT NULL"),
    )

    id: Mapped[int] = _id("Task identifier.")
    trace_id: Mapped[str] = mapped_column(
        Text, comment="Trace of the event that started the task."
    )
    name: Mapped[str] = mapped_column(Text, comment="Name of the workflow the task runs.")
    status: Mapped[str] = mapped_column(
        Text,
        comment="Lifecycle state: pending, running, waiting, succeeded, failed or cancelled.",
    )
    attempts: Mapped[int] = mapped_column(
        Integer,
        server_default=text("0"),
        comment="How many times the task has been started, retries included.",
    )
    next_wake_time: Mapped[datetime | None] = _at(
        "When a waiting task should resume; NULL when it is not sleeping."
    )
    created_at: Mapped[datetime] = _at("When the task was created.", now=True)
    updated_at: Mapped[datetime] = _at(
        "When the task last changed; the application sets it.", now=True
    )

    steps: Mapped[list[Step]] = relationship(
        back_populates="task", cascade="all, delete-orphan", passive_deletes=True
    )


class Step(Base):
    """A resumable unit of work within a task."""

    __tablename__ = "steps"
    __table_args__ = _table(
        "Individually resumable units of work within a task, run in seq order.",
        Index("idx_steps_task_id", "task_id"),
        Index("idx_steps_status", "status"),
        _partial(
            "uq_steps_idempotency_key",
            "idempotency_key",
            "idempotency_key IS NOT NULL",
            unique=True,
        ),
    )

    id: Mapped[int] = _id("Step identifier.")
    task_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("tasks.id", ondelete="CASCADE", name="fk_steps_task_id"),
        comment="The task the step belongs to; deleting the task deletes its steps.",
    )
    seq: Mapped[int] = mapped_column(Integer, comment="Position of the step within its task.")
    name: Mapped[str] = mapped_column(Text, comment="Name of the step within the workflow.")
    status: Mapped[str] = mapped_column(
        Text, comment="Lifecycle state of the step, as recorded by the workflow engine."
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        Text,
        comment="Optional key that makes the step's side effect run once (unique when set).",
    )
    input: Mapped[Any | None] = mapped_column(_JSON, comment="The step's input as JSON.")
    output: Mapped[Any | None] = mapped_column(
        _JSON, comment="The step's output as JSON, once it has finished."
    )
    started_at: Mapped[datetime | None] = _at("When the step started; NULL if it has not.")
    finished_at: Mapped[datetime | None] = _at(
        "When the step finished; NULL while pending or running."
    )

    task: Mapped[Task] = relationship(back_populates="steps")
    tool_calls: Mapped[list[ToolCall]] = relationship(
        back_populates="step", passive_deletes=True
    )


class ToolCall(Base):
    """One tool invocation (every retry is its own row)."""

    __tablename__ = "tool_calls"
    __table_args__ = _table(
        "A record of every tool invocation, retries included.",
        Index("idx_tool_calls_trace_id", "trace_id"),
        Index("idx_tool_calls_idempotency_key", "idempotency_key"),
        Index("idx_tool_calls_created_at", "created_at"),
        Index("idx_tool_calls_step_id", "step_id"),
    )

    id: Mapped[int] = _id("Tool call identifier.")
    trace_id: Mapped[str] = mapped_column(
        Text, comment="Trace on whose behalf the tool was called."
    )
    step_id: Mapped[int | None] = mapped_column(
        Integer,
        ForeignKey("steps.id", ondelete="SET NULL", name="fk_tool_calls_step_id"),
        comment="The step that made the call, if any; cleared when the step is deleted.",
    )
    tool_name: Mapped[str] = mapped_column(Text, comment="Name of the tool that was invoked.")
    arguments: Mapped[Any | None] = mapped_column(
        _JSON, comment="The arguments passed to the tool, as JSON."
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        Text,
        comment="Key shared by retries of the same logical call (not unique here; see "
        "idempotency_outcomes).",
    )
    created_at: Mapped[datetime] = _at("When the tool was invoked.", now=True)

    step: Mapped[Step | None] = relationship(back_populates="tool_calls")
    result: Mapped[ToolResult | None] = relationship(
        back_populates="tool_call", cascade="all, delete-orphan", passive_deletes=True
    )


class ToolResult(Base):
    """The final outcome of a tool call."""

    __tablename__ = "tool_results"
    __table_args__ = _table(
        "The final outcome of each tool call, at most one per call.",
        CheckConstraint("status IN ('ok', 'error', 'timeout')", name="ck_tool_results_status"),
    )

    tool_call_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("tool_calls.id", ondelete="CASCADE", name="fk_tool_results_tool_call_id"),
        primary_key=True,
        autoincrement=False,
        comment="The tool call this result belongs to (primary key and foreign key).",
    )
    status: Mapped[str] = mapped_column(
        Text, comment="How the call ended: ok, error or timeout."
    )
    result: Mapped[Any | None] = mapped_column(
        _JSON, comment="The tool's return value as JSON, when it succeeded."
    )
    error: Mapped[str | None] = mapped_column(
        Text, comment="The error message, when the call failed or timed out."
    )
    completed_at: Mapped[datetime] = _at("When the call completed.", now=True)

    tool_call: Mapped[ToolCall] = relationship(back_populates="result")


class IdempotencyOutcome(Base):
    """The stored outcome of an idempotent operation."""

    __tablename__ = "idempotency_outcomes"
    __table_args__ = _table(
        "Stable outcomes by idempotency key, so a retry or restart replays the result instead "
        "of the effect."
    )

    idempotency_key: Mapped[str] = mapped_column(
        Text, primary_key=True, comment="The key of the operation whose outcome is stored."
    )
    outcome: Mapped[Any] = mapped_column(
        _JSON, comment="The recorded outcome as JSON, returned to any retry with the same key."
    )
    created_at: Mapped[datetime] = _at("When the outcome was recorded.", now=True)
    expires_at: Mapped[datetime | None] = _at(
        "When the outcome may be forgotten; NULL keeps it forever."
    )


class Artifact(Base):
    """An encrypted, redacted payload that audit events point to."""

    __tablename__ = "artifacts"
    __table_args__ = _table(
        "Encrypted, redacted payloads that audit events refer to by ref_id.",
        UniqueConstraint("ref_id", name="uq_artifacts_ref_id"),
        Index("idx_artifacts_created_at", "created_at"),
    )

    id: Mapped[int] = _id("Artifact identifier.")
    ref_id: Mapped[str] = mapped_column(
        Text, comment="Stable reference that audit_events.payload_ref holds; unique."
    )
    content_type: Mapped[str | None] = mapped_column(
        Text, comment="MIME type of the plaintext before encryption, if known."
    )
    ciphertext: Mapped[bytes] = mapped_column(
        LargeBinary, comment="The encrypted payload (bytea here, BLOB on SQLite)."
    )
    redacted: Mapped[bool] = mapped_column(
        Boolean,
        server_default=false(),
        comment="Whether sensitive fields were redacted before encryption.",
    )
    created_at: Mapped[datetime] = _at("When the artifact was stored.", now=True)


class AuditEvent(Base):
    """One append-only audit record; the database refuses UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = _table(
        "Append-only operational history: triggers refuse UPDATE, DELETE and TRUNCATE.",
        CheckConstraint(
            "outcome IN ('success', 'failure', 'denied')", name="ck_audit_events_outcome"
        ),
        Index("idx_audit_events_trace_id", "trace_id"),
        Index("idx_audit_events_timestamp", "timestamp"),
        Index("idx_audit_events_type", "type"),
        Index("idx_audit_events_outcome", "outcome"),
        Index("idx_audit_events_tool_name", "tool_name"),
        _partial("idx_audit_events_ref_task_id", "ref_task_id", "ref_task_id IS NOT NULL"),
    )

    id: Mapped[int] = _id("Audit event identifier, increasing in insertion order.")
    trace_id: Mapped[str] = mapped_column(Text, comment="Trace the audited action belongs to.")
    timestamp: Mapped[datetime] = _at("When the audited action happened.", now=True)
    type: Mapped[str] = mapped_column(
        Text, comment="Kind of action audited, e.g. a tool call or an approval."
    )
    outcome: Mapped[str] = mapped_column(
        Text, comment="Result of the action: success, failure or denied."
    )
    tool_name: Mapped[str | None] = mapped_column(
        Text, comment="The tool involved, for tool-related events."
    )
    ref_task_id: Mapped[int | None] = mapped_column(
        Integer,
        comment="The task involved, if any (tasks.id by value, no foreign key: audit rows "
        "outlive tasks).",
    )
    summary: Mapped[str | None] = mapped_column(
        Text, comment="Short human-readable description of what happened."
    )
    payload_ref: Mapped[str | None] = mapped_column(
        Text, comment="The artifacts.ref_id of the encrypted full payload, if one was kept."
    )


class Approval(Base):
    """A gate decision waiting for, or given by, a human."""

    __tablename__ = "approvals"
    __table_args__ = _table(
        "Gate decisions waiting for or given by a human, pending and resolved.",
        CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'expired')", name="ck_approvals_status"
        ),
        Index("idx_approvals_status", "status"),
        Index("idx_approvals_trace_id", "trace_id"),
        Index("idx_approvals_expires_at", "expires_at"),
    )

    id: Mapped[int] = _id("Approval identifier.")
    trace_id: Mapped[str] = mapped_column(
        Text, comment="Trace of the action awaiting approval."
    )
    action: Mapped[str] = mapped_column(
        Text, comment="The action that needs approval, described for the approver."
    )
    risk: Mapped[str | None] = mapped_column(
        Text, comment="Risk level the policy assigned to the action, if any."
    )
    status: Mapped[str] = mapped_column(
        Text,
        server_default=text("'pending'"),
        comment="State of the request: pending, approved, denied or expired.",
    )
    requested_at: Mapped[datetime] = _at("When approval was requested.", now=True)
    expires_at: Mapped[datetime | None] = _at(
        "When a still-pending request expires; NULL means never."
    )
    decided_at: Mapped[datetime | None] = _at("When the request was approved or denied.")
    decided_by: Mapped[str | None] = mapped_column(
        Text, comment="Who approved or denied the request."
    )


class Schedule(Base):
    """A persistent schedule: a cron expression or a fixed interval."""

    __tablename__ = "schedules"
    __table_args__ = _table(
        "Persistent schedule definitions, each a cron expression or a fixed interval.",
        UniqueConstraint("name", name="uq_schedules_name"),
        CheckConstraint(
            "(cron IS NULL) <> (interval_s IS NULL)", name="ck_schedules_cron_or_interval"
        ),
        CheckConstraint("interval_s > 0", name="ck_schedules_interval_s"),
        Index(
            "idx_schedules_next_run_at",
            "next_run_at",
            sqlite_where=text("enabled = 1"),
            postgresql_where=text("enabled = TRUE"),
        ),
    )

    id: Mapped[int] = _id("Schedule identifier.")
    name: Mapped[str] = mapped_column(Text, comment="Unique name of the schedule.")
    cron: Mapped[str | None] = mapped_column(
        Text, comment="Cron expression, when the schedule is not interval-based."
    )
    interval_s: Mapped[int | None] = mapped_column(
        Integer,
        comment="Interval between runs in seconds, when the schedule is not cron-based.",
    )
    payload: Mapped[Any | None] = mapped_column(
        _JSON, comment="JSON handed to each scheduled run."
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean,
        server_default=true(),
        comment="Whether the schedule fires (boolean here, 0/1 integer on SQLite).",
    )
    next_run_at: Mapped[datetime | None] = _at("When the schedule fires next.")
    last_run_at: Mapped[datetime | None] = _at("When the schedule last fired.")


class WatcherState(Base):
    """What one watcher remembers between ticks."""

    __tablename__ = "watcher_state"
    __table_args__ = _table(
        "Per-watcher tick, error and deduplication state, one row per watcher."
    )

    watcher_id: Mapped[str] = mapped_column(
        Text, primary_key=True, comment="Name of the watcher."
    )
    last_tick_at: Mapped[datetime | None] = _at("When the watcher last ran.")
    last_error: Mapped[str | None] = mapped_column(
        Text, comment="The watcher's most recent error message, if any."
    )
    error_count: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), comment="Number of errors the watcher has hit."
    )
    dedup_state: Mapped[Any | None] = mapped_column(
        _JSON,
        comment="Whatever the watcher remembers to avoid reporting the same thing twice, "
        "as JSON.",
    )


class Rule(Base):
    """An IFTTT-style rule: when the condition matches, perform the action."""

    __tablename__ = "rules"
    __table_args__ = _table(
        "IFTTT-style rules: when the condition matches, perform the action.",
        Index("idx_rules_enabled", "enabled"),
        Index("idx_rules_priority", "priority"),
    )

    id: Mapped[int] = _id("Rule identifier.")
    name: Mapped[str] = mapped_column(Text, comment="Human-readable rule name.")
    condition: Mapped[Any] = mapped_column(_JSON, comment="The condition to match, as JSON.")
    action: Mapped[Any] = mapped_column(
        _JSON, comment="The action to perform when the condition matches, as JSON."
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean,
        server_default=true(),
        comment="Whether the rule is active (boolean here, 0/1 integer on SQLite).",
    )
    priority: Mapped[int] = mapped_column(
        Integer,
        server_default=text("100"),
        comment="Evaluation order among matching rules (ordered by this value).",
    )


class SystemHealth(Base):
    """A heartbeat record."""

    __tablename__ = "system_health"
    __table_args__ = _table(
        "Periodic heartbeat records written by the HeartbeatWatcher.",
        CheckConstraint("status IN ('ok', 'degraded', 'down')", name="ck_system_health_status"),
        Index("idx_system_health_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = _id("Heartbeat record identifier.")
    recorded_at: Mapped[datetime] = _at("When the heartbeat was taken.", now=True)
    component: Mapped[str] = mapped_column(
        Text, comment="The component whose health was checked."
    )
    status: Mapped[str] = mapped_column(
        Text, comment="Health of the component: ok, degraded or down."
    )
    details: Mapped[Any | None] = mapped_column(
        _JSON, comment="Measurements behind the status, as JSON."
    )


class Alarm(Base):
    """An incident, open or resolved."""

    __tablename__ = "alarms"
    __table_args__ = _table(
        "Open and resolved incidents, at most one open alarm per dedupe key.",
        CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name="ck_alarms_status"
        ),
        Index("idx_alarms_status", "status"),
        _partial("uq_alarms_dedupe_key_open", "dedupe_key", "status = 'open'", unique=True),
    )

    id: Mapped[int] = _id("Alarm identifier.")
    dedupe_key: Mapped[str] = mapped_column(
        Text,
        comment="Incident key; unique among open alarms, so a recurring problem does not "
        "raise a second one.",
    )
    severity: Mapped[str] = mapped_column(
        Text, comment="How serious the incident is, as the raising watcher judged it."
    )
    status: Mapped[str] = mapped_column(
        Text,
        server_default=text("'open'"),
        comment="State of the alarm: open, acknowledged or resolved.",
    )
    title: Mapped[str] = mapped_column(Text, comment="One-line description of the incident.")
    opened_at: Mapped[datetime] = _at("When the alarm was raised.", now=True)
    resolved_at: Mapped[datetime | None] = _at(
        "When the alarm was resolved; NULL while it is not."
    )


def sqlite_metadata() -> MetaData:
    """Return a copy of `Base.metadata` without the schema, for tools that reflect SQLite."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata, schema=None)
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
