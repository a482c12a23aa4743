"""Typed SQLAlchemy 2.0 models of the five schemas, one module and one `DeclarativeBase` per schema.

Names that two schemas share are re-exported with a prefix (`IbexAgent`, `ManagedAgent`,
`MylowareArtifact`, `SyrisArtifact`); every model is also reachable through its module
(`dbkit.models.ibex.Agent`).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from . import ibex, iris, myloware, orchestrator, syris
from .ibex import (
    Checkpoint, Directive, Memory, MemoryCategory, MemoryRelationship, MemorySource, MemoryStatus, MemoryTag,
    MemoryVersion, Organization, Session, Token, User,
)  # fmt: skip
from .ibex import Agent as IbexAgent
from .iris import Chain, Council, ExecutionHistory, Sprite
from .myloware import (
    HitlApproval, KbDocument, KbEmbedding, OrchestrationCheckpoint, ProjectSocial, Run, Social, WebhookDlq, WebhookEvent,
)  # fmt: skip
from .myloware import Artifact as MylowareArtifact
from .orchestrator import Agent as ManagedAgent
from .orchestrator import AgentLog, OrchestratorAgent, OrchestratorChat, Prompt, SystemLog
from .syris import (
    Alarm, Approval, AuditEvent, Event, IdempotencyOutcome, RoutingDecision, Rule, Schedule, Step, SystemHealth, Task,
    ToolCall, ToolResult, WatcherState,
)  # fmt: skip
from .syris import Artifact as SyrisArtifact

MODULES = {"iris": iris, "ibex_core": ibex, "orchestrator": orchestrator, "myloware": myloware, "syris": syris}
"""PostgreSQL schema name -> models module."""


def metadata(schema: str) -> MetaData:
    """The `MetaData` of one schema (by PostgreSQL schema name or sql/ folder name)."""
    aliases = {"ibex": "ibex_core"}
    try:
        return MODULES[aliases.get(schema, schema)].Base.metadata
    except KeyError:
        raise KeyError(f"no models for schema {schema!r}; known: {', '.join(MODULES)}") from None


__all__ = [
    "MODULES", "metadata", "ibex", "iris", "myloware", "orchestrator", "syris",
    "Sprite", "Council", "Chain", "ExecutionHistory",
    "Organization", "User", "IbexAgent", "Token", "Directive", "Session", "Checkpoint", "Memory", "MemoryVersion",
    "MemoryRelationship", "MemoryTag", "MemoryCategory", "MemorySource", "MemoryStatus",
    "OrchestratorAgent", "ManagedAgent", "Prompt", "AgentLog", "SystemLog", "OrchestratorChat",
    "Run", "MylowareArtifact", "WebhookEvent", "WebhookDlq", "OrchestrationCheckpoint", "HitlApproval", "KbDocument",
    "KbEmbedding", "Social", "ProjectSocial",
    "Event", "RoutingDecision", "Task", "Step", "ToolCall", "ToolResult", "IdempotencyOutcome", "SyrisArtifact",
    "AuditEvent", "Approval", "Schedule", "WatcherState", "Rule", "SystemHealth", "Alarm",
]  # fmt: skip
