"""The two engines the migration runner drives: PostgreSQL (psycopg) and SQLite (for syris).

A target reads the ledger (read-only), takes the runners' lock, applies one file with its ledger row
in one transaction, and renders what it would run. Opening a target for reading never writes: on
PostgreSQL the ledger is read in a READ ONLY transaction, on SQLite the file is opened read-only and
a missing file is not created.

Speed, measured in bench/migrations.py: a transactional file goes to the server as one multi-statement
query (one round trip instead of one per statement; the statements still run one by one, in the
file's transaction). Only when it fails are its statements replayed one by one, in a transaction that
is always rolled back, to name the failing line. The ledger of a server reached over a unix socket
(the embedded one) can be read with the wheel's psql (`socket_ledger`), so `dbkit status` and a
`dbkit migrate` with nothing to do never import psycopg.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .db import database, scalar
from .errors import ConfigError, MigrationError
from .registry import KIT_SCHEMA, LEDGER, SQLITE_LEDGER
from .url import Resolved, libpq_url, sqlite_path

if TYPE_CHECKING:
    from psycopg import sql

    from .migrate import Migration
    from .sqltext import Statement

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

    def ledger(self) -> Ledger:
        raise NotImplementedError

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def apply(self, migration: Migration) -> int | None:
        raise NotImplementedError

    def script(self, migration: Migration) -> str:
        raise NotImplementedError

    def ledger_ddl(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


@contextlib.contextmanager
def open_target(resolved: Resolved, *, write: bool) -> Iterator[Target]:
    target: Target = SQLiteTarget(resolved.url, write=write) if resolved.is_sqlite else PostgresTarget(resolved, write=write)
    try:
        yield target
    finally:
        target.close()


_SOCKET_LEDGER = """BEGIN READ ONLY;
SELECT to_regclass(:'ledger') IS NOT NULL AS found \\gset
\\echo :found
\\if :found
SELECT schema, version, name, checksum, extract(epoch FROM applied_at) FROM :"kit".:"table";
\\endif
ROLLBACK;
"""


def socket_ledger(resolved: Resolved) -> Ledger | None:
    """The ledger read with the wheel's psql, for a URL that reaches its server over a unix socket; else None.

    psql starts in ~6 ms; importing psycopg takes 0.1 s (0.26 s without bytecode), most of `dbkit status`.
    Over a unix socket libpq never uses SSL, which the wheel's libpq lacks; any other URL, and any failure
    here (the psycopg path then says what is wrong, in the kit's words), returns None.
    """
    if resolved.is_sqlite or not resolved.url:
        return None
    url = libpq_url(resolved.url)
    parts = urlsplit(url)
    host = dict(parse_qsl(parts.query)).get("host", "")
    if parts.hostname or not host.startswith("/"):
        return None
    from ._pgctl import PsqlError, psql

    variables = {"ledger": f"{KIT_SCHEMA}.{LEDGER}", "kit": KIT_SCHEMA, "table": LEDGER}
    try:
        found, *rows = psql(url, _SOCKET_LEDGER, variables=variables, application_name="dbkit status")
    except (PsqlError, ValueError):
        return None
    if found != ["t"]:
        return Ledger()
    ledger = Ledger(True)
    for schema, version, name, checksum, epoch in rows:
        ledger.rows[(schema, int(version))] = LedgerRow(name, checksum, datetime.fromtimestamp(float(epoch), UTC))
    return ledger


def located(migration: Migration, line: int, reason: str, *, partial: bool) -> MigrationError:
    outcome = (
        "statements before it stayed applied (the file opts out of transactions): make it idempotent and run again"
        if partial
        else "nothing from this file was applied: fix it and run `dbkit migrate` again"
    )
    return MigrationError(f"{migration.display}:{line}: {reason}; {outcome}")


class PostgresTarget(Target):
    engine = "postgresql"
    _DDL = f"""CREATE SCHEMA IF NOT EXISTS {KIT_SCHEMA};
CREATE TABLE IF NOT EXISTS {KIT_SCHEMA}.{LEDGER} (
    schema      text        NOT NULL,
    version     integer     NOT NULL,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer     NOT NULL,
    PRIMARY KEY (schema, version)
);
COMMENT ON TABLE {KIT_SCHEMA}.{LEDGER} IS 'One row per migration file applied by dbkit migrate.';"""

    def __init__(self, resolved: Resolved, *, write: bool) -> None:
        from psycopg import sql

        self._table = sql.Identifier(KIT_SCHEMA, LEDGER)
        self.db = database(resolved)
        self.display = resolved.masked
        self.conn = self.db.connect(application_name="dbkit migrate")
        self.conn.read_only = not write
        self._ledger_exists = False

    def close(self) -> None:
        self.conn.close()
        self.db.forget_types()  # a migration may have created the vector extension

    def ledger(self) -> Ledger:
        from psycopg import sql

        with self.conn.transaction():  # READ ONLY when opened for reading
            found = scalar(self.conn, "SELECT to_regclass(%s) IS NOT NULL", [f"{KIT_SCHEMA}.{LEDGER}"])
            self._ledger_exists = found
            if not found:
                return Ledger()
            rows = self.conn.execute(sql.SQL("SELECT schema, version, name, checksum, applied_at FROM {}").format(self._table))
            return Ledger(True, {(s, v): LedgerRow(n, c, a) for s, v, n, c, a in rows})

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))

    def ledger_ddl(self) -> str:
        return self._DDL

    def _prologue(self, migration: Migration) -> list[sql.Composed]:
        from psycopg import sql

        schema = sql.Identifier(migration.schema)
        scope = "SET LOCAL" if migration.transactional else "SET"  # LOCAL means nothing outside a transaction
        return [
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema),
            sql.SQL(scope + " search_path TO {}, public").format(schema),
        ]

    def _prologue_query(self, migration: Migration) -> sql.Composed:
        from psycopg import sql

        return sql.SQL("; ").join(self._prologue(migration))  # one round trip for both

    def _ledger_row(self, migration: Migration, duration_ms: int) -> sql.Composed:
        from psycopg import sql

        values = (migration.schema, migration.version, migration.name, migration.checksum, duration_ms)
        return sql.SQL("INSERT INTO {} (schema, version, name, checksum, duration_ms) VALUES ({})").format(
            self._table, sql.SQL(", ").join(map(sql.Literal, values))
        )

    def script(self, migration: Migration) -> str:
        head = [s.as_string(self.conn) + ";" for s in self._prologue(migration)]
        body = migration.sql.rstrip()
        tail = self._ledger_row(migration, 0).as_string(self.conn) + ";"
        if not migration.transactional:
            return "\n".join([*head, body, tail])
        return "\n".join(["BEGIN;", *head, body, tail, "COMMIT;"])

    def apply(self, migration: Migration) -> int:
        import psycopg

        started = time.perf_counter()
        statements = migration.statements()
        try:
            with self.conn.transaction() if migration.transactional else contextlib.nullcontext():
                if not self._ledger_exists:
                    self.conn.execute(self._DDL)
                self.conn.execute(self._prologue_query(migration))
                if migration.transactional:
                    # One round trip for the whole file. Without parameters psycopg sends it in the simple
                    # protocol, where the server runs the statements in order, inside this transaction.
                    if statements:
                        self.conn.execute(migration.sql)
                else:
                    # Outside a transaction a multi-statement query would be one implicit transaction,
                    # which CREATE INDEX CONCURRENTLY refuses: statement by statement, as psql runs them.
                    for statement in statements:
                        try:
                            self.conn.execute(statement.text)
                        except psycopg.Error as exc:
                            raise self._error(migration, statement, exc) from None
                duration_ms = round((time.perf_counter() - started) * 1000)
                self.conn.execute(self._ledger_row(migration, duration_ms))
        except psycopg.Error as exc:
            if not migration.transactional:
                raise
            raise self._locate(migration, exc) from None
        self._ledger_exists = True
        self.conn.execute("RESET search_path")  # a file may SET it for the session (orchestrator does)
        return duration_ms

    def _locate(self, migration: Migration, failure: Exception) -> MigrationError:
        """The failing statement of a transactional file: replayed one by one in a transaction always rolled back.

        The server's error position would give the line for parse errors only; a replay names it for every
        error (a duplicate key, a missing column at run time) exactly as running statement by statement did.
        """
        import psycopg

        try:
            with self.conn.transaction(force_rollback=True):
                if not self._ledger_exists:
                    self.conn.execute(self._DDL)
                self.conn.execute(self._prologue_query(migration))
                for statement in migration.statements():
                    try:
                        self.conn.execute(statement.text)
                    except psycopg.Error as exc:
                        return self._error(migration, statement, exc)  # leaving the block rolls back
        except psycopg.Error:
            pass
        # Not reproduced (the failure came from the file as a whole, e.g. at commit): the server's own words.
        position = int(getattr(getattr(failure, "diag", None), "statement_position", None) or 0)
        line = migration.sql.count("\n", 0, max(position - 1, 0)) + 1
        return self._error(migration, _Whole(line), failure)

    def _error(self, migration: Migration, statement: Statement | _Whole, exc: Exception) -> MigrationError:
        diag = getattr(exc, "diag", None)
        line = statement.line_at(int(getattr(diag, "statement_position", None) or 0))
        sqlstate = getattr(exc, "sqlstate", None)
        state = f"SQLSTATE {sqlstate} ({type(exc).__name__})" if sqlstate else type(exc).__name__
        message = getattr(diag, "message_primary", None) or str(exc).strip().splitlines()[0]
        return located(migration, line, f"{state}: {message}", partial=not migration.transactional)


@dataclass(frozen=True)
class _Whole:
    """A failure located in the file as a whole: its line is already known."""

    line: int

    def line_at(self, position: int) -> int:
        return self.line


class SQLiteTarget(Target):
    engine = "sqlite"
    _DDL = f"""CREATE TABLE IF NOT EXISTS {SQLITE_LEDGER} (
    schema      TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (schema, version)
);"""

    def __init__(self, url: str, *, write: bool) -> None:
        from .sqlite import connect

        path = sqlite_path(url)
        self.display = url
        self.conn: sqlite3.Connection | None = None
        if write:
            if not path.parent.is_dir():
                raise ConfigError(f"folder {path.parent} does not exist; create it, or fix the path in {url}")
            self.conn = connect(path)
        elif path.exists():
            self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def ledger(self) -> Ledger:
        if self.conn is None:  # reading a file that does not exist yet: nothing applied, nothing created
            return Ledger()
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [SQLITE_LEDGER]).fetchone():
            return Ledger()
        rows = self.conn.execute(f"SELECT schema, version, name, checksum, applied_at FROM {SQLITE_LEDGER}")
        return Ledger(True, {(s, v): LedgerRow(n, c, datetime.fromisoformat(a)) for s, v, n, c, a in rows})

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # each file takes the write lock itself (BEGIN IMMEDIATE)

    def ledger_ddl(self) -> str:
        return self._DDL

    def script(self, migration: Migration) -> str:
        values = ", ".join(
            _sqlite_literal(v) for v in (migration.schema, migration.version, migration.name, migration.checksum, 0)
        )
        row = f"INSERT INTO {SQLITE_LEDGER} (schema, version, name, checksum, duration_ms) VALUES ({values});"
        return "\n".join(["BEGIN IMMEDIATE;", migration.sql.rstrip(), row, "COMMIT;"])

    def apply(self, migration: Migration) -> int | None:
        assert self.conn is not None, "opened for writing"
        started = time.perf_counter()
        statements = migration.statements()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(self._DDL)
            done = self.conn.execute(
                f"SELECT 1 FROM {SQLITE_LEDGER} WHERE schema = ? AND version = ?", (migration.schema, migration.version)
            ).fetchone()
            if done:
                self.conn.execute("ROLLBACK")
                return None
            for statement in statements:
                try:
                    self.conn.execute(statement.text)
                except sqlite3.Error as exc:
                    name = getattr(exc, "sqlite_errorname", type(exc).__name__)
                    raise located(migration, statement.line, f"{name}: {exc}", partial=False) from None
            duration_ms = round((time.perf_counter() - started) * 1000)
            self.conn.execute(
                f"INSERT INTO {SQLITE_LEDGER} (schema, version, name, checksum, duration_ms) VALUES (?, ?, ?, ?, ?)",
                (migration.schema, migration.version, migration.name, migration.checksum, duration_ms),
            )
            self.conn.execute("COMMIT")
            return duration_ms
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise


def _sqlite_literal(value: object) -> str:
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
