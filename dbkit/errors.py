"""The kit's errors: one base type, a few kinds, each message one line that names the fix."""

from __future__ import annotations

__all__ = ["DbkitError", "ConfigError", "ServerError", "ConnectError", "MigrationError"]


class DbkitError(Exception):
    """Base of every error the kit raises on purpose; the CLI prints its message and exits 1."""

    def __str__(self) -> str:  # one line, always
        return " ".join(super().__str__().split())


class ConfigError(DbkitError):
    """A setting (environment variable, argument, file) is wrong."""


class ServerError(DbkitError):
    """The embedded PostgreSQL server could not be started, stopped or found."""


class ConnectError(DbkitError):
    """A database could not be reached."""


class MigrationError(DbkitError):
    """A migration could not be planned or applied."""
