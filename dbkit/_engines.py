"""The two engines the migration runner drives: PostgreSQL (psycopg) and SQLite (for syris)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Iterator

import psycopg
from psycopg import sql

from .errors import MigrationError
from .url import Resolved

if TYPE_CHECKING:
    from .migrate import Migration, Statement

_LOCK_KEY = 0x6462_6B69_74  # "dbkit": one advisory lock for every runner on a database


@dataclass(frozen=True)
class LedgerRow:
    name: str
    checksum: str
    applied_at: datetime


@dataclass
class Ledger:
    exists: bool = False
    rows: dict[tuple[str, int], LedgerRow] = field(default_factory=dict)


class Target:
    """What the runner needs from an engine; `apply` returns milliseconds, or None if already applied."""

    engine: str
    display: str

    def ledger(self) -> Ledger: ...
    def lock(self) -> contextlib.AbstractContextManager: ...
    def apply(self, migration: Migration) -> int | None: ...
    def script(self, migration: Migration) -> str: ...
    def ledger_ddl(self) -> str: ...
    def close(self) -> None: ...


@contextlib.contextmanager
def open_target(resolved: Resolved) -> Iterator[Target]:
    target = SQLiteTarget(resolved.url) if resolved.is_sqlite else PostgresTarget(resolved)
    try:
        yield target
    finally:
        target.close()


def _located(migration: Migration, line: int, reason: str, partial: bool) -> MigrationError:
    outcome = (
        "statements before it stayed applied (the file opts out of transactions): make it idempotent and run again"
        if partial
        else "nothing from this file was applied: fix it and run `dbkit migrate` again"
    )
    return MigrationError(f"{migration.display}:{line}: {reason}; {outcome}")


class PostgresTarget(Target):
    engine = "postgresql"
    _DDL = """CREATE SCHEMA IF NOT EXISTS dbkit;
