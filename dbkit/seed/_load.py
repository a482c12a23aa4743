"""Load generated rows with binary COPY, one transaction per schema, replacing what was there."""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg
from psycopg import sql

from ..errors import DbkitError
from ._context import Table

__all__ = ["SeedError", "load", "seeded"]

_RUNS_DDL = """CREATE SCHEMA IF NOT EXISTS dbkit;
CREATE TABLE IF NOT EXISTS dbkit.seed_runs (
    schema     text        PRIMARY KEY,
    seed       integer     NOT NULL,
    scale      integer     NOT NULL,
    rows       bigint      NOT NULL,
    embedder   text        NOT NULL,
    seeded_at  timestamptz NOT NULL
);
COMMENT ON TABLE dbkit.seed_runs IS 'The last dbkit seed of each schema: its seed, scale and row count.'"""


class SeedError(DbkitError):
    """Seeding could not run; nothing was changed."""


def load(conn: psycopg.Connection, schema: str, tables: list[Table], *, seed: int, scale: int, embedder: str, progress=None) -> int:
    """Replace every table of `schema` with `tables` in one transaction; return the number of rows loaded."""
    existing = _tables(conn, schema)
    if not existing:
        raise SeedError(f"schema {schema} does not exist: run `dbkit migrate` first")
    unknown = sorted({t.name for t in tables} - set(existing))
    if unknown:
        raise SeedError(f"{schema} has no table {', '.join(unknown)}: the generator and the migrations disagree")
    total = 0
    with conn.transaction():
        conn.execute(_RUNS_DDL)
        # Replica mode skips triggers for the TRUNCATE only: syris' audit log refuses TRUNCATE by trigger.
        conn.execute("SET LOCAL session_replication_role = replica")
        names = sql.SQL(", ").join(sql.Identifier(schema, name) for name in existing)
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(names))
        conn.execute("SET LOCAL session_replication_role = origin")
        for table in tables:
            total += _copy(conn, schema, table)
            if progress is not None:
                progress(table, len(table.rows))
        _reset_identities(conn, schema)
        _refresh_indexes_and_statistics(conn, schema, existing)
        conn.execute(
            "INSERT INTO dbkit.seed_runs VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (schema) DO UPDATE SET "
            "seed = EXCLUDED.seed, scale = EXCLUDED.scale, rows = EXCLUDED.rows, embedder = EXCLUDED.embedder, "
            "seeded_at = EXCLUDED.seeded_at",
            (schema, seed, scale, total, embedder, datetime.now(timezone.utc)),
        )
    return total


def seeded(conn: psycopg.Connection) -> dict[str, int]:
    """Schemas seeded so far and their row counts (empty before the first seed). Read-only."""
    if conn.execute("SELECT to_regclass('dbkit.seed_runs')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("SELECT schema, rows FROM dbkit.seed_runs").fetchall())


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = to_regnamespace(%s) AND c.relkind = 'r' ORDER BY 1",
        (schema,),
    )
    return [r[0] for r in rows]


def _copy(conn: psycopg.Connection, schema: str, table: Table) -> int:
    if not table.rows:
        return 0
    types = conn.execute(
        "SELECT a.attname, a.atttypid FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0 "
        "AND NOT a.attisdropped",
        (sql.Identifier(schema, table.name).as_string(conn),),
    )
    oid_of = dict(types.fetchall())
    missing = [c for c in table.columns if c not in oid_of]
    if missing:
        raise SeedError(f"{schema}.{table.name} has no column {', '.join(missing)}: the generator and the migrations disagree")
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(schema, table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    with conn.cursor().copy(statement) as copy:
        copy.set_types([oid_of[c] for c in table.columns])
        for row in table.rows:
            copy.write_row(row)
    return len(table.rows)


def _refresh_indexes_and_statistics(conn: psycopg.Connection, schema: str, tables: list[str]) -> None:
    """IVFFlat picks its list centroids when built, and TRUNCATE rebuilt it empty: rebuild it on the rows.

    ANALYZE too, so the planner's first EXPLAIN after a seed sees real row counts.
    """
    ivfflat = conn.execute(
        "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
        "WHERE am.amname = 'ivfflat' AND i.relnamespace = to_regnamespace(%s)",
        (schema,),
    ).fetchall()
    for (index,) in ivfflat:
        conn.execute(sql.SQL("REINDEX INDEX {}").format(sql.Identifier(schema, index)))
    for table in tables:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))


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
                sql.Literal(f"{schema}.{table}"), sql.Literal(column), sql.Identifier(column), sql.Identifier(schema, table)
            )
        )
