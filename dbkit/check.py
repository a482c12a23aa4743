"""Drift between a schema's models and its migrated database, in plain words.

Three checks, each said as sentences a person can act on:

- alembic's `compare_metadata`: tables, columns, types, nullability, indexes, unique constraints,
  foreign keys (server defaults are not compared: reflected expressions rarely read back as written,
  and the schema tests insert rows to check them);
- what alembic does not compare, read from the catalog: each index's method, opclasses and partial
  predicate against the model's `postgresql_using` / `postgresql_ops` / `postgresql_where`;
- comment coverage, from the catalog: every table and column has a comment. The SQL files are the one
  source of comments, so models carry none and comments are never compared with them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Index as ModelIndex
from sqlalchemy import MetaData

from . import catalog, registry
from .db import database
from .errors import DriftError, UsageError

__all__ = ["check", "compare", "describe", "differences", "normalise_predicate"]

_COMMENT_DIFFS = {"add_table_comment", "remove_table_comment", "modify_comment"}


def differences(url: Any = None, schemas: list[str] | None = None) -> dict[str, list[str]]:
    """For each schema (default: every one with models that runs on this engine), the sentences describing its drift."""
    db = database(url)
    engine_name = "sqlite" if db.is_sqlite else "postgresql"
    entries = registry.choose(schemas) if schemas else registry.with_models()
    without = [e.schema for e in entries if not e.models]
    if without:
        raise UsageError(f"schema {without[0]} has no models (no `models = ...` in its dbkit.toml): nothing to compare")
    chosen = [e for e in entries if engine_name in (e.dialect, "postgresql")]
    if schemas and not chosen:
        raise UsageError(f"{', '.join(schemas)} is written for PostgreSQL: compare it on a PostgreSQL URL")
    engine = db.engine()
    with engine.connect() as connection:
        return {entry.schema: _compare_entry(connection, db, entry) for entry in chosen}


def check(url: Any = None, schemas: list[str] | None = None) -> None:
    """Raise DriftError (its `.differences` lists them) unless the models and the database agree."""
    found = differences(url, schemas)
    drifted = {schema: diffs for schema, diffs in found.items() if diffs}
    if drifted:
        count = sum(map(len, drifted.values()))
        raise DriftError(f"{count} difference(s) in {', '.join(drifted)}: run `dbkit check` to list them", drifted)


def _compare_entry(connection: Any, db: Any, entry: registry.Entry) -> list[str]:
    from sqlalchemy import inspect

    module = entry.models_module()
    if db.is_sqlite:
        metadata = module.sqlite_metadata() if hasattr(module, "sqlite_metadata") else _without_schema(module.Base.metadata)
        hook = getattr(module, "sqlite_compare_type", True)
        found = compare(connection, metadata, None, compare_type=hook)
        return found + _catalog_checks(db, None, metadata)
    if entry.schema not in inspect(connection).get_schema_names():
        return [f"schema {entry.schema} does not exist in the database: run `dbkit migrate {entry.folder}`"]
    metadata = module.Base.metadata
    return compare(connection, metadata, entry.schema) + _catalog_checks(db, entry.schema, metadata)


def compare(connection: Any, metadata: MetaData, schema: str | None, *, compare_type: Any = True) -> list[str]:
    """The drift alembic finds between `metadata` and one schema of the connected database, as sentences."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    kit_tables = {registry.LEDGER, registry.SQLITE_LEDGER, registry.SEED_RUNS}

    def include_name(name: str | None, kind: str, parent: dict[str, Any]) -> bool:
        if kind == "schema":
            return name == schema
        return not (kind == "table" and name in kit_tables)

    context = MigrationContext.configure(
        connection,
        opts={"include_schemas": schema is not None, "include_name": include_name, "compare_type": compare_type},
    )
    diffs = [d for d in _flatten(compare_metadata(context, metadata)) if d[0] not in _COMMENT_DIFFS]
    return [describe(diff) for diff in diffs]


