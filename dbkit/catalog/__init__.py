"""The one catalog reader: a live schema as typed records, on PostgreSQL and SQLite alike.

Everything that describes a database (explore, widgets, diagrams, check, lint, docs, diff) reads it
here, through the read-only path (`Database.reading()`), in one transaction per call:

    from dbkit import catalog
    ibex = catalog.schema("ibex_core")          # Schema(tables=(Table(columns, constraints, indexes, ...), ...))
    ibex.table("memories").indexes              # method, opclasses, predicate, options, size
    catalog.schemas()                           # every user schema with its comment and size
"""

from __future__ import annotations

from typing import Any

from ..db import Database, database
from ..errors import NotFoundError
from . import _postgres, _sqlite
from .records import (
    ACTIONS,
    Column,
    Constraint,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    Role,
    Schema,
    SchemaSummary,
    Table,
    Trigger,
)

__all__ = [
    "ACTIONS",
    "Column",
    "Constraint",
    "Extension",
    "ForeignKey",
    "Function",
    "Grant",
    "Index",
    "Policy",
    "Role",
    "Schema",
    "SchemaSummary",
    "Table",
    "Trigger",
    "roles",
    "schema",
    "schemas",
    "short_type",
    "table",
]

short_type = _postgres.short_type


def schemas(url: Any = None) -> list[SchemaSummary]:
    """Every user schema (PostgreSQL), or `main` (SQLite), with its comment, owner, tables and size."""
    db = database(url)
    with db.reading() as reader:
        return (_sqlite if db.is_sqlite else _postgres).schemas(reader)


def roles(url: Any = None, names: list[str] | None = None) -> list[Role]:
    """The server's roles (or those named): superuser, BYPASSRLS, LOGIN, direct memberships. SQLite has none."""
    db = database(url)
    if db.is_sqlite:
        return []
    with db.reading() as reader:
        return _postgres.roles(reader, names)


def extensions(url: Any = None) -> list[Extension]:
    """The extensions installed in the database (PostgreSQL; SQLite has none): name, schema, version."""
    db = database(url)
    if db.is_sqlite:
        return []
    with db.reading() as reader:
        return _postgres.extensions(reader)


def schema(name: str | None = None, url: Any = None) -> Schema:
    """One schema with all its tables, columns, constraints, indexes, triggers, policies and functions.

    On SQLite the name is ignored (a file has one schema); NotFoundError when PostgreSQL has no such schema.
    """
    db = database(url)
    with db.reading() as reader:
        if db.is_sqlite:
            found = _sqlite.schema(reader)
        else:
            if not name:
                raise NotFoundError("name a schema: catalog.schema('ibex_core'); catalog.schemas() lists them")
            found = _postgres.schema(reader, name)
    if found is None:
        known = ", ".join(s.name for s in schemas(db)) or "none"
        raise NotFoundError(f"{db.masked} has no schema {name!r}; its schemas: {known}")
    return found


def table(schema_name: str | None, name: str, url: Any = None) -> Table:
    """One table (or view) of a schema."""
    return schema(schema_name, url).table(name)


def _database(url: Any) -> Database:
    return database(url)
