"""SQLAlchemy models of the Orchestrator schema (seed 002), matching sql/orchestrator/ with no drift.

The models carry no comments: they live only in the SQL files (`COMMENT ON`) and reach readers
through the catalog (`dbkit.catalog`), from which `dbkit check` checks comment coverage.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "HOOK_EVENTS",
    "RESPONSE_EVENTS",
    "STATUSES",
    "Agent",
    "AgentLog",
    "Base",
    "OrchestratorAgent",
    "OrchestratorChat",
    "Prompt",
    "SystemLog",
]

STATUSES = ("idle", "executing", "waiting", "blocked", "complete")
HOOK_EVENTS = ("PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SubagentStop", "PreCompact")
RESPONSE_EVENTS = ("text", "thinking", "tool_use", "tool_result")
_PARTIES = ("user", "orchestrator", "agent")

JSONObject = dict[str, Any]
_TZ = DateTime(timezone=True)
_CASCADE: dict[str, Any] = {"cascade": "all, delete-orphan", "passive_deletes": True}


class Base(DeclarativeBase):
    metadata = MetaData(schema="orchestrator")


def _pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _fk(target: str, *, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(UUID(as_uuid=True), ForeignKey(target, ondelete="CASCADE"), nullable=nullable)


def _now() -> Mapped[datetime]:
    return mapped_column(_TZ, nullable=False, server_default=text("now()"))


def _text() -> Mapped[str | None]:
    return mapped_column(Text)


def _meta() -> Mapped[JSONObject | None]:
    # "metadata" is reserved on declarative classes, so the attribute is metadata_.
    return mapped_column("metadata", JSONB, server_default=text("'{}'::jsonb"))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN {values!r}"


class _Usage:
    """Token, cost and archive columns shared by both agent tables."""

    input_tokens: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    output_tokens: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4), server_default=text("0"))


class OrchestratorAgent(_Usage, Base):
    __tablename__ = "orchestrator_agents"
    __table_args__ = (
        UniqueConstraint("session_id", name="uq_orchestrator_agents_session_id"),
        CheckConstraint(_in("status", STATUSES), name="ck_orchestrator_agents_status"),
        Index("idx_orchestrator_agents_status", "status"),
        Index("idx_orchestrator_agents_updated_at", text("updated_at DESC")),
    )

    id: Mapped[uuid.UUID] = _pk()
    session_id: Mapped[str | None] = _text()
    system_prompt: Mapped[str | None] = _text()
    status: Mapped[str | None] = _text()
    working_dir: Mapped[str | None] = _text()
    archived: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    metadata_: Mapped[JSONObject | None] = _meta()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

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
    )

    id: Mapped[uuid.UUID] = _pk()
    orchestrator_agent_id: Mapped[uuid.UUID] = _fk("orchestrator_agents.id")
    name: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(Text)
    system_prompt: Mapped[str | None] = _text()
    working_dir: Mapped[str | None] = _text()
    git_worktree: Mapped[str | None] = _text()
    status: Mapped[str | None] = _text()
    session_id: Mapped[str | None] = _text()
    adw_id: Mapped[str | None] = _text()
    adw_step: Mapped[str | None] = _text()
    archived: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    metadata_: Mapped[JSONObject | None] = _meta()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

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
    )

    id: Mapped[uuid.UUID] = _pk()
    agent_id: Mapped[uuid.UUID | None] = _fk("agents.id", nullable=True)
    task_slug: Mapped[str | None] = _text()
    author: Mapped[str] = mapped_column(Text)
    prompt_text: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = _text()
    timestamp: Mapped[datetime] = _now()
    session_id: Mapped[str | None] = _text()

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
    )

    id: Mapped[uuid.UUID] = _pk()
    agent_id: Mapped[uuid.UUID] = _fk("agents.id")
    session_id: Mapped[str | None] = _text()
    task_slug: Mapped[str | None] = _text()
    adw_id: Mapped[str | None] = _text()
    adw_step: Mapped[str | None] = _text()
    entry_index: Mapped[int | None] = mapped_column(Integer)
    event_category: Mapped[str] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(Text)
    content: Mapped[str | None] = _text()
    payload: Mapped[JSONObject | None] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    summary: Mapped[str | None] = _text()
    timestamp: Mapped[datetime] = _now()

    agent: Mapped[Agent] = relationship(back_populates="logs")


class SystemLog(Base):
    """Application log entry; no foreign keys (agent events live in AgentLog)."""

    __tablename__ = "system_logs"
    __table_args__ = (
        CheckConstraint(_in("level", ("DEBUG", "INFO", "WARNING", "ERROR")), name="ck_system_logs_level"),
        Index("idx_system_logs_level", "level"),
        Index("idx_system_logs_timestamp", text("timestamp DESC")),
        *(Index(f"idx_system_logs_{c}", c, postgresql_where=text(f"{c} IS NOT NULL")) for c in ("adw_id", "adw_step")),
    )

    id: Mapped[uuid.UUID] = _pk()
    file_path: Mapped[str | None] = _text()
    adw_id: Mapped[str | None] = _text()
    adw_step: Mapped[str | None] = _text()
    level: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = _text()
    metadata_: Mapped[JSONObject | None] = _meta()
    timestamp: Mapped[datetime] = _now()


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
        Index("idx_orchestrator_chat_orchestrator_agent_id_created_at", "orchestrator_agent_id", text("created_at DESC")),
        Index("idx_orchestrator_chat_agent_id_created_at", "agent_id", text("created_at DESC")),
    )

    id: Mapped[uuid.UUID] = _pk()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    orchestrator_agent_id: Mapped[uuid.UUID] = _fk("orchestrator_agents.id")
    sender_type: Mapped[str] = mapped_column(Text)
    receiver_type: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = _text()
    agent_id: Mapped[uuid.UUID | None] = _fk("agents.id", nullable=True)
    metadata_: Mapped[JSONObject | None] = _meta()

    orchestrator_agent: Mapped[OrchestratorAgent] = relationship(back_populates="chat")
    agent: Mapped[Agent | None] = relationship(back_populates="chat")
