"""Drift between the models in `dbkit.models` and a migrated database, in plain words.

Alembic's `compare_metadata` finds the differences (tables, columns, types, nullability, indexes,
unique constraints, foreign keys, comments); this module only chooses what to compare and says
each difference as a sentence. Server defaults are not compared: reflected default expressions
rarely read back as written, and the tests check defaults by inserting rows.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from . import models
from .url import resolve

__all__ = ["differences", "compare", "describe"]

_LEDGER_TABLES = {"schema_migrations", "dbkit_schema_migrations"}


def differences(url: str | None = None, schemas: list[str] | None = None) -> dict[str, list[str]]:
    """For each schema (default: all that run on this engine), the sentences describing its drift."""
    from .connect import engine as make_engine
    from .sqlite import engine as sqlite_engine

    target = resolve(url)
    names = [models.metadata(s).schema for s in schemas] if schemas else list(models.MODULES)
    if target.is_sqlite:
        names = [n for n in names if n == "syris"]  # the only schema authored for SQLite
    engine = sqlite_engine(target.url) if target.is_sqlite else make_engine(target)
    try:
        with engine.connect() as connection:
            return {name: _compare_schema(connection, name, target.is_sqlite) for name in names}
    finally:
        engine.dispose()


def _compare_schema(connection: Any, schema: str, on_sqlite: bool) -> list[str]:
    if on_sqlite:
        from .models import syris

        return compare(connection, syris.sqlite_metadata(), None, compare_type=syris.sqlite_compare_type)
    if schema not in inspect(connection).get_schema_names():
        return [f"schema {schema} does not exist in the database: run `dbkit migrate {schema}`"]
    return compare(connection, models.metadata(schema), schema)


def compare(connection: Any, metadata: MetaData, schema: str | None, *, compare_type: Any = True) -> list[str]:
    """The drift between `metadata` and one schema of the connected database, as sentences."""

    def include_name(name: str | None, kind: str, parent: dict) -> bool:
        if kind == "schema":
            return name == schema
        return not (kind == "table" and name in _LEDGER_TABLES)

    context = MigrationContext.configure(
        connection,
        opts={"include_schemas": schema is not None, "include_name": include_name, "compare_type": compare_type},
    )
    return [describe(diff) for diff in _flatten(compare_metadata(context, metadata))]


def _flatten(diffs: list) -> list:
    flat = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])  # column changes come grouped per column
    return flat


def describe(diff: tuple) -> str:
    """One alembic diff tuple as a sentence a person can act on."""
    kind = diff[0]
    where = {"add": "is in the models but missing from the database", "remove": "is in the database but not in the models"}
    verb, _, what = kind.partition("_")
    if verb in where and what == "table":
        return f"table {_table(diff[1])} {where[verb]}"
    if verb in where and what == "column":
        return f"column {_qualified(diff[1], diff[2])}.{diff[3].name} {where[verb]}"
    if verb in where and what == "index":
        index = diff[1]
        columns = ", ".join(str(e) for e in index.expressions)
        unique = "unique index" if index.unique else "index"
        return f"{unique} {index.name} on {_table(index.table)} ({columns}) {where[verb]}"
    if verb in where and what in ("constraint", "fk"):
        constraint = diff[1]
        label = "foreign key" if what == "fk" else type(constraint).__name__
        return f"{label} {constraint.name or '(unnamed)'} on {_table(constraint.table)} {where[verb]}"
    if kind in ("add_table_comment", "remove_table_comment"):
        return f"comment of table {_table(diff[1])} differs between the models and the database"
    if kind.startswith("modify_"):
        schema, table, column, _, in_db, in_models = diff[1:7]
        column_name = f"{_qualified(schema, table)}.{column}"
        if kind == "modify_nullable":
            return f"column {column_name} is {_null(in_db)} in the database but {_null(in_models)} in the models"
        if kind == "modify_comment":
            return f"comment of column {column_name} differs between the models and the database"
        label = kind.removeprefix("modify_").replace("_", " ")
        return f"column {column_name} has {label} {in_db} in the database but {in_models} in the models"
    return f"{kind}: {diff[1:]}"  # a kind alembic may add later: shown raw rather than hidden


def _table(table: Any) -> str:
    return table.fullname


def _qualified(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def _null(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"
