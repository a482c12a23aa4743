"""Explore a live schema from a notebook: catalog answers and read-only queries, as DataFrames.

Reads are enforced, not requested: each runs as `dbkit_reader` in a READ ONLY transaction that is
rolled back, and only after PostgreSQL's parser agrees that the text is exactly one read (see
`dbkit.db`). Writing is a separate, explicit call: `write()`. Identifiers go through
`psycopg.sql.Identifier`, values are bound parameters. Works on PostgreSQL and SQLite URLs alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from psycopg import sql

from . import catalog
from .db import Rows, database
from .errors import UsageError, database_error

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "columns",
    "constraints",
    "describe",
    "explain",
    "functions",
    "indexes",
    "plan",
    "policies",
    "query",
    "read_past_rls",
    "referenced_by",
    "references",
    "sample",
    "schemas",
    "search",
    "systems",
    "tables",
    "triggers",
    "write",
]

Params = Sequence[Any] | dict[str, Any] | None


def query(
    statement: str | sql.Composable, params: Params = None, *, url: Any = None, settings: dict[str, str] | None = None
) -> pd.DataFrame:
    """Run one read-only statement and return its rows as a DataFrame (anything else is refused before it runs).

    `settings` apply to this transaction only (`set_config(..., true)`), e.g. `{"enable_indexscan": "off"}`.
    """
    with database(url).reading(settings) as reader:
        return frame(reader.query(statement, params))


def read_past_rls(on: bool = True, *, url: Any = None) -> bool:
    """From now on, this process's reads of the database see rows that row-level security hides from the explorer.

    The explorer (`dbkit_reader`) has BYPASSRLS wherever the kit's role may grant it (a superuser, as on the
    embedded server): there this changes nothing. Where it may not (a managed server), each read then runs as
    the kit's role, the tables' owner, past FORCE ROW LEVEL SECURITY in a READ ONLY transaction that is rolled
    back, holding the forced tables' locks while it runs (see `Database.reading`); calls that would reach the
    kit's own other sessions (`pg_terminate_backend()`...) are refused then. For the kit's own databases,
    not for one an application is using. Returns whether the explorer bypasses row-level security by itself.
    """
    db = database(url)
    db.past_rls = bool(on)
    return db.is_sqlite or db.reader_bypasses_rls()


def write(statement: str | sql.Composable, params: Params = None, *, url: Any = None) -> pd.DataFrame | int:
    """Run one writing statement as the kit's own role, in a transaction of its own; rows if it RETURNs, else the count."""
    import psycopg

    from .sqltext import SqlSyntaxError, split

    db = database(url)
    text = statement if isinstance(statement, str) else None
    with db.connect(application_name="dbkit write") as conn:
        source = text if text is not None else statement.as_string(conn)  # type: ignore[union-attr]
        try:
            parsed = split(_for_parser(source, params))
        except SqlSyntaxError as exc:
            raise UsageError(f"SQLSTATE 42601 (SyntaxError): {exc.message} (line {exc.line})") from None
        if len(parsed) != 1 or parsed[0].kind == "TransactionStmt":
            raise UsageError("write() runs exactly one statement in a transaction of its own; pass one statement per call")
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(source, params)
                if cur.description is not None:
                    names = [c.name for c in cur.description]
                    return frame(Rows(names, [""] * len(names), cur.fetchall()))
                return cur.rowcount
        except psycopg.Error as exc:
            raise database_error(exc) from None


def explain(
    statement: str | sql.Composable, params: Params = None, *, url: Any = None, settings: dict[str, str] | None = None
) -> str:
    """The plan PostgreSQL chooses for one read (EXPLAIN, not ANALYZE: nothing runs); vectors shown by size."""
    text = statement if isinstance(statement, str) else None
    with database(url).reading(settings) as reader:
        source = text if text is not None else statement.as_string(reader.conn)  # type: ignore[union-attr]
        from .sqltext import one_read

        one_read(source, has_params=params is not None)  # the statement itself must be one read
        plan = reader.query("EXPLAIN " + source, params)
    return _VECTOR_LITERAL.sub(_shorten, "\n".join(row[0] for row in plan.rows))


def plan(statement: str | sql.Composable, params: Params = None, *, url: Any = None, analyze: bool = True,
         buffers: bool = True, settings: dict[str, str] | None = None, rollback: bool = False) -> Any:  # fmt: skip
    """EXPLAIN (ANALYZE, BUFFERS) as a readable tree, the slowest node marked (see `dbkit.queryplan`)."""
    from .queryplan import explain_plan

    return explain_plan(statement, params, url=url, analyze=analyze, buffers=buffers, settings=settings, rollback=rollback)


