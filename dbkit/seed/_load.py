"""Load generated rows with binary COPY, one transaction per schema, replacing what was there.

Everything a schema's load does happens in its own transaction on an autocommit connection, so a
failure in one schema leaves it, and every other schema, as it was. The load needs only what the
owner of the tables has (no superuser): the TRUNCATE-refusing triggers of an append-only table are
disabled for the TRUNCATE alone, and `FORCE ROW LEVEL SECURITY` (which refuses COPY to an owner
bound by policies) is lifted for the COPY alone, both inside the transaction, so no other session
ever sees them off.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from .. import locks
from ..db import lift_forced_rls, past_forced_rls, scalar
from ..errors import SeedError
from ..registry import KIT_SCHEMA, SEED_RUNS
from ._context import Table

__all__ = ["SeedRun", "fingerprint", "has_rows", "load", "seeded"]

_RUNS = sql.Identifier(KIT_SCHEMA, SEED_RUNS)
_RUNS_DDL = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {} (schema text PRIMARY KEY, seed integer NOT NULL, scale integer NOT NULL, "
    "rows bigint NOT NULL, embedder text NOT NULL, seeded_at timestamptz NOT NULL, generator text NOT NULL DEFAULT '')"
).format(_RUNS)
_RUNS_COMMENT = sql.SQL("COMMENT ON TABLE {} IS {}").format(
    _RUNS, sql.Literal("The last dbkit seed of each schema: its seed, scale, row count and generator version.")
)


def fingerprint(module: Any) -> str:
    """A generator's version: the digest of its source, so a changed generator counts as another seed."""
    with open(module.__file__, "rb") as source:
        return hashlib.sha256(source.read()).hexdigest()[:16]


def load(conn: psycopg.Connection, schema: str, tables: list[Table], *, seed: int, scale: int, embedder: str,
         generator: str, progress: Any = None) -> int:  # fmt: skip
    """Replace every table of `schema` with `tables` in one transaction; return the number of rows loaded."""
    if not conn.autocommit:
        raise SeedError("seeding needs an autocommit connection (one real transaction per schema)")
    existing = _tables(conn, schema)
    if not existing:
        raise SeedError(f"schema {schema} does not exist or has no tables: run `dbkit migrate {schema}` first")
    unknown = sorted({t.name for t in tables} - set(existing))
    if unknown:
        raise SeedError(f"{schema} has no table {', '.join(unknown)}: the generator and the migrations disagree")
    waited = locks.lock_timeout()
    try:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(waited)))
            total = _replace(conn, schema, existing, tables, progress)
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(KIT_SCHEMA)))
            conn.execute(_RUNS_DDL)
            conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS generator text NOT NULL DEFAULT ''").format(_RUNS))
            conn.execute(_RUNS_COMMENT)
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (schema, seed, scale, rows, embedder, seeded_at, generator) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (schema) DO UPDATE SET seed = EXCLUDED.seed, scale = EXCLUDED.scale, rows = EXCLUDED.rows, "
                    "embedder = EXCLUDED.embedder, seeded_at = EXCLUDED.seeded_at, generator = EXCLUDED.generator"
                ).format(_RUNS),
                (schema, seed, scale, total, embedder, datetime.now(UTC), generator),
            )
    except psycopg.errors.LockNotAvailable:
        raise SeedError(locks.explain(f"seeding {schema}", waited, locks.blockers(conn, schema))) from None
    except psycopg.Error as exc:
        reason = getattr(exc.diag, "message_primary", None) or str(exc).strip().splitlines()[0]
        raise SeedError(f"seeding {schema} failed, nothing changed: SQLSTATE {exc.sqlstate}: {reason}") from None
    return total


def _replace(conn: psycopg.Connection, schema: str, existing: list[str], tables: list[Table], progress: Any) -> int:
    names = sql.SQL(", ").join(sql.Identifier(schema, name) for name in existing)
    _lock_all(conn, names)
    truncate_guards = _truncate_triggers(conn, schema)
    for guarded, trigger in truncate_guards:
        conn.execute(
            sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(sql.Identifier(schema, guarded), sql.Identifier(trigger))
        )
    # No CASCADE: a table in another schema that references this one must not lose its rows silently.
    conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(names))
    for guarded, trigger in truncate_guards:
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(sql.Identifier(schema, guarded), sql.Identifier(trigger)))
    rebuilt = _vector_indexes(conn, schema)
    for name, _, _ in rebuilt:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
    total = 0
    with past_forced_rls(conn, [schema]):  # forced policies would refuse COPY to an owner without BYPASSRLS
        for table in tables:
            total += _copy(conn, schema, table)
            if progress is not None:
                progress(table, len(table.rows))
    _reset_identities(conn, schema)
    _build_indexes(conn, schema, rebuilt)
    for name in existing:  # so the planner's first EXPLAIN after a seed sees real row counts
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))
    return total


_TRY = "100ms"  # one attempt at every lock: well under deadlock_timeout (1 s), so a reader is never the one cancelled


