"""dbkit: connect to PostgreSQL (embedded by default), migrate, seed, diagram and inspect schemas."""

from .connect import async_engine, async_session_factory, connect, engine
from .errors import ConfigError, ConnectError, DbkitError, MigrationError, ServerError
from .migrate import migrate, plan
from .url import mask, resolve

__all__ = [
    "connect",
    "engine",
    "async_engine",
    "async_session_factory",
    "migrate",
    "plan",
    "mask",
    "resolve",
    "DbkitError",
    "ConfigError",
    "ConnectError",
    "MigrationError",
    "ServerError",
]
