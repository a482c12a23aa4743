"""Read a live schema from the catalog as DataFrames: tables, columns with their comments, indexes, rows.

Everything here runs in READ ONLY transactions; identifiers go through `psycopg.sql.Identifier`,
values are bound parameters.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import pandas as pd
from psycopg import sql

from .connect import connect
from .url import Resolved

__all__ = ["query", "tables", "columns", "indexes", "sample", "explain", "describe"]


def query(
    statement: str | sql.Composable,
    params: Sequence[Any] | dict | None = None,
    *,
    url: str | Resolved | None = None,
    settings: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Run one read-only statement and return its rows as a DataFrame (writes are refused by the server).

    `settings` are applied to this transaction only (`set_config(..., true)`), e.g. `{"enable_indexscan": "off"}`.
    """
    with connect(url) as conn:
        conn.read_only = True
        with conn.cursor() as cur:
            for name, value in (settings or {}).items():
                cur.execute("SELECT set_config(%s, %s, true)", (name, value))
            cur.execute(statement, params)
            names = [c.name for c in cur.description or []]
            return pd.DataFrame(cur.fetchall(), columns=names)


def tables(schema: str, *, url: str | Resolved | None = None) -> pd.DataFrame:
    """The schema's tables: exact row count, size and the table's comment."""
    listing = query(
        """
        SELECT c.relname AS table, obj_description(c.oid, 'pg_class') AS description,
               pg_size_pretty(pg_total_relation_size(c.oid)) AS size, c.relrowsecurity AS rls
        FROM pg_class c
        WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
        """,
        {"schema": schema},
        url=url,
    )
    counts = [_count(schema, name, url) for name in listing["table"]]
    listing.insert(1, "rows", counts)
    return listing


def columns(schema: str, table: str, *, url: str | Resolved | None = None) -> pd.DataFrame:
    """One row per column: type, nullability, default and the column's comment."""
    return query(
        """
        SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
               pg_get_expr(d.adbin, d.adrelid) AS default, col_description(a.attrelid, a.attnum) AS description
        FROM pg_attribute a
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """,
        {"table": sql.Identifier(schema, table).as_string()},
        url=url,
    )


def indexes(schema: str, table: str, *, url: str | Resolved | None = None) -> pd.DataFrame:
    """One row per index: method, unique, partial (its WHERE), and the full definition."""
    return query(
        """
        SELECT i.relname AS index, am.amname AS method, x.indisunique AS unique, x.indisprimary AS primary_key,
               pg_get_expr(x.indpred, x.indrelid) AS partial_where, pg_get_indexdef(x.indexrelid) AS definition
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_am am ON am.oid = i.relam
        WHERE x.indrelid = %(table)s::regclass
        ORDER BY x.indisprimary DESC, i.relname
        """,
        {"table": sql.Identifier(schema, table).as_string()},
        url=url,
    )


def sample(schema: str, table: str, limit: int = 5, *, url: str | Resolved | None = None) -> pd.DataFrame:
    """The first `limit` rows of a table, in a read-only transaction."""
    statement = sql.SQL("SELECT * FROM {} LIMIT %s").format(sql.Identifier(schema, table))
    return query(statement, [limit], url=url)


def explain(
    statement: str | sql.Composable,
    params: Sequence[Any] | dict | None = None,
    *,
    url: str | Resolved | None = None,
    settings: dict[str, str] | None = None,
) -> str:
    """The plan PostgreSQL chooses for a statement (EXPLAIN, not ANALYZE: nothing runs)."""
    text = sql.SQL(statement) if isinstance(statement, str) else statement
    plan = query(sql.SQL("EXPLAIN ") + text, params, url=url, settings=settings)
    return _VECTOR_LITERAL.sub(_shorten, "\n".join(plan.iloc[:, 0]))


# A plan prints a query vector in full (384 or 1536 numbers): show its size instead.
_VECTOR_LITERAL = re.compile(r"'\[([^\]']{200,})\]'")


def _shorten(match: re.Match) -> str:
    return f"'[…{match.group(1).count(',') + 1} values…]'"


def _count(schema: str, table: str, url: str | Resolved | None) -> int:
    statement = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
    return int(query(statement, url=url).iloc[0, 0])


def describe(schema: str, table: str, *, url: str | Resolved | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Show a table's comment, columns (with comments) and indexes in a notebook; return the two frames."""
    from IPython.display import Markdown, display

    comment = query("SELECT obj_description(%s::regclass, 'pg_class')", [sql.Identifier(schema, table).as_string()], url=url)
    cols, idx = columns(schema, table, url=url), indexes(schema, table, url=url)
    display(Markdown(f"**{schema}.{table}**: {comment.iloc[0, 0] or '(no comment)'}"), cols, idx)
    return cols, idx
