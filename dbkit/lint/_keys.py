"""Keys and relationships: primary keys, foreign keys and their indexes, references without a key."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Table
from .context import Context
from .rules import Hit, rule

# Types that hold the same values for a reference's purpose: an integer id may be stored as bigint elsewhere.
_FAMILIES = {"smallint": "integer", "integer": "integer", "bigint": "integer", "text": "text", "uuid": "uuid"}


@rule(
    "table-without-primary-key", "error",
    why="""Without a primary key no row can be named for sure: logical replication cannot replicate its UPDATEs
        and DELETEs, ORMs and tools cannot address a row, and duplicates go unnoticed.""",
    fix="Add a PRIMARY KEY in a new migration: an identity column, or the natural key if one is unique and NOT NULL.",
)  # fmt: skip
def _table_without_primary_key(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        if not table.primary_key:
            candidates = [s for s in table.unique_sets() if all(not _nullable(table, c) for c in s)]
            hint = f"; UNIQUE ({', '.join(candidates[0])}) is NOT NULL and could become it" if candidates else ""
            yield Hit(table.qualified, f"{table.qualified} has no primary key{hint}")


@rule(
    "fk-without-index", "warning",
    why="""Deleting or updating a referenced row (ON DELETE CASCADE included) looks up the referencing rows, and
        joins from parent to children do too: without an index on the foreign key's columns each one reads the
        whole table, under the lock the delete holds.""",
    fix="CREATE INDEX CONCURRENTLY on the foreign key's columns (a composite index that leads with them also serves).",
)  # fmt: skip
def _fk_without_index(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for fk in table.foreign_keys:
            if not covered(table, fk.columns):
                cols = ", ".join(fk.columns)
                yield Hit(f"{table.qualified}.{'+'.join(fk.columns)}",
                          f"foreign key {fk.name} ({cols}) → {fk.target} has no index leading with ({cols})")  # fmt: skip


@rule(
    "probable-missing-fk", "warning",
    why="""A column named like a reference, of the referenced key's type, but with no foreign key: nothing stops
        it from pointing at rows that never existed or were deleted, and diagrams and tools cannot see the
        relationship.""",
    fix="""ALTER TABLE ... ADD FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration; or accept it
        with the reason the reference is by value (history that outlives its parents, an append-only log).""",
)  # fmt: skip
def _probable_missing_fk(ctx: Context) -> Iterator[Hit]:
    for table, column in ctx.columns():
        if not column.name.endswith("_id") or column.name == "_id":
            continue
        if any(column.name in fk.columns for fk in table.foreign_keys):
            continue
        target = _referenced(ctx, table, column.name.removesuffix("_id"), column.type)
        if target is not None:
            ref_table, ref_column = target
            yield Hit(f"{table.qualified}.{column.name}",
                      f"{table.qualified}.{column.name} ({column.type}) looks like a reference to {ref_table.qualified} "
                      f"({ref_column}) but has no foreign key")  # fmt: skip


@rule(
    "fk-type-mismatch", "error",
    why="""A foreign key whose column type differs from the referenced column compares through a cast: values one
        side holds may not fit the other (integer against bigint), and joins may not use the index.""",
    fix="ALTER TABLE ... ALTER COLUMN ... TYPE to the referenced column's type (it rewrites the table: plan it).",
)  # fmt: skip
def _fk_type_mismatch(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for fk in table.foreign_keys:
            target = ctx.table(fk.ref_schema, fk.ref_table)
            if target is None:
                continue
            types = {c.name: c.type for c in target.columns}
            for mine, theirs in zip(fk.columns, fk.ref_columns):
                here, there = _type(table, mine), types.get(theirs)
                if here and there and here != there:
                    yield Hit(f"{table.qualified}.{mine}",
                              f"{table.qualified}.{mine} is {here} but {fk.target}.{theirs}, which it references, is {there}")  # fmt: skip


@rule(
    "constraint-not-validated", "warning",
    why="""A constraint added NOT VALID checks new rows only: rows written before it may break it, and the planner
        cannot rely on it. NOT VALID is the safe first step; VALIDATE is the step that was left out.""",
    fix="ALTER TABLE ... VALIDATE CONSTRAINT ... (it takes only a SHARE UPDATE EXCLUSIVE lock: reads and writes go on).",
)  # fmt: skip
def _constraint_not_validated(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for constraint in table.constraints:
            if not constraint.validated:
                yield Hit(f"{table.qualified}.{constraint.name}",
                          f"{constraint.kind} {constraint.name} on {table.qualified} was added NOT VALID and never validated")  # fmt: skip


def covered(table: Table, columns: tuple[str, ...]) -> bool:
    """Whether a full, valid btree (or single-column hash) index leads with exactly these columns, in any order."""
    for index in table.indexes:
        if not index.valid or index.predicate or index.method not in ("btree", "hash"):
            continue
        if index.method == "hash" and len(columns) != 1:
            continue
        lead = index.column_names[: len(columns)]
        if len(lead) == len(columns) and set(lead) == set(columns):
            return True
    return False


def _referenced(ctx: Context, table: Table, stem: str, type_: str) -> tuple[Table, str] | None:
    """The table a `<stem>_id` column most likely points to: `ref_task_id` → tasks, `chain_id` → chains."""
    words = stem.split("_")
    for start in range(len(words)):
        word = "_".join(words[start:])
        names = [word, word + "s", word + "es"] + ([word[:-1] + "ies"] if word.endswith("y") else [])
        schemas = [table.schema, *(s for s in ctx.schemas if s != table.schema)]
        for schema in schemas:
            for name in names:
                target = ctx.table(schema, name)
                if target is None or target.qualified == table.qualified:
                    continue
                key = target.primary_key
                if len(key) == 1 and _family(_type(target, key[0])) == _family(type_):
                    return target, key[0]
    return None


def _family(type_: str | None) -> str | None:
    if type_ is None:
        return None
    return _FAMILIES.get(type_, "text" if type_.startswith(("varchar", "char")) else type_)


def _type(table: Table, column: str) -> str | None:
    return next((c.type for c in table.columns if c.name == column), None)


def _nullable(table: Table, column: str) -> bool:
    return next((c.nullable for c in table.columns if c.name == column), True)