def _lock_all(conn: psycopg.Connection, names: sql.Composable) -> None:
    """Every table of the schema in ACCESS EXCLUSIVE mode (what TRUNCATE takes), all of them or none.

    One statement reading several tables takes their locks one by one, as TRUNCATE does: a reader holding
    one while it waits for another, and a TRUNCATE holding that other while it waits for the first, would
    deadlock, and PostgreSQL would cancel whichever waited first, the reader (tests/test_load.py). So the
    seed asks for all the locks with a short lock_timeout, in a savepoint that gives back what it got when
    one is busy, and asks again until its own lock_timeout is spent; readers only ever wait for it briefly.
    """
    budget_ms = int(scalar(conn, "SELECT setting FROM pg_settings WHERE name = 'lock_timeout'") or 0)
    deadline = time.monotonic() + budget_ms / 1000
    statement = sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(names)
    while True:
        try:
            with conn.transaction():  # a savepoint: rolled back, it releases the locks it took
                conn.execute("SELECT set_config('lock_timeout', %s, true)", (_TRY,))
                conn.execute(statement)
            break
        except psycopg.errors.LockNotAvailable:
            if budget_ms and time.monotonic() >= deadline:
                raise
            time.sleep(0.02)
    conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{budget_ms}ms",))


def seeded(conn: psycopg.Connection) -> dict[str, SeedRun]:
    """Schemas seeded so far, with their seed, scale, rows and generator (empty before the first seed). Read-only."""
    if scalar(conn, "SELECT to_regclass(%s)", [f"{KIT_SCHEMA}.{SEED_RUNS}"]) is None:
        return {}
    has_generator = conn.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'generator'", [f"{KIT_SCHEMA}.{SEED_RUNS}"]
    ).fetchone()
    generator = sql.SQL("generator" if has_generator else "''")
    rows = conn.execute(sql.SQL("SELECT schema, seed, scale, rows, embedder, {} FROM {}").format(generator, _RUNS)).fetchall()
    return {row[0]: SeedRun(*row) for row in rows}


class SeedRun(NamedTuple):
    """One row of dbkit.seed_runs."""

    schema: str
    seed: int
    scale: int
    rows: int
    embedder: str
    generator: str


def has_rows(conn: psycopg.Connection, schema: str) -> bool:
    """Whether any table of the schema holds a row, also one that forced row-level security hides from its owner.

    Otherwise an owner that is no superuser (a managed server) would find IBEX empty after every seed, and
    `seed(if_needed=True)` would replace its rows each time. The lift is rolled back at once.
    """
    with conn.transaction(force_rollback=True):
        lift_forced_rls(conn, [schema])
        for name in _tables(conn, schema):
            if scalar(conn, sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, name))):
                return True
        return False


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) AND c.relkind = 'r' ORDER BY 1",
        (schema,),
    )
    return [r[0] for r in rows]


def _truncate_triggers(conn: psycopg.Connection, schema: str) -> list[tuple[str, str]]:
    # pg_trigger.tgtype bit 32: fires on TRUNCATE (an append-only table refuses it).
    return conn.execute(
        "SELECT c.relname, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
        "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) AND NOT g.tgisinternal AND g.tgtype & 32 <> 0 AND g.tgenabled <> 'D'",
        (schema,),
    ).fetchall()


def _copy(conn: psycopg.Connection, schema: str, table: Table) -> int:
    if not table.rows:
        return 0
    types = conn.execute(
        "SELECT a.attname, a.atttypid FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY a.attnum",
        (sql.Identifier(schema, table.name).as_string(conn),),
    )
    oid_of: dict[str, int] = dict(types.fetchall())
    keys = table.rows[0].keys()
    columns = [c for c in oid_of if c in keys]  # the catalog's order, not the generator's
    missing = sorted(set(keys) - set(oid_of))
    if missing:
        raise SeedError(f"{schema}.{table.name} has no column {', '.join(missing)}: the generator and the migrations disagree")
    for number, row in enumerate(table.rows):
        if row.keys() != keys:
            odd = sorted(set(row) ^ set(keys))
            raise SeedError(f"{schema}.{table.name} row {number} differs from the first row in columns {', '.join(odd)}")
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(schema, table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor().copy(statement) as copy:
        copy.set_types([oid_of[c] for c in columns])
        for row in table.rows:
            copy.write_row([row[c] for c in columns])
    return len(table.rows)


def _vector_indexes(conn: psycopg.Connection, schema: str) -> list[tuple[str, str, str | None]]:
    """(name, definition, comment) of the schema's HNSW and IVFFlat indexes, which the load drops and builds again.

    Built on the loaded rows, not row by row during COPY: an HNSW build runs in `maintenance_work_mem` with
    parallel workers, where each inserted row would search the graph alone (bench/seeding.py measures both),
    and IVFFlat picks its list centroids from the rows present when it is built (an empty table after TRUNCATE).
    The definition is the server's own (`pg_get_indexdef`), so the index comes back exactly as the migration made it.
    """
    return conn.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid), obj_description(i.oid, 'pg_class') FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
        "WHERE am.amname IN ('hnsw', 'ivfflat') AND i.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
        "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.oid) ORDER BY 1",
        (schema,),
    ).fetchall()


def _build_indexes(conn: psycopg.Connection, schema: str, indexes: list[tuple[str, str, str | None]]) -> None:
    for name, definition, comment in indexes:
        conn.execute(sql.SQL(definition))  # the server's own text for this index, not input
        if comment is not None:
            conn.execute(sql.SQL("COMMENT ON INDEX {} IS {}").format(sql.Identifier(schema, name), sql.Literal(comment)))


def _reset_identities(conn: psycopg.Connection, schema: str) -> None:
    """Identity columns loaded with explicit values: move their sequences past the largest id."""
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s "
        "AND (is_identity = 'YES' OR column_default LIKE 'nextval(%%')",
        (schema,),
    ).fetchall()
    for table, column in rows:
        conn.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({}), 0) + 1, false) FROM {}").format(
                sql.Literal(sql.Identifier(schema, table).as_string(conn)),
                sql.Literal(column),
                sql.Identifier(column),
                sql.Identifier(schema, table),
            )
        )