# -- the catalog, as DataFrames ------------------------------------------------------------------


def schemas(*, url: Any = None) -> pd.DataFrame:
    """Every user schema: its comment, owner, number of tables and size."""
    from .display import Result

    found = catalog.schemas(url)
    return Result(
        [
            {"schema": s.name, "tables": s.tables, "size": _size(s.size_bytes), "owner": s.owner, "description": s.comment}
            for s in found
        ],
        columns=["schema", "tables", "size", "owner", "description"],
    )


def systems(*, url: Any = None, root: Any = None) -> pd.DataFrame:
    """The kit's schemas side by side: what each system stores, its key tables, its size, and its walkthrough.

    One row per registry entry (`sql/<folder>/dbkit.toml`), in notebook order. Key tables are the three
    that most foreign keys point at, read from the live catalog; rows are exact counts. A schema not yet
    migrated shows no tables rather than failing, so this is safe to call on a fresh database.
    """
    from . import registry
    from .display import Result

    db = database(url)
    present = {s.name: s for s in catalog.schemas(db)}
    found = []
    for entry in sorted(registry.entries(root), key=lambda e: (e.notebook or "~", e.folder)):
        summary = present.get(entry.schema if not db.is_sqlite else "main")
        row: dict[str, Any] = {"system": entry.title, "schema": entry.schema, "what it stores": entry.summary,
                               "key tables": "", "tables": 0, "rows": 0, "size": None,
                               "notebook": entry.notebook, "what it teaches": entry.teaches}  # fmt: skip
        if summary is not None:
            shape = catalog.schema(entry.schema, db)
            by_references = sorted(shape.tables, key=lambda t: (-len(t.referenced_by), t.name))
            counted = tables(entry.schema, url=db)
            row |= {"key tables": ", ".join(t.name for t in by_references[:3]), "tables": len(counted),
                    "rows": int(counted["rows"].fillna(0).sum()), "size": _size(summary.size_bytes)}  # fmt: skip
        found.append(row)
    return Result(found, columns=["system", "schema", "what it stores", "key tables", "tables", "rows", "size", "notebook",
                                  "what it teaches"])  # fmt: skip


def tables(schema: str | None = None, *, url: Any = None) -> pd.DataFrame:
    """The schema's tables and views: exact row count, size, row-level security and the table's comment."""
    from .display import Result

    db = database(url)
    found = catalog.schema(schema, db)
    counted = [t for t in found.tables if t.kind in ("table", "partitioned table", "materialized view")]
    counts: dict[str, int] = {}
    if counted:  # one statement, one round trip: every count in a UNION ALL
        parts = [
            sql.SQL("SELECT {} AS t, count(*) FROM {}").format(sql.Literal(t.name), _identifier(db.is_sqlite, t.schema, t.name))
            for t in counted
        ]
        with db.reading() as reader:
            statement = sql.SQL(" UNION ALL ").join(parts)
            rows = reader.query(statement.as_string(reader.conn) if not db.is_sqlite else _sqlite_text(statement)).rows
        counts = {name: int(n) for name, n in rows}
    result = Result(
        [
            {"table": t.name, "rows": counts.get(t.name), "kind": t.kind, "size": _size(t.size_bytes), "rls": t.rls_enabled,
             "description": t.comment}
            for t in found.tables
        ],
        columns=["table", "rows", "kind", "size", "rls", "description"],
    )  # fmt: skip
    # An explorer that row-level security binds (no BYPASSRLS to be had, as on a managed server) counts only
    # the rows its policies let it see: said under the table, not left to look like empty tables.
    bound = [t.name for t in counted if t.rls_enabled]
    if bound and not db.is_sqlite and not db.past_rls and not db.reader_bypasses_rls():
        result.attrs["note"] = (
            f"row-level security hides rows of {len(bound)} table(s) from the explorer here, so `rows` counts what "
            "it may see; explore.read_past_rls() counts them all"
        )
    return result


def columns(schema: str | None, table: str, *, url: Any = None) -> pd.DataFrame:
    """One row per column: its real type (`timestamptz`, `text[]`, `vector(384)`), nullability, default, comment."""
    return _columns_frame(catalog.table(schema, table, url))


