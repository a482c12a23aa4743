"""Typed records of a live schema, the same on PostgreSQL and SQLite (where SQLite lacks a concept, it is empty).

Types are the server's own, shortened the way people write them: `timestamptz`, `text[]`,
`vector(384)`, `varchar(64)`, `numeric(4,3)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
]

# pg_constraint.confdeltype / confupdtype, and SQLite's on_delete words, as people say them.
ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass(frozen=True)
class Column:
    name: str
    position: int
    type: str
    nullable: bool
    default: str | None = None
    comment: str | None = None
    identity: str = ""  # "always", "by default" or ""
    generated: str | None = None  # the expression of a generated column


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key from `schema.table (columns)` to `ref_schema.ref_table (ref_columns)`."""

    name: str
    schema: str
    table: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    deferrable: bool = False
    validated: bool = True

    @property
    def target(self) -> str:
        return f"{self.ref_schema}.{self.ref_table}" if self.ref_schema else self.ref_table

    @property
    def source(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table


@dataclass(frozen=True)
class Constraint:
    """PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY or EXCLUDE, with its definition as the server prints it."""

    name: str
    kind: str  # "primary key", "unique", "check", "foreign key", "exclude"
    columns: tuple[str, ...]
    definition: str
    expression: str | None = None  # a CHECK's boolean expression
    validated: bool = True
    foreign_key: ForeignKey | None = None


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]  # key columns or expressions, in order
    method: str = "btree"
    unique: bool = False
    primary: bool = False
    predicate: str | None = None  # the WHERE of a partial index
    definition: str = ""
    opclasses: tuple[str, ...] = ()  # per key column; "" where it is the type's default
    options: dict[str, str] = field(default_factory=dict)  # WITH (m = 16, lists = 100, ...)
    include: tuple[str, ...] = ()
    valid: bool = True
    size_bytes: int | None = None
    constraint: str | None = None  # the constraint this index enforces, if any
    column_names: tuple[str | None, ...] = ()  # per key column: the column's own name, None for an expression
    nulls_not_distinct: bool = False  # UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+): one NULL at most
    # Transactions since the index was built, rebuilt (REINDEX) or altered: age(xmin) of its pg_class row.
    # Rows written later than that were not there when an IVFFlat index learned its lists.
    built_age: int | None = None


@dataclass(frozen=True)
class Trigger:
    name: str
    timing: str  # BEFORE, AFTER, INSTEAD OF
    events: tuple[str, ...]  # INSERT, UPDATE, DELETE, TRUNCATE
    level: str  # ROW or STATEMENT
    function: str
    definition: str
    enabled: bool = True


@dataclass(frozen=True)
class Policy:
    name: str
    command: str  # ALL, SELECT, INSERT, UPDATE, DELETE
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    arguments: str
    returns: str
    language: str
    kind: str = "function"  # function, procedure, aggregate, window
    security_definer: bool = False
    config: tuple[str, ...] = ()  # SET clauses (`search_path=pg_catalog`)
    volatility: str = "volatile"
    comment: str | None = None
    public_execute: bool = False  # EXECUTE granted to PUBLIC (PostgreSQL's default for a new function)

    @property
    def signature(self) -> str:
        return f"{self.schema}.{self.name}({self.arguments})"


@dataclass(frozen=True)
class Grant:
    """One privilege on a table held by a role (`public` for PUBLIC), as the table's ACL says."""

    grantee: str
    privilege: str  # SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN
    grantable: bool = False


@dataclass(frozen=True)
class Extension:
    """An installed extension: `vector` in `public`, `pg_stat_statements` wherever it was created."""

    name: str
    schema: str
    version: str


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    kind: str = "table"  # table, partitioned table, view, materialized view, foreign table
    comment: str | None = None
    owner: str | None = None
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    policies: tuple[Policy, ...] = ()
    referenced_by: tuple[ForeignKey, ...] = ()
    rls_enabled: bool = False
    rls_forced: bool = False
    rows_estimate: int | None = None
    size_bytes: int | None = None
    grants: tuple[Grant, ...] = ()  # the table's ACL, one privilege per row (the owner's too, once any grant exists)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def foreign_keys(self) -> tuple[ForeignKey, ...]:
        return tuple(c.foreign_key for c in self.constraints if c.foreign_key is not None)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return next((c.columns for c in self.constraints if c.kind == "primary key"), ())

    def column(self, name: str) -> Column:
        from ..errors import NotFoundError

        for column in self.columns:
            if column.name == name:
                return column
        raise NotFoundError(f"{self.qualified} has no column {name!r}; it has {', '.join(c.name for c in self.columns)}")

    def unique_sets(self) -> list[tuple[str, ...]]:
        """Column sets that are unique on every row: primary key, UNIQUE constraints, full unique indexes."""
        sets = [c.columns for c in self.constraints if c.kind in ("primary key", "unique")]
        sets += [i.columns for i in self.indexes if i.unique and i.predicate is None]
        return list(dict.fromkeys(sets))


@dataclass(frozen=True)
class Schema:
    name: str
    comment: str | None = None
    owner: str | None = None
    tables: tuple[Table, ...] = ()
    functions: tuple[Function, ...] = ()
    engine: str = "postgresql"

    def table(self, name: str) -> Table:
        from ..errors import NotFoundError

        for table in self.tables:
            if table.name == name:
                return table
        known = ", ".join(t.name for t in self.tables) or "none"
        raise NotFoundError(f"schema {self.name} has no table {name!r}; its tables: {known}")

    @property
    def foreign_keys(self) -> tuple[ForeignKey, ...]:
        return tuple(fk for t in self.tables for fk in t.foreign_keys)


@dataclass(frozen=True)
class SchemaSummary:
    name: str
    comment: str | None
    owner: str | None
    tables: int
    size_bytes: int | None = None


@dataclass(frozen=True)
class Role:
    """A role of the server (roles belong to the cluster, not to a schema): what row-level security asks of it."""

    name: str
    superuser: bool = False
    bypassrls: bool = False
    login: bool = False
    member_of: tuple[str, ...] = ()  # the roles it is a direct member of

    @property
    def bypasses_rls(self) -> bool:
        return self.superuser or self.bypassrls
