"""SQLAlchemy models of the Orchestrator schema (seed 002), matching sql/orchestrator/ with no drift."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, Text,
    UniqueConstraint, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base", "OrchestratorAgent", "Agent", "Prompt", "AgentLog", "SystemLog", "OrchestratorChat",
    "STATUSES", "HOOK_EVENTS", "RESPONSE_EVENTS",
]

STATUSES = ("idle", "executing", "waiting", "blocked", "complete")
HOOK_EVENTS = ("PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SubagentStop", "PreCompact")
RESPONSE_EVENTS = ("text", "thinking", "tool_use", "tool_result")
_PARTIES = ("user", "orchestrator", "agent")

JSONObject = dict[str, Any]
_TZ = DateTime(timezone=True)
_CASCADE = {"cascade": "all, delete-orphan", "passive_deletes": True}


class Base(DeclarativeBase):
    metadata = MetaData(schema="orchestrator")


def _pk(comment: str) -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"), comment=comment
    )


def _fk(target: str, comment: str, *, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(
        UUID(as_uuid=True), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, comment=comment
    )


def _now(comment: str) -> Mapped[datetime]:
    return mapped_column(_TZ, nullable=False, server_default=text("now()"), comment=comment)


def _text(comment: str) -> Mapped[str | None]:
    return mapped_column(Text, comment=comment)


def _meta(comment: str) -> Mapped[JSONObject | None]:
    # "metadata" is reserved on declarative classes, so the attribute is metadata_.
    return mapped_column("metadata", JSONB, server_default=text("'{}'::jsonb"), comment=comment)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN {values!r}"


class _Usage:
    """Token, cost and archive columns shared by both agent tables."""

    input_tokens: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"), comment="Cumulative input tokens consumed.")
    output_tokens: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"), comment="Cumulative output tokens generated.")
    total_cost: Mapped[Decimal | None] = mapped_column(
        Numeric(10, 4), server_default=text("0"), comment="Cumulative cost in USD, four decimal places.")


class OrchestratorAgent(_Usage, Base):
    __tablename__ = "orchestrator_agents"
    __table_args__ = (
        UniqueConstraint("session_id", name="uq_orchestrator_agents_session_id"),
        CheckConstraint(_in("status", STATUSES), name="ck_orchestrator_agents_status"),
        Index("idx_orchestrator_agents_status", "status"),
        Index("idx_orchestrator_agents_updated_at", text("updated_at DESC")),
        {"comment": "Orchestrator agents: the top-level agent that plans work and manages the other agents."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated orchestrator identifier.")
    session_id: Mapped[str | None] = _text("Unique Claude SDK session id, NULL until the first interaction.")
    system_prompt: Mapped[str | None] = _text("System prompt the orchestrator runs with.")
    status: Mapped[str | None] = _text("Current state: idle, executing, waiting, blocked or complete.")
    working_dir: Mapped[str | None] = _text("Working directory the orchestrator operates in.")
    archived: Mapped[bool | None] = mapped_column(
        Boolean, server_default=text("false"), comment="Soft-delete flag: true once the orchestrator is retired.")
    metadata_: Mapped[JSONObject | None] = _meta(
        "JSON object with orchestrator configuration (model, tools, commands).")
    created_at: Mapped[datetime] = _now("When the row was created.")
    updated_at: Mapped[datetime] = _now("When the row last changed; kept current by a trigger.")

    agents: Mapped[list[Agent]] = relationship(back_populates="orchestrator_agent", **_CASCADE)
    chat: Mapped[list[OrchestratorChat]] = relationship(back_populates="orchestrator_agent", **_CASCADE)


class Agent(_Usage, Base):
    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("orchestrator_agent_id", "name", name="uq_agents_orchestrator_agent_id_name"),
        CheckConstraint(_in("status", STATUSES), name="ck_agents_status"),
        Index("idx_agents_status", "status"),
        Index("idx_agents_updated_at", text("updated_at DESC")),
        Index("idx_agents_name", "name"),
        Index("idx_agents_archived", "archived"),
        {"comment": "Managed agents: each belongs to one orchestrator and tracks its own status, usage and cost."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated agent identifier.")
    orchestrator_agent_id: Mapped[uuid.UUID] = _fk(
        "orchestrator_agents.id", "Owning orchestrator (foreign key, cascades on delete).")
    name: Mapped[str] = mapped_column(Text, comment="Agent name, unique within its orchestrator.")
    model: Mapped[str] = mapped_column(Text, comment="Model id the agent runs on, e.g. claude-sonnet-4-5.")
    system_prompt: Mapped[str | None] = _text("Custom system prompt of the agent.")
    working_dir: Mapped[str | None] = _text("Working directory the agent operates in.")
    git_worktree: Mapped[str | None] = _text("Git worktree path when the agent works in its own worktree.")
    status: Mapped[str | None] = _text("Current state: idle, executing, waiting, blocked or complete.")
    session_id: Mapped[str | None] = _text("Current Claude SDK session id of the agent.")
    adw_id: Mapped[str | None] = _text("AI Developer Workflow run the agent is working on.")
    adw_step: Mapped[str | None] = _text("Step of the AI Developer Workflow the agent is on.")
    archived: Mapped[bool | None] = mapped_column(
        Boolean, server_default=text("false"), comment="Soft-delete flag: true once the agent is retired.")
    metadata_: Mapped[JSONObject | None] = _meta(
        "JSON object with agent configuration (allowed tools, permission mode).")
    created_at: Mapped[datetime] = _now("When the row was created.")
    updated_at: Mapped[datetime] = _now("When the row last changed; kept current by a trigger.")

    orchestrator_agent: Mapped[OrchestratorAgent] = relationship(back_populates="agents")
    prompts: Mapped[list[Prompt]] = relationship(back_populates="agent", **_CASCADE)
    logs: Mapped[list[AgentLog]] = relationship(back_populates="agent", **_CASCADE)
    chat: Mapped[list[OrchestratorChat]] = relationship(back_populates="agent", **_CASCADE)


class Prompt(Base):
    __tablename__ = "prompts"
    __table_args__ = (
        CheckConstraint(_in("author", ("engineer", "orchestrator_agent")), name="ck_prompts_author"),
        Index("idx_prompts_agent_id", "agent_id"),
        Index("idx_prompts_author", "author"),
        Index("idx_prompts_timestamp", text("timestamp DESC")),
        Index("idx_prompts_task_slug", "task_slug", postgresql_where=text("task_slug IS NOT NULL")),
        {"comment": "Prompt history: every prompt an engineer or the orchestrator sent."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated prompt identifier.")
    agent_id: Mapped[uuid.UUID | None] = _fk("agents.id", nullable=True, comment=(
        "Agent that received the prompt; NULL for prompts to the orchestrator itself."))
    task_slug: Mapped[str | None] = _text("Kebab-case task the prompt belongs to.")
    author: Mapped[str] = mapped_column(Text, comment="Who sent the prompt: engineer or orchestrator_agent.")
    prompt_text: Mapped[str] = mapped_column(Text, comment="Full text of the prompt.")
    summary: Mapped[str | None] = _text("Generated one-sentence summary of the prompt.")
    timestamp: Mapped[datetime] = _now("When the prompt was sent.")
    session_id: Mapped[str | None] = _text("Claude SDK session the prompt was sent in.")

    agent: Mapped[Agent | None] = relationship(back_populates="prompts")


class AgentLog(Base):
    __tablename__ = "agent_logs"
    __table_args__ = (
        CheckConstraint(_in("event_category", ("hook", "response")), name="ck_agent_logs_event_category"),
        CheckConstraint(
            f"(event_category = 'hook' AND {_in('event_type', HOOK_EVENTS)})"
            f" OR (event_category = 'response' AND {_in('event_type', RESPONSE_EVENTS)})",
            name="ck_agent_logs_event_type",
        ),
        Index("idx_agent_logs_agent_id", "agent_id"),
        *(
            Index(f"idx_agent_logs_{c}", c, postgresql_where=text(f"{c} IS NOT NULL"))
            for c in ("task_slug", "adw_id", "adw_step", "session_id")
        ),
        Index("idx_agent_logs_task_slug_entry_index", "task_slug", "entry_index"),
        Index("idx_agent_logs_event_category", "event_category"),
        Index("idx_agent_logs_event_type", "event_type"),
        Index("idx_agent_logs_event_category_event_type", "event_category", "event_type"),
        Index("idx_agent_logs_timestamp", text("timestamp DESC")),
        {"comment": "Unified event log: the hook events and response blocks of every agent, in order."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated log entry identifier.")
    agent_id: Mapped[uuid.UUID] = _fk("agents.id", "Agent that produced the event (foreign key, cascades on delete).")
    session_id: Mapped[str | None] = _text("Claude SDK session the event belongs to.")
    task_slug: Mapped[str | None] = _text("Kebab-case task the event belongs to.")
    adw_id: Mapped[str | None] = _text("AI Developer Workflow run the event belongs to.")
    adw_step: Mapped[str | None] = _text("AI Developer Workflow step the event belongs to.")
    entry_index: Mapped[int | None] = mapped_column(
        Integer, comment="Position of the event within its task, for reading the tail in order.")
    event_category: Mapped[str] = mapped_column(Text, comment="Kind of event: hook or response.")
    event_type: Mapped[str] = mapped_column(Text, comment=(
        "Hook name (PreToolUse, PostToolUse, UserPromptSubmit, Stop, SubagentStop, PreCompact)"
        " or response block (text, thinking, tool_use, tool_result)."))
    content: Mapped[str | None] = _text("Text of text and thinking blocks.")
    payload: Mapped[JSONObject | None] = mapped_column(JSONB, server_default=text("'{}'::jsonb"), comment=(
        "Complete event data (tool input, block details) as a JSON object."))
    summary: Mapped[str | None] = _text("Generated one-sentence summary of the event.")
    timestamp: Mapped[datetime] = _now("When the event occurred.")

    agent: Mapped[Agent] = relationship(back_populates="logs")


class SystemLog(Base):
    """Application log entry; no foreign keys (agent events live in AgentLog)."""

    __tablename__ = "system_logs"
    __table_args__ = (
        CheckConstraint(_in("level", ("DEBUG", "INFO", "WARNING", "ERROR")), name="ck_system_logs_level"),
        Index("idx_system_logs_level", "level"),
        Index("idx_system_logs_timestamp", text("timestamp DESC")),
        *(
            Index(f"idx_system_logs_{c}", c, postgresql_where=text(f"{c} IS NOT NULL"))
            for c in ("adw_id", "adw_step")
        ),
        {"comment": "Application-level logs; agent events go to agent_logs instead."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated log entry identifier.")
    file_path: Mapped[str | None] = _text("File the log entry refers to or was written from.")
    adw_id: Mapped[str | None] = _text("AI Developer Workflow run the entry belongs to.")
    adw_step: Mapped[str | None] = _text("AI Developer Workflow step the entry belongs to.")
    level: Mapped[str] = mapped_column(Text, comment="Severity: DEBUG, INFO, WARNING or ERROR.")
    message: Mapped[str] = mapped_column(Text, comment="The log message.")
    summary: Mapped[str | None] = _text("Generated one-sentence summary of the message.")
    metadata_: Mapped[JSONObject | None] = _meta("JSON object with additional context.")
    timestamp: Mapped[datetime] = _now("When the entry was logged.")


class OrchestratorChat(Base):
    __tablename__ = "orchestrator_chat"
    __table_args__ = (
        CheckConstraint(_in("sender_type", _PARTIES), name="ck_orchestrator_chat_sender_type"),
        CheckConstraint(_in("receiver_type", _PARTIES), name="ck_orchestrator_chat_receiver_type"),
        CheckConstraint(
            "(sender_type = 'agent' OR receiver_type = 'agent') = (agent_id IS NOT NULL)",
            name="ck_orchestrator_chat_agent_id",
        ),
        Index("idx_orchestrator_chat_orchestrator_agent_id", "orchestrator_agent_id"),
        Index("idx_orchestrator_chat_agent_id", "agent_id"),
        Index("idx_orchestrator_chat_sender_type", "sender_type"),
        Index("idx_orchestrator_chat_receiver_type", "receiver_type"),
        Index("idx_orchestrator_chat_orchestrator_agent_id_created_at",
              "orchestrator_agent_id", text("created_at DESC")),
        Index("idx_orchestrator_chat_agent_id_created_at", "agent_id", text("created_at DESC")),
        {"comment": "Append-only conversation log between the user, the orchestrator and its agents."},
    )

    id: Mapped[uuid.UUID] = _pk("Server-generated message identifier.")
    created_at: Mapped[datetime] = _now("When the message was recorded.")
    updated_at: Mapped[datetime] = _now(
        "When the message row last changed (no trigger: the log is append-only).")
    orchestrator_agent_id: Mapped[uuid.UUID] = _fk(
        "orchestrator_agents.id", "Orchestrator whose conversation this is (foreign key, cascades on delete).")
    sender_type: Mapped[str] = mapped_column(Text, comment="Who sent the message: user, orchestrator or agent.")
    receiver_type: Mapped[str] = mapped_column(
        Text, comment="Who receives the message: user, orchestrator or agent.")
    message: Mapped[str] = mapped_column(Text, comment="Text of the message.")
    summary: Mapped[str | None] = _text("Generated one-sentence summary of the message.")
    agent_id: Mapped[uuid.UUID | None] = _fk("agents.id", nullable=True, comment=(
        "Agent taking part, set exactly when sender or receiver is agent (foreign key, cascades on delete)."))
    metadata_: Mapped[JSONObject | None] = _meta("JSON object with extra context (tools used, task slug).")

    orchestrator_agent: Mapped[OrchestratorAgent] = relationship(back_populates="chat")
    agent: Mapped[Agent | None] = relationship(back_populates="chat")
