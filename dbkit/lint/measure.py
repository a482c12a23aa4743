"""Migration safety measured, which static linters cannot give: what each pending file really locks, rewrites, costs.

The pending files run, in order, on a throwaway copy of the target database, never on the target:

- the copy is a template clone of the target (`CREATE DATABASE ... TEMPLATE`), so each migration meets the real
  rows. PostgreSQL copies a template only while nobody else is connected to it; when the target has other
  sessions (a notebook, an application), the copy is an empty database with the target's applied migrations
  replayed instead, and the report says so: locks and rewrites are the same, durations are those of empty
  tables;
- a file the runner wraps in a transaction runs in one here too, and just before its COMMIT the relation locks
  its backend holds are read from `pg_locks`, with their modes; every relation's relfilenode is compared with
  its value before: a table whose relfilenode changed was rewritten (an index, rebuilt);
- a `-- dbkit:no-transaction` file (CREATE INDEX CONCURRENTLY) runs statement by statement in autocommit, while
  a second connection samples `pg_locks` for its backend every few milliseconds;
- the copy is dropped at the end, on error or interruption too.

These are facts about a running transaction on a scratch database, not about the schema: they are read here,
on the copy, and not through the catalog layer.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

from ..db import Database
from ..errors import ConfigError, ConnectError
from ..url import database_of, libpq_url, mask_text, with_database

if TYPE_CHECKING:
    from ..migrate import Migration

__all__ = ["Lock", "Measurement", "measure", "throwaway_copy"]

_RELATIONS = """
SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relfilenode::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
"""
_LOCKS = "SELECT relation, mode FROM pg_locks WHERE pid = %s AND locktype = 'relation' AND granted AND relation IS NOT NULL"
_KINDS = {"r": "table", "p": "partitioned table", "i": "index", "I": "partitioned index", "m": "materialized view",
          "S": "sequence", "t": "TOAST table", "v": "view", "c": "type", "f": "foreign table"}  # fmt: skip
_REWRITABLE = {"r", "m", "i"}  # kinds whose relfilenode changes when PostgreSQL writes them anew
_SAMPLE_EVERY = 0.001  # seconds between pg_locks samples of an autocommit migration: a lock held for less may be missed


@dataclass(frozen=True)
class Lock:
    relation: str
    kind: str
    mode: str
    new: bool  # the migration created the relation: nobody else could have been waiting for it


@dataclass(frozen=True)
class Rewrite:
    relation: str
    kind: str
    rows: int | None  # counted on the copy after the migration (tables and materialized views)
    before: int  # relfilenode
    after: int


@dataclass(frozen=True)
class Measurement:
    migration: str  # folder/NNNN_slug.sql
    duration_ms: float | None
    locks: tuple[Lock, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    error: str | None = None
    sampled: bool = False  # locks sampled while autocommit statements ran, rather than read before COMMIT
    skipped: bool = False  # not run: an earlier migration failed on the copy

    def mode_on(self, relation: str) -> list[str]:
        return [lock.mode for lock in self.locks if lock.relation == relation]


def measure(db: Database, pending: list[Migration], applied: list[Migration]) -> tuple[list[Measurement], str]:
    """Run `pending` in order on a throwaway copy of `db`; what each locked, rewrote and took, and where it ran."""
    import psycopg

    found: list[Measurement] = []
    with throwaway_copy(db, applied) as (url, where), psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for migration in pending:
            label = f"{migration.folder.folder}/{migration.name}"
            if found and (found[-1].error or found[-1].skipped):
                found.append(Measurement(label, None, error="not run: an earlier migration failed on the copy", skipped=True))
                continue
            found.append(_one(conn, url, migration, label))
    return found, where


@contextlib.contextmanager
def throwaway_copy(db: Database, applied: list[Migration]) -> Iterator[tuple[str, str]]:
    """A scratch database to try migrations on, as (url, what it is); dropped on the way out whatever happens."""
    import psycopg

    target = database_of(db.url)
    name = f"dbkit_lint_{uuid.uuid4().hex[:10]}"
    db.close()  # the kit's own reader connection must not make the target look busy
    with _maintenance(db) as admin:
        version = int(admin.execute("SHOW server_version_num").fetchone()[0])
        strategy = sql.SQL(" STRATEGY FILE_COPY") if version >= 150000 else sql.SQL("")  # the fast copy, where there is a choice
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        # PostgreSQL waits 5 s for a template's other sessions to leave before it refuses: ask first
        busy = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [target]
        ).fetchone()[0]
        replay = True
        try:
            if not busy:
                try:
                    admin.execute(create + sql.SQL(" TEMPLATE {}").format(sql.Identifier(target)) + strategy)
                    replay = False
                except psycopg.errors.ObjectInUse:
                    pass  # a session came in meanwhile
            if replay:
                admin.execute(create)
        except psycopg.errors.InsufficientPrivilege:
            raise ConfigError(
                "measuring needs a throwaway database, and this role may not create one (CREATEDB); pass --no-measure"
            ) from None
        where = (
            f"a copy of {target} (its rows included)"
            if not replay
            else f"an empty database with the {len(applied)} applied migration(s) replayed, because {target} has other "
            "sessions and cannot be copied (close them to measure on its rows)"
        )
        try:
            url = with_database(db.url, name)
            if replay:
                _replay(url, applied)
            yield url, where
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _maintenance(db: Database) -> Any:
    """An autocommit connection to another database of the server (postgres, else template1), to create and drop."""
    import psycopg

    errors = []
    for other in ("postgres", "template1"):
        try:
            return psycopg.connect(libpq_url(with_database(db.url, other)), autocommit=True, application_name="dbkit lint")
        except psycopg.OperationalError as exc:
            errors.append(f"{other}: {mask_text(' '.join(str(exc).split()))}")
    raise ConnectError(f"cannot reach postgres or template1 on {db.masked} to create a throwaway copy ({'; '.join(errors)}); "
                       "pass --no-measure")  # fmt: skip


def _replay(url: str, applied: list[Migration]) -> None:
    from .._targets import open_target
    from ..url import resolve

    with open_target(resolve(url), write=True) as target:
        target.ledger()
        for migration in applied:
            target.apply(migration)


def _one(conn: Any, url: str, migration: Migration, label: str) -> Measurement:
    import psycopg

    before = _relations(conn)
    schema = sql.Identifier(migration.schema)
    held: set[tuple[int, str]] = set()
    statement = None
    started = time.perf_counter()
    try:
        if migration.transactional:
            with conn.transaction():
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
                conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(schema))
                started = time.perf_counter()
                for statement in migration.statements():
                    conn.execute(statement.text)
                elapsed = (time.perf_counter() - started) * 1000
                held = set(conn.execute(_LOCKS, [conn.info.backend_pid]).fetchall())
        else:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            conn.execute(sql.SQL("SET search_path TO {}, public").format(schema))
            with _sampling(url, conn.info.backend_pid, held):
                started = time.perf_counter()
                for statement in migration.statements():
                    conn.execute(statement.text)
                elapsed = (time.perf_counter() - started) * 1000
    except psycopg.Error as exc:
        line = statement.line if statement is not None else 1
        diag = getattr(exc, "diag", None)
        message = getattr(diag, "message_primary", None) or str(exc).strip().splitlines()[0]
        state = f"SQLSTATE {exc.sqlstate}" if getattr(exc, "sqlstate", None) else type(exc).__name__
        return Measurement(label, round((time.perf_counter() - started) * 1000, 1), error=f"line {line}: {state}: {message}")
    finally:
        conn.execute("RESET search_path")
    after = _relations(conn)
    names = {**after, **before}
    locks = tuple(
        sorted(
            {Lock(_shown(names[oid]), _KINDS.get(names[oid][2], names[oid][2]), mode, oid not in before)
             for oid, mode in held if oid in names},
            key=lambda lock: (lock.new, lock.relation, lock.mode),
        )
    )  # fmt: skip
    rewrites = tuple(
        Rewrite(_shown(row), _KINDS[row[2]], _count(conn, row), row[3], after[oid][3])
        for oid, row in sorted(before.items(), key=lambda item: _shown(item[1]))
        if row[2] in _REWRITABLE and oid in after and after[oid][3] != row[3]
    )
    return Measurement(label, round(elapsed, 1), locks, rewrites, sampled=not migration.transactional)


def _relations(conn: Any) -> dict[int, tuple[str, str, str, int]]:
    """oid → (schema, name, relkind, relfilenode) of every user relation."""
    return {oid: (schema, name, kind, node) for oid, schema, name, kind, node in conn.execute(_RELATIONS).fetchall()}


def _shown(row: tuple[str, str, str, int]) -> str:
    return f"{row[0]}.{row[1]}"


def _count(conn: Any, row: tuple[str, str, str, int]) -> int | None:
    """The rows a rewritten table holds (on the copy: it costs the target nothing); None for an index."""
    if row[2] not in ("r", "m"):
        return None
    return int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(row[0], row[1]))).fetchone()[0])


@contextlib.contextmanager
def _sampling(url: str, pid: int, into: set[tuple[int, str]]) -> Iterator[None]:
    """Sample the relation locks of backend `pid` into `into` from a second connection, until the block ends."""
    import psycopg

    stop, ready = threading.Event(), threading.Event()
    watcher = psycopg.connect(libpq_url(url), autocommit=True, application_name="dbkit lint locks")

    def sample() -> None:
        while not stop.is_set():
            into.update(watcher.execute(_LOCKS, [pid]).fetchall())
            ready.set()
            stop.wait(_SAMPLE_EVERY)

    thread = threading.Thread(target=sample, name="dbkit-lint-locks", daemon=True)
    thread.start()
    ready.wait(5)  # the first sample is taken before the statements start, so none of their locks is missed for a slow start
    try:
        yield
    finally:
        stop.set()
        thread.join()
        watcher.close()
