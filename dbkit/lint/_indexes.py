"""Indexes: duplicates, prefixes of another index, invalid leftovers, unique indexes that NULL slips through."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..catalog import Index
from .context import Context
from .parsing import conjuncts
from .rules import Hit, rule


@rule(
    "duplicate-index", "warning",
    why="""Two indexes with the same method, keys, opclasses and predicate: every write maintains both, the cache holds
        both, and the planner can use only one.""",
    fix="DROP INDEX CONCURRENTLY the one that backs no constraint (keep the UNIQUE one if only one enforces uniqueness).",
)  # fmt: skip
def _duplicate_index(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables(("table", "partitioned table", "materialized view")):
        groups: dict[str, list[Index]] = defaultdict(list)
        for index in table.indexes:
            # What follows the name and the table: `USING btree (b) INCLUDE (...) WITH (...) WHERE ...`.
            groups[index.definition.split(" USING ", 1)[-1]].append(index)
        for same in groups.values():
            if len(same) < 2:
                continue
            keep, *extra = sorted(same, key=_worth_keeping)
            for index in extra:
                yield Hit(f"{table.qualified}.{index.name}",
                          f"{index.name} duplicates {keep.name} ({', '.join(index.columns)}) on {table.qualified}")  # fmt: skip


@rule(
    "redundant-index", "warning",
    why="""A btree index whose keys are the leading keys of another btree index with the same predicate: the longer
        one answers every query the shorter one does, so the shorter one only costs writes and memory.""",
    fix="DROP INDEX CONCURRENTLY the shorter index (unless it backs a constraint, which it then does not here).",
)  # fmt: skip
def _redundant_index(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables(("table", "partitioned table", "materialized view")):
        for short in table.indexes:
            if short.unique or short.constraint or short.method != "btree" or not short.valid or short.include:
                continue
            longer = next((i for i in table.indexes if _extends(i, short)), None)
            if longer is not None:
                yield Hit(f"{table.qualified}.{short.name}",
                          f"{short.name} ({', '.join(short.columns)}) is a leading part of {longer.name} "
                          f"({', '.join(longer.columns)}) on {table.qualified}")  # fmt: skip


@rule(
    "invalid-index", "error",
    why="""An index marked invalid (a CREATE INDEX CONCURRENTLY that failed or was cancelled) is kept up to date on every
        write but never used to read, and an invalid unique index still rejects rows.""",
    fix="REINDEX INDEX CONCURRENTLY it, or DROP INDEX CONCURRENTLY it and create it again.",
)  # fmt: skip
def _invalid_index(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables(("table", "partitioned table", "materialized view")):
        for index in table.indexes:
            if not index.valid:
                yield Hit(f"{table.qualified}.{index.name}", f"{index.name} on {table.qualified} is invalid")


@rule(
    "nullable-unique-column", "warning",
    why="""NULLs are distinct from each other in a unique index: any number of rows may hold NULL in one of its columns,
        so the uniqueness the index seems to promise does not hold for them.""",
    fix="""Make the column NOT NULL; or say which rows are unique (a partial index WHERE column IS NOT NULL), or
        that one NULL at most is allowed (UNIQUE NULLS NOT DISTINCT, PostgreSQL 15+).""",
)  # fmt: skip
def _nullable_unique_column(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        nullable = {c.name for c in table.columns if c.nullable}
        for index in table.indexes:
            if not index.unique or index.primary or index.nulls_not_distinct:
                continue
            excluded = {term.removesuffix(" is not null") for term in conjuncts(index.predicate) if term.endswith(" is not null")}
            for name in index.column_names:
                if name in nullable and name not in excluded:
                    yield Hit(f"{table.qualified}.{name}",
                              f"{table.qualified}.{name} is nullable and part of unique index {index.name}: rows with NULL "
                              "there never conflict")  # fmt: skip


def _worth_keeping(index: Index) -> tuple[bool, bool, bool, str]:
    """Sort key: the primary key first, then what backs a constraint, then unique ones, then by name."""
    return (not index.primary, index.constraint is None, not index.unique, index.name)


def _extends(longer: Index, short: Index) -> bool:
    n = len(short.columns)
    return (
        longer is not short
        and longer.method == "btree"
        and longer.valid
        and len(longer.columns) > n
        and longer.columns[:n] == short.columns
        and longer.opclasses[:n] == short.opclasses
        and conjuncts(longer.predicate) == conjuncts(short.predicate)
    )