def _columns_frame(found: catalog.Table) -> pd.DataFrame:
    from .display import Result

    keys = {c for k in found.constraints if k.kind == "primary key" for c in k.columns}
    fks = {c: fk.target for fk in found.foreign_keys for c in fk.columns}
    return Result(
        [
            {"column": c.name, "type": c.type, "nullable": c.nullable, "default": c.default,
             "key": "PK" if c.name in keys else ("FK → " + fks[c.name]) if c.name in fks else "", "description": c.comment}
            for c in found.columns
        ],
        columns=["column", "type", "nullable", "default", "key", "description"],
    )  # fmt: skip


def indexes(schema: str | None, table: str, *, url: Any = None) -> pd.DataFrame:
    """One row per index: method, unique, its WHERE (partial), opclasses, options, size and the full definition."""
    return _indexes_frame(catalog.table(schema, table, url))


def _indexes_frame(found: catalog.Table) -> pd.DataFrame:
    from .display import Result

    return Result(
        [
            {"index": i.name, "method": i.method, "unique": i.unique, "primary_key": i.primary, "columns": ", ".join(i.columns),
             "partial_where": i.predicate, "opclass": ", ".join(o for o in i.opclasses if o) or None,
             "options": ", ".join(f"{k}={v}" for k, v in i.options.items()) or None, "size": _size(i.size_bytes),
             "definition": i.definition}
            for i in found.indexes
        ],
        columns=["index", "method", "unique", "primary_key", "columns", "partial_where", "opclass", "options", "size", "definition"],
    )  # fmt: skip


def constraints(schema: str | None, table: str, *, url: Any = None) -> pd.DataFrame:
    """PRIMARY KEY, UNIQUE, CHECK (with its expression), FOREIGN KEY (with ON DELETE / ON UPDATE) and EXCLUDE."""
    from .display import Result

    found = catalog.table(schema, table, url)
    return Result(
        [
            {"constraint": k.name, "kind": k.kind, "columns": ", ".join(k.columns), "check": k.expression,
             "references": k.foreign_key.target if k.foreign_key else None,
             "on_delete": k.foreign_key.on_delete if k.foreign_key else None,
             "on_update": k.foreign_key.on_update if k.foreign_key else None, "definition": k.definition}
            for k in found.constraints
        ],
        columns=["constraint", "kind", "columns", "check", "references", "on_delete", "on_update", "definition"],
    )  # fmt: skip


def references(schema: str | None, table: str, *, url: Any = None) -> pd.DataFrame:
    """Foreign keys out of the table: what it points to."""
    return _fk_frame(catalog.table(schema, table, url).foreign_keys)


def referenced_by(schema: str | None, table: str, *, url: Any = None) -> pd.DataFrame:
    """Foreign keys into the table, from any table of any schema: what points to it."""
    return _fk_frame(catalog.table(schema, table, url).referenced_by)


def triggers(schema: str | None, table: str | None = None, *, url: Any = None) -> pd.DataFrame:
    """Triggers (of one table, or of the whole schema): timing, events, level, function, definition."""
    from .display import Result

    found = catalog.schema(schema, url)
    chosen = [found.table(table)] if table else list(found.tables)
    return Result(
        [
            {"table": t.name, "trigger": g.name, "timing": g.timing, "events": " OR ".join(g.events), "level": g.level,
             "function": g.function, "enabled": g.enabled, "definition": g.definition}
            for t in chosen for g in t.triggers
        ],
        columns=["table", "trigger", "timing", "events", "level", "function", "enabled", "definition"],
    )  # fmt: skip


def policies(schema: str | None, table: str | None = None, *, url: Any = None) -> pd.DataFrame:
    """Row-level security policies: command, permissive or restrictive, roles, USING and WITH CHECK."""
    from .display import Result

    found = catalog.schema(schema, url)
    chosen = [found.table(table)] if table else list(found.tables)
    return Result(
        [
            {"table": t.name, "policy": p.name, "command": p.command, "permissive": p.permissive, "roles": ", ".join(p.roles),
             "using": p.using, "with_check": p.with_check, "rls_enabled": t.rls_enabled, "rls_forced": t.rls_forced}
            for t in chosen for p in t.policies
        ],
        columns=["table", "policy", "command", "permissive", "roles", "using", "with_check", "rls_enabled", "rls_forced"],
    )  # fmt: skip


