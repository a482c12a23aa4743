"""The kit's one error tree: every mistake a user can make surfaces as one `DbkitError`, one line long.

Each message names what failed and what to do. The CLI prints it after `dbkit:` and exits 1; a notebook
shows it as one line too (IPython's `_render_traceback_`), not a traceback. Kinds that stand for a builtin
also inherit it (`NotFoundError` is a `LookupError`, `UsageError` a `ValueError`), so code written
against the builtins keeps working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "ConnectError",
    "DbkitError",
    "DriftError",
    "MigrationError",
    "NotFoundError",
    "QueryError",
    "RLSContextError",
    "ReadOnlyError",
    "SeedError",
    "ServerError",
    "UsageError",
    "database_error",
]


class DbkitError(Exception):
    """Base of every error the kit raises on purpose; the CLI prints its message and exits 1."""

    def __str__(self) -> str:  # one line, always
        return " ".join(super().__str__().split())

    def render_traceback(self) -> list[str]:
        """The lines IPython shows instead of a traceback: one sentence, not a stack dump."""
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]

    def _render_traceback_(self) -> list[str]:  # IPython's hook (jupysql and ipywidgets use it too)
        return self.render_traceback()


class ConfigError(DbkitError):
    """A setting (environment variable, URL, `dbkit.toml`, file) is wrong."""


class UsageError(DbkitError, ValueError):
    """An argument given to a kit function or command is not acceptable."""


class NotFoundError(DbkitError, LookupError):
    """A schema, table, row or file the caller named does not exist."""


class ServerError(DbkitError):
    """The embedded PostgreSQL server could not be started, stopped or found."""


class ConnectError(DbkitError):
    """A database could not be reached."""


class MigrationError(DbkitError):
    """A migration could not be planned or applied."""


class SeedError(DbkitError):
    """Seeding could not run; nothing was changed."""


class RLSContextError(DbkitError):
    """A session is not scoped the way row-level security needs."""


class QueryError(DbkitError):
    """The database refused a statement the kit ran for you; `.sqlstate` and `.diag` say why."""

    def __init__(self, message: str, *, sqlstate: str | None = None, diag: Any = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.diag = diag


class ReadOnlyError(QueryError):
    """A read-only helper was given something that writes, or more than one statement."""


class DriftError(DbkitError):
    """The models and the database disagree; `.differences` lists each difference per schema."""

    def __init__(self, message: str, differences: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.differences = differences


# SQLSTATE classes whose fix is the same whatever the statement: said once here.
_ADVICE = {
    "25006": "this helper only reads; use dbkit.explore.write() (or %%sql --write) to change data",
    "42501": "the kit's role lacks a privilege here; connect as a role that has it",
    "42P01": "check the table name (dbkit.explore.tables(schema) lists them) or run `dbkit migrate`",
    "3F000": "check the schema name (dbkit.explore.schemas() lists them) or run `dbkit migrate`",
    "42703": "check the column name (dbkit.explore.columns(schema, table) lists them)",
    "42601": "fix the SQL syntax near the place named",
    "55P03": "another session holds a lock; end it, then retry",
    "57014": "the statement was cancelled (statement_timeout or a user); simplify it or raise the timeout",
}


def database_error(exc: Exception, *, doing: str = "", cls: type[QueryError] = QueryError) -> QueryError:
    """A psycopg (or sqlite3) error as one line with its SQLSTATE and what to do; keeps `.diag`."""
    sqlstate = getattr(exc, "sqlstate", None)
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    hint = getattr(diag, "message_hint", None)
    code = f"SQLSTATE {sqlstate} ({type(exc).__name__})" if sqlstate else type(exc).__name__
    advice = hint or _ADVICE.get(sqlstate or "", "")
    where = f"{doing}: " if doing else ""
    return cls(f"{where}{code}: {primary}" + (f"; {advice}" if advice else ""), sqlstate=sqlstate, diag=diag)
