"""dbkit: connect to PostgreSQL (embedded by default), migrate, seed, diagram and inspect schemas."""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConfigError, ConnectError, DbkitError, MigrationError, ServerError

# name -> module: loaded on first use, so `dbkit up` does not pay for SQLAlchemy and pandas
_LAZY = {
    "connect": "connect",
    "engine": "connect",
    "async_engine": "connect",
    "async_session_factory": "connect",
    "migrate": "migrate",
    "plan": "migrate",
    "mask": "url",
    "resolve": "url",
}

__all__ = [*_LAZY, "DbkitError", "ConfigError", "ConnectError", "MigrationError", "ServerError"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dbkit' has no attribute {name!r}")