def _catalog_checks(db: Any, schema: str | None, metadata: MetaData) -> list[str]:
    live = catalog.schema(schema, db)
    found = []
    for table in live.tables:
        if table.kind != "table":
            continue
        if not table.comment and live.engine == "postgresql":
            found.append(f"table {table.qualified} has no comment: add COMMENT ON TABLE to a new migration")
        for column in table.columns:
            if not column.comment and live.engine == "postgresql":
                found.append(f"column {table.qualified}.{column.name} has no comment: add COMMENT ON COLUMN to a new migration")
    by_name = {i.name: (t, i) for t in live.tables for i in t.indexes}
    for model_table in metadata.tables.values():
        for index in model_table.indexes:
            if index.name in by_name:
                found += _index_drift(index, *by_name[index.name], live.engine)
    return found


def _index_drift(model: ModelIndex, table: catalog.Table, index: catalog.Index, engine: str) -> list[str]:
    options = model.dialect_options[engine] if engine in ("postgresql", "sqlite") else {}
    where = f"index {index.name} on {table.qualified}"
    found = []
    if engine == "postgresql":
        wanted = options.get("using") or "btree"
        if wanted != index.method:
            found.append(f"{where} uses {index.method} in the database but {wanted} in the models")
        ops = options.get("ops") or {}
        for column, opclass in zip(index.columns, index.opclasses, strict=False):
            if column in ops and ops[column] != opclass:
                found.append(
                    f"{where}: column {column} has opclass {opclass or 'default'} in the database but {ops[column]} in the models"
                )
    model_where = options.get("where")
    model_text = str(model_where) if model_where is not None else None
    if normalise_predicate(model_text) != normalise_predicate(index.predicate):
        shown = index.predicate or "no WHERE (a full index)"
        found.append(f"{where} is partial on {shown} in the database but {model_text or 'full'} in the models")
    return found


def normalise_predicate(text: str | None) -> str | None:
    """A partial-index predicate with casts, parentheses, case and spacing removed, for comparison only."""
    if text is None:
        return None
    text = re.sub(
        r"::(?:character varying|timestamp with(?:out)? time zone|double precision|[a-z_][a-z0-9_]*)(?:\[\])?", "", text.lower()
    )
    text = text.replace("!=", "<>").replace("(", " ").replace(")", " ")
    text = re.sub(r"\b(true|false)\b", lambda m: {"true": "1", "false": "0"}[m[1]], text)
    return " ".join(text.split())


def _without_schema(metadata: MetaData) -> MetaData:
    copy = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(copy, schema=None)  # type: ignore[arg-type]  # None: no schema (SQLite)
    return copy


def _flatten(diffs: list[Any]) -> list[Any]:
    flat = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])  # column changes come grouped per column
    return flat


def describe(diff: tuple[Any, ...]) -> str:
    """One alembic diff tuple as a sentence a person can act on."""
    kind = diff[0]
    where = {"add": "is in the models but missing from the database", "remove": "is in the database but not in the models"}
    verb, _, what = kind.partition("_")
    if verb in where and what == "table":
        return f"table {diff[1].fullname} {where[verb]}"
    if verb in where and what == "column":
        return f"column {_qualified(diff[1], diff[2])}.{diff[3].name} {where[verb]}"
    if verb in where and what == "index":
        index = diff[1]
        columns = ", ".join(str(e) for e in index.expressions)
        unique = "unique index" if index.unique else "index"
        return f"{unique} {index.name} on {index.table.fullname} ({columns}) {where[verb]}"
    if verb in where and what in ("constraint", "fk"):
        constraint = diff[1]
        label = "foreign key" if what == "fk" else type(constraint).__name__
        return f"{label} {constraint.name or '(unnamed)'} on {constraint.table.fullname} {where[verb]}"
    if kind.startswith("modify_"):
        schema, table, column, _, in_db, in_models = diff[1:7]
        column_name = f"{_qualified(schema, table)}.{column}"
        if kind == "modify_nullable":
            return f"column {column_name} is {_null(in_db)} in the database but {_null(in_models)} in the models"
        label = kind.removeprefix("modify_").replace("_", " ")
        return f"column {column_name} has {label} {in_db} in the database but {in_models} in the models"
    return f"{kind}: {diff[1:]}"  # a kind alembic may add later: shown raw rather than hidden


def _qualified(schema: str | None, table: str) -> str:
    return f"{schema}.{table}" if schema else table


def _null(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"
