"""The shape of a schema as people read it: comments, width, names that need quoting."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .context import Context
from .rules import Hit, rule

_RELATIONS = ("table", "partitioned table", "view", "materialized view", "foreign table")
_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


@rule(
    "table-without-comment", "warning",
    why="""A table's comment is the one description that travels with the schema: diagrams, `dbkit docs`, psql's \\d+
        and every catalog browser show it, and nothing else tells a newcomer what a row is.""",
    fix="COMMENT ON TABLE ... IS '...' in a new migration: one sentence saying what one row is.",
)  # fmt: skip
def _table_without_comment(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables(_RELATIONS):
        if not (table.comment or "").strip():
            yield Hit(table.qualified, f"{table.kind} {table.qualified} has no comment")


@rule(
    "column-without-comment", "info",
    why="A column without a comment leaves its unit, its allowed values and its NULL meaning to guesswork.",
    fix="COMMENT ON COLUMN ... IS '...' in a new migration: the unit, the allowed values, what NULL means.",
)  # fmt: skip
def _column_without_comment(ctx: Context) -> Iterator[Hit]:
    for table, column in ctx.columns(_RELATIONS):
        if not (column.comment or "").strip():
            yield Hit(f"{table.qualified}.{column.name}", f"column {table.qualified}.{column.name} has no comment")


@rule(
    "too-many-columns", "warning",
    why="""A very wide table usually holds several things at once: rows get long (more pages per read, more TOAST),
        most columns are NULL for most rows, and every change to one concern rewrites all of them.""",
    fix="Split the table by concern (one-to-one side tables), or raise max_columns in dbkit-lint.toml if the width is real.",
)  # fmt: skip
def _too_many_columns(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        if len(table.columns) > ctx.max_columns:
            yield Hit(table.qualified, f"{table.qualified} has {len(table.columns)} columns (more than {ctx.max_columns})")


@rule(
    "identifier-needs-quoting", "warning",
    why="""A name with capitals, spaces or a reserved word must be double-quoted in every query, forever; unquoted it
        silently means another (lower-case) name or is a syntax error.""",
    fix="ALTER TABLE ... RENAME (COLUMN) ... TO a lower-case name of letters, digits and underscores.",
)  # fmt: skip
def _identifier_needs_quoting(ctx: Context) -> Iterator[Hit]:
    from pglast.keywords import RESERVED_KEYWORDS

    def odd(name: str) -> str | None:
        if not _PLAIN.match(name):
            return "is not lower case letters, digits and underscores"
        if name in RESERVED_KEYWORDS:
            return "is a reserved word"
        return None

    for table in ctx.tables(_RELATIONS):
        why = odd(table.name)
        if why:
            yield Hit(table.qualified, f"table name {table.name!r} {why}")
        for column in table.columns:
            why = odd(column.name)
            if why:
                yield Hit(f"{table.qualified}.{column.name}", f"column name {column.name!r} of {table.qualified} {why}")