CREATE TABLE IF NOT EXISTS dbkit.schema_migrations (
    schema      text        NOT NULL,
    version     integer     NOT NULL,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer     NOT NULL,
    PRIMARY KEY (schema, version)
);
COMMENT ON TABLE dbkit.schema_migrations IS 'One row per migration file applied by dbkit migrate.';"""

    def __init__(self, resolved: Resolved) -> None:
        from .connect import connect

        self.display = resolved.masked
        self.conn = connect(resolved, autocommit=True)
        self._ledger_exists = False

    def close(self) -> None:
        self.conn.close()

    def ledger(self) -> Ledger:
        found = self.conn.execute("SELECT to_regclass('dbkit.schema_migrations') IS NOT NULL").fetchone()[0]
        self._ledger_exists = found
        if not found:
            return Ledger()
        rows = self.conn.execute("SELECT schema, version, name, checksum, applied_at FROM dbkit.schema_migrations")
        return Ledger(True, {(s, v): LedgerRow(n, c, a) for s, v, n, c, a in rows})

    @contextlib.contextmanager
    def lock(self):
        self.conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))

    def ledger_ddl(self) -> str:
        return self._DDL

    def _prologue(self, migration: Migration) -> list[sql.Composable]:
        schema = sql.Identifier(migration.schema)
        scope = "SET LOCAL" if migration.transactional else "SET"  # LOCAL means nothing outside a transaction
        return [
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema),
            sql.SQL(scope + " search_path TO {}, public").format(schema),
        ]

    def _ledger_row(self, migration: Migration, duration_ms: int) -> sql.Composable:
        values = (migration.schema, migration.version, migration.name, migration.checksum, duration_ms)
        return sql.SQL(
            "INSERT INTO dbkit.schema_migrations (schema, version, name, checksum, duration_ms) VALUES ({})"
        ).format(sql.SQL(", ").join(map(sql.Literal, values)))

    def script(self, migration: Migration) -> str:
        head = [s.as_string(self.conn) + ";" for s in self._prologue(migration)]
        body = migration.sql.rstrip()
        tail = self._ledger_row(migration, 0).as_string(self.conn) + ";"
        if not migration.transactional:
            return "\n".join([*head, body, tail])
        return "\n".join(["BEGIN;", *head, body, tail, "COMMIT;"])

    def apply(self, migration: Migration) -> int:
        started = time.perf_counter()
        transaction = self.conn.transaction() if migration.transactional else contextlib.nullcontext()
        with transaction:
            if not self._ledger_exists:
                self.conn.execute(self._DDL)
            for statement in self._prologue(migration):
                self.conn.execute(statement)
            for statement in migration.statements():
                try:
                    self.conn.execute(statement.text)
                except psycopg.Error as exc:
                    raise self._error(migration, statement, exc) from None
            duration_ms = round((time.perf_counter() - started) * 1000)
            self.conn.execute(self._ledger_row(migration, duration_ms))
        self._ledger_exists = True
        self.conn.execute("RESET search_path")  # a file may SET it for the session (orchestrator does)
        return duration_ms

    def _error(self, migration: Migration, statement: Statement, exc: psycopg.Error) -> MigrationError:
        diag = exc.diag
        line = statement.line_at(int(diag.statement_position or 0))
        state = f"SQLSTATE {exc.sqlstate} ({type(exc).__name__})" if exc.sqlstate else type(exc).__name__
        message = diag.message_primary or str(exc).strip().splitlines()[0]
        return _located(migration, line, f"{state}: {message}", partial=not migration.transactional)


class SQLiteTarget(Target):
    engine = "sqlite"
    _DDL = """CREATE TABLE IF NOT EXISTS dbkit_schema_migrations (
    schema      TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (schema, version)
);"""

    def __init__(self, url: str) -> None:
        from .sqlite import connect

        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path:
            raise MigrationError(f"{url} names no file; use sqlite:///path/to/file.db")
        self.display = url
        self.conn = connect(path)

    def close(self) -> None:
        self.conn.close()

    def ledger(self) -> Ledger:
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'dbkit_schema_migrations'").fetchone():
            return Ledger()
        rows = self.conn.execute("SELECT schema, version, name, checksum, applied_at FROM dbkit_schema_migrations")
        return Ledger(True, {(s, v): LedgerRow(n, c, datetime.fromisoformat(a)) for s, v, n, c, a in rows})

    def lock(self):
        return contextlib.nullcontext()  # each file takes the write lock itself (BEGIN IMMEDIATE)

    def ledger_ddl(self) -> str:
        return self._DDL

    def script(self, migration: Migration) -> str:
        row = f"INSERT INTO dbkit_schema_migrations (schema, version, name, checksum, duration_ms) VALUES " \
              f"('{migration.schema}', {migration.version}, '{migration.name}', '{migration.checksum}', 0);"
        return "\n".join(["BEGIN IMMEDIATE;", migration.sql.rstrip(), row, "COMMIT;"])

    def apply(self, migration: Migration) -> int | None:
        started = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(self._DDL)
            done = self.conn.execute(
                "SELECT 1 FROM dbkit_schema_migrations WHERE schema = ? AND version = ?",
                (migration.schema, migration.version),
            ).fetchone()
            if done:
                self.conn.execute("ROLLBACK")
                return None
            for statement in migration.statements():
                try:
                    self.conn.execute(statement.text)
                except sqlite3.Error as exc:
                    name = getattr(exc, "sqlite_errorname", type(exc).__name__)
                    raise _located(migration, statement.code_line, f"{name}: {exc}", partial=False) from None
            duration_ms = round((time.perf_counter() - started) * 1000)
            self.conn.execute(
                "INSERT INTO dbkit_schema_migrations (schema, version, name, checksum, duration_ms) VALUES (?, ?, ?, ?, ?)",
                (migration.schema, migration.version, migration.name, migration.checksum, duration_ms),
            )
            self.conn.execute("COMMIT")
            return duration_ms
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