def functions(schema: str, *, url: Any = None) -> pd.DataFrame:
    """The schema's functions and procedures (not those of extensions): signature, result, language, security."""
    from .display import Result

    found = catalog.schema(schema, url)
    return Result(
        [
            {"function": f.name, "arguments": f.arguments, "returns": f.returns, "kind": f.kind, "language": f.language,
             "volatility": f.volatility, "security_definer": f.security_definer, "config": ", ".join(f.config) or None,
             "description": f.comment}
            for f in found.functions
        ],
        columns=["function", "arguments", "returns", "kind", "language", "volatility", "security_definer", "config", "description"],
    )  # fmt: skip


def search(text: str, *, schema: str | None = None, url: Any = None) -> pd.DataFrame:
    """Tables, columns, indexes, constraints and functions whose name or comment contains `text` (any case)."""
    from .display import Result

    if not isinstance(text, str) or not text.strip():
        raise UsageError("search() needs some text to look for")
    db = database(url)
    names = [schema] if schema or db.is_sqlite else [s.name for s in catalog.schemas(db)]
    needle = text.strip().lower()
    hits = []

    def hit(kind: str, where: str, name: str, comment: str | None, detail: str = "") -> None:
        if needle in name.lower() or needle in (comment or "").lower() or needle in detail.lower():
            hits.append({"kind": kind, "schema": where, "name": name, "detail": detail or None, "description": comment})

    for name in names:
        found = catalog.schema(name, db)
        for t in found.tables:
            hit(t.kind, found.name, t.name, t.comment)
            for c in t.columns:
                hit("column", found.name, f"{t.name}.{c.name}", c.comment, c.type)
            for i in t.indexes:
                hit("index", found.name, i.name, None, i.definition)
            for k in t.constraints:
                hit("constraint", found.name, k.name, None, k.definition)
        for f in found.functions:
            hit(f.kind, found.name, f"{f.name}({f.arguments})", f.comment)
    return Result(hits, columns=["kind", "schema", "name", "detail", "description"])


def sample(schema: str | None, table: str, limit: int = 5, *, url: Any = None) -> pd.DataFrame:
    """The first `limit` rows of a table (by primary key when it has one), read-only."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 100_000:
        raise UsageError(f"limit must be a whole number from 0 to 100,000, not {limit!r}")
    db = database(url)
    found = catalog.table(schema, table, db)
    order = sql.SQL(", ").join(map(sql.Identifier, found.primary_key)) if found.primary_key else sql.SQL("1")
    statement = sql.SQL("SELECT * FROM {} ORDER BY {} LIMIT {}").format(
        _identifier(db.is_sqlite, found.schema, found.name), order, sql.Literal(limit)
    )
    with db.reading() as reader:
        return frame(reader.query(statement if not db.is_sqlite else _sqlite_text(statement)))


def describe(schema: str | None, table: str, *, url: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Show a table's comment, columns (with comments) and indexes in a notebook; return the two frames."""
    from IPython.display import Markdown, display

    found = catalog.table(schema, table, url)  # read once: the three parts come from the same record
    cols, idx = _columns_frame(found), _indexes_frame(found)
    display(Markdown(f"**{found.qualified}**: {found.comment or '(no comment)'}"), cols, idx)
    return cols, idx


# -- helpers -------------------------------------------------------------------------------------


def frame(rows: Rows) -> pd.DataFrame:
    from .display import Result

    return Result(rows.rows, columns=rows.columns)


def _fk_frame(keys: Sequence[catalog.ForeignKey]) -> pd.DataFrame:
    from .display import Result

    return Result(
        [
            {"constraint": k.name, "from": k.source, "columns": ", ".join(k.columns), "to": k.target,
             "ref_columns": ", ".join(k.ref_columns), "on_delete": k.on_delete, "on_update": k.on_update}
            for k in keys
        ],
        columns=["constraint", "from", "columns", "to", "ref_columns", "on_delete", "on_update"],
    )  # fmt: skip


def _identifier(is_sqlite: bool, schema: str, name: str) -> sql.Identifier:
    return sql.Identifier(name) if is_sqlite or not schema else sql.Identifier(schema, name)


def _sqlite_text(statement: sql.Composable) -> str:
    """psycopg's composition without a PostgreSQL connection: identifiers and literals quote the same way."""
    return statement.as_string(None)


def _for_parser(text: str, params: Params) -> str:
    from .sqltext import for_parser

    return for_parser(text, params is not None)


def _size(size: int | None) -> str | None:
    if size is None:
        return None
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return None


# A plan prints a query vector in full (384 or 1536 numbers): show its size instead.
_VECTOR_LITERAL = re.compile(r"'\[([^\]']{200,})\]'")


def _shorten(match: re.Match[str]) -> str:
    return f"'[…{match.group(1).count(',') + 1} values…]'"
