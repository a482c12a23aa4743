"""An onboarding notebook for any schema: a walkthrough with the kit's captions, generated from the catalog.

`walkthrough(schema)` builds it: **What it is** (the schema's comment, or its registry summary, and its
tables with row counts), **Diagram**, then `## <table>` for every table: its comment, its columns and
indexes (`explore.describe`), its relations in and out, a sample, and the queries its columns suggest:

- counts by its status-like columns (text with a CHECK that lists the values, or named like `status`, `kind`);
- its latest rows, by its timestamp column (`created_at` first);
- the most common top-level keys of a jsonb column (`jsonb_object_keys`, objects only);
- the nearest neighbours of the first row's vector, with the operator of its ANN index (`<=>` for
  `vector_cosine_ops`) and that index's partial predicate, so that the planner may use the index.

What the queries are is decided here, from the catalog; what they return is read when the notebook runs.
Code cells use the public API only (`dbkit.explore`, `dbkit.diagram`) and name no URL: they read the
database the kit resolves (DATABASE_URL, else the embedded server), on its read-only path. Identifiers are
written the way PostgreSQL prints them (`quote_ident`), so awkward names stay valid SQL. Each code cell is
tagged (`setup`, `diagram`, `describe-<table>`, `relations-<table>`, `sample-<table>`, `query-<table>-<kind>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import catalog, registry
from .catalog import Column, Index, Schema, Table
from .db import database
from .errors import ConfigError, NotFoundError, UsageError
from .sqltext import quote_identifier

__all__ = ["Query", "queries", "walkthrough", "write"]

_STATUS = re.compile(
    r"(?:^|_)(?:status|state|kind|type|role|category|level|tier|phase|stage|priority|severity|mode|outcome|verdict|"
    r"source|channel|provider|platform|method|action|direction|visibility|decision)$",
    re.IGNORECASE,
)
_TEXT = ("text", "varchar", "char", "character", "citext", '"char"')
_TIMES = ("created_at", "inserted_at", "occurred_at", "recorded_at", "received_at", "started_at", "timestamp", "ts", "at",
          "updated_at")  # fmt: skip
_LABELS = ("name", "title", "content", "text", "body", "summary", "description", "slug", "message")
# pgvector's operator for each ANN opclass; an index without an explicit opclass uses L2 distance.
_OPERATORS = {
    "vector_l2_ops": "<->", "vector_ip_ops": "<#>", "vector_cosine_ops": "<=>", "vector_l1_ops": "<+>",
    "halfvec_l2_ops": "<->", "halfvec_ip_ops": "<#>", "halfvec_cosine_ops": "<=>", "halfvec_l1_ops": "<+>",
    "sparsevec_l2_ops": "<->", "sparsevec_ip_ops": "<#>", "sparsevec_cosine_ops": "<=>", "sparsevec_l1_ops": "<+>",
}  # fmt: skip
_DISTANCES = {"<->": "L2 distance", "<#>": "negative inner product", "<=>": "cosine distance", "<+>": "L1 distance"}
_ANN = ("hnsw", "ivfflat")
_LIMIT = 20


@dataclass(frozen=True)
class Query:
    """One generated query: its kind (counts, latest, json-keys, nearest, rows), what it shows, and its SQL."""

    kind: str
    title: str
    sql: str


# -- the notebook --------------------------------------------------------------------------------


def write(schema: str, path: str | Path, url: Any = None) -> Path:
    """Write the walkthrough of `schema` to `path` (a `.ipynb`); return the path."""
    import nbformat

    path = Path(path)
    if path.suffix != ".ipynb":
        raise UsageError(f"{path.name}: name the notebook file with .ipynb")
    notebook = walkthrough(schema, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def walkthrough(schema: str, url: Any = None) -> Any:
    """The walkthrough of `schema` (a registry name or any schema's name) as an nbformat notebook, not executed."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    db = database(url)
    if db.is_sqlite:
        raise UsageError("the walkthrough is written for PostgreSQL: pass a postgresql:// URL")
    entry = _entry(schema)
    live = catalog.schema(entry.schema if entry else schema, db)
    tags = _Tags()
    cells: list[Any] = []

    def markdown(text: str) -> None:
        cells.append(new_markdown_cell(text))

    def code(source: str, tag: str) -> None:
        cells.append(new_code_cell(source, metadata={"tags": [tag]}))

    tables = sorted(live.tables, key=lambda t: t.name)
    title = entry.title if entry and entry.title else live.name
    markdown(f"# {_heading(title)}: a walkthrough\n\n{_intro(live)}")
    markdown(_what_it_is(live, entry, tables))
    code(
        "import dbkit\nfrom IPython.display import Markdown, display\n\nfrom dbkit import diagram, explore\n\n"
        f"SCHEMA = {live.name!r}\n"
        'print("database:", dbkit.resolve().masked)\n'
        "explore.tables(SCHEMA)",
        tags.add("setup"),
    )
    markdown(
        "## Diagram\n\nDrawn from the live catalog: each table with its real column types, each foreign key one line "
        "labelled with its columns (a solid line when the key is part of the child's primary key). A big schema is drawn "
        "in parts, its connected groups of tables."
    )
    code("markup = diagram.show(SCHEMA)", tags.add("diagram"))
    for table in tables:
        slug = tags.table(table.name)
        found = queries(table)
        markdown(_table_text(table, found))
        code(f"_ = explore.describe(SCHEMA, {table.name!r})", tags.add(f"describe-{slug}"))
        if table.foreign_keys or table.referenced_by:
            code(
                f"display(Markdown('**Foreign keys out** (what it points to)'), explore.references(SCHEMA, {table.name!r}))\n"
                f"display(Markdown('**Foreign keys in** (what points to it)'), explore.referenced_by(SCHEMA, {table.name!r}))",
                tags.add(f"relations-{slug}"),
            )
        code(_sample(table), tags.add(f"sample-{slug}"))
        for query in found:
            markdown(f"**{query.title}**")
            code(f"explore.query({_python_text(query.sql)})", tags.add(f"query-{slug}-{query.kind}"))
    extras = _extras(live)
    if extras:
        for text, source, tag in extras:
            markdown(text)
            code(source, tags.add(tag))
    notebook = new_notebook(
        cells=cells,
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                  "language_info": {"name": "python"}},
    )  # fmt: skip
    for n, cell in enumerate(notebook.cells, 1):
        cell["id"] = f"cell-{n:03d}"  # stable ids: the same catalog gives the same file
    nbformat.validate(notebook)
    return notebook


def _entry(name: str) -> registry.Entry | None:
    try:
        return registry.find(name)
    except (NotFoundError, ConfigError):  # not a registry name (or no registry here): any schema works
        return None


def _intro(live: Schema) -> str:
    return (
        f"Generated by `dbkit notebook {live.name}` from the live catalog. Every code cell reads the database the kit "
        "resolves (`DATABASE_URL`, else the embedded server) on its read-only path: nothing here writes. The queries "
        "were chosen from each table's columns; run them again after the data changes."
    )


def _what_it_is(live: Schema, entry: registry.Entry | None, tables: list[Table]) -> str:
    said = [text for text in (entry.summary if entry else "", live.comment or "") if text]
    what = "\n\n".join(dict.fromkeys(said)) or (
        f"The schema `{live.name}` has no comment yet: `COMMENT ON SCHEMA {quote_identifier(live.name)} IS '...'` would say here "
        "what it holds."
    )
    keyed = sorted(tables, key=lambda t: (-len(t.referenced_by), t.name))[:3]
    shape = f"It has {len(tables)} table(s) and view(s)"
    if keyed and keyed[0].referenced_by:
        shape += "; the ones most foreign keys point at: " + ", ".join(f"`{t.name}`" for t in keyed if t.referenced_by)
    secured = [t.name for t in tables if t.rls_enabled]
    if secured:
        shape += f"; row-level security is enabled on {len(secured)} of them"
    return f"## What it is\n\n{what}\n\n{shape}. Below, every table with its row count and comment."


def _table_text(table: Table, found: list[Query]) -> str:
    comment = table.comment or "*No comment on this table.*"
    kind = "" if table.kind == "table" else f" (a {table.kind})"
    text = f"## {_heading(table.name)}{kind}\n\n{comment}"
    if table.rls_enabled:
        text += (
            "\n\nRow-level security is enabled: an application role sees what the policies allow (the explorer bypasses them)."
        )
    return (
        text
        + "\n\nIts columns with their comments, its indexes, its relations, a sample, then "
        + (", ".join(q.title[0].lower() + q.title[1:] for q in found) + ".")
    )


def _sample(table: Table) -> str:
    if table.primary_key:
        return f"explore.sample(SCHEMA, {table.name!r})"
    # No primary key to order by (a view, a log): five rows as the server returns them.
    return f"explore.query({_python_text(f'SELECT * FROM {_qualified(table)} LIMIT 5')})"


def _extras(live: Schema) -> list[tuple[str, str, str]]:
    found = []
    if any(t.policies for t in live.tables):
        found.append(("## Row-level security\n\nThe policies: which command, which roles, `USING` (rows visible) and "
                      "`WITH CHECK` (rows that may be written).", "explore.policies(SCHEMA)", "policies"))  # fmt: skip
    if any(t.triggers for t in live.tables):
        found.append(("## Triggers\n\nWhat runs on its own when rows change.", "explore.triggers(SCHEMA)", "triggers"))
    if live.functions:
        found.append(
            ("## Functions\n\nThe schema's own functions (not those of extensions).", "explore.functions(SCHEMA)", "functions")
        )
    return found


# -- the queries a table's columns suggest -------------------------------------------------------


def queries(table: Table) -> list[Query]:
    """The queries the walkthrough runs on `table`, chosen from its columns (a row count when none applies). Pure."""
    found = [q for q in (_counts(table), _latest(table), _json_keys(table), _nearest(table)) if q is not None]
    if not found:
        found.append(Query("rows", "How many rows it holds", f"SELECT count(*) AS row_count\nFROM {_qualified(table)}"))
    return found


def _counts(table: Table) -> Query | None:
    columns = _status_columns(table)
    if not columns:
        return None
    names = ", ".join(quote_identifier(c.name) for c in columns)
    positions = ", ".join(str(n) for n in range(1, len(columns) + 1))
    shown = " and ".join(f"`{c.name}`" for c in columns)
    return Query(
        "counts",
        f"Rows by {shown}",
        f"SELECT {names}, count(*) AS row_count\nFROM {_qualified(table)}\nGROUP BY {positions}\n"
        f"ORDER BY {len(columns) + 1} DESC, {positions}\nLIMIT {_LIMIT}",
    )


def _status_columns(table: Table) -> list[Column]:
    """Text columns with few values: a CHECK lists them, or the name says so (`status`, `kind`, `role`); not keys."""
    keys = {c for k in table.constraints if k.kind in ("primary key", "unique", "foreign key") for c in k.columns}
    listed = {
        k.columns[0] for k in table.constraints if k.kind == "check" and len(k.columns) == 1 and _lists_values(k.definition)
    }
    candidates = [c for c in table.columns if _base(c.type) in _TEXT and c.name not in keys and not c.generated]
    chosen = [c for c in candidates if c.name in listed] + [
        c for c in candidates if c.name not in listed and _STATUS.search(c.name)
    ]
    return chosen[:2]


def _lists_values(definition: str) -> bool:
    return bool(re.search(r"=\s*ANY\s*\(\s*\(?ARRAY\[|\bIN\s*\(", definition, re.IGNORECASE))


def _latest(table: Table) -> Query | None:
    times = [c for c in table.columns if _base(c.type) in ("timestamptz", "timestamp", "date")]
    if not times:
        return None
    ranked = sorted(times, key=lambda c: (_TIMES.index(c.name) if c.name in _TIMES else len(_TIMES), c.type != "timestamptz",
                                          c.position))  # fmt: skip
    column = ranked[0]
    return Query(
        "latest",
        f"The latest rows, by `{column.name}`",
        f"SELECT *\nFROM {_qualified(table)}\nORDER BY {quote_identifier(column.name)} DESC NULLS LAST\nLIMIT 5",
    )


def _json_keys(table: Table) -> Query | None:
    columns = [c for c in table.columns if c.type in ("jsonb", "json")]
    if not columns:
        return None
    column = next((c for c in columns if c.type == "jsonb"), columns[0])
    fn = "jsonb" if column.type == "jsonb" else "json"
    name = f"t.{quote_identifier(column.name)}"
    return Query(
        "json-keys",
        f"The most common keys of `{column.name}` (JSON objects only)",
        f"SELECT k.key AS json_key, count(*) AS row_count\nFROM {_qualified(table)} AS t\n"
        f"CROSS JOIN LATERAL {fn}_object_keys(CASE WHEN {fn}_typeof({name}) = 'object' THEN {name} END) AS k(key)\n"
        f"GROUP BY 1\nORDER BY 2 DESC, 1\nLIMIT {_LIMIT}",
    )


def _nearest(table: Table) -> Query | None:
    vectors = [c for c in table.columns if _base(c.type) in ("vector", "halfvec", "sparsevec")]
    if not vectors or table.kind not in ("table", "partitioned table", "materialized view"):
        return None
    # The index's key as pg_get_indexdef prints it: the column's name, quoted as quote_ident() would.
    found = [(c, i) for c in vectors for i in table.indexes if i.method in _ANN and i.columns == (quote_identifier(c.name),)]
    column, index = found[0] if found else (vectors[0], None)
    operator = _operator(index)
    vector = quote_identifier(column.name)
    conditions = [index.predicate] if index and index.predicate else []
    probe_conditions = conditions + ([f"{vector} IS NOT NULL"] if column.nullable else [])
    order = ", ".join(quote_identifier(c) for c in table.primary_key)
    probe = f"SELECT {vector} FROM {_qualified(table)}"
    probe += f" WHERE {' AND '.join(probe_conditions)}" if probe_conditions else ""
    probe += f" ORDER BY {order}" if order else ""
    shown = [quote_identifier(c) for c in table.primary_key]
    label = _label(table)
    if label is not None:
        shown.append(f"left({quote_identifier(label.name)}, 80) AS {quote_identifier(label.name)}")
    select = ", ".join([*shown, f"{vector} {operator} ({probe} LIMIT 1) AS distance"])
    where = f"\nWHERE {' AND '.join(conditions)}" if conditions else ""
    how = "as an exact scan (no ANN index on it)"
    if index is not None:
        how = f"through `{index.name}` ({index.method}" + (", partial: its WHERE is kept" if index.predicate else "") + ")"
    return Query(
        "nearest",
        f"The nearest neighbours of the first row's `{column.name}` by {_DISTANCES[operator]}, {how}",
        f"SELECT {select}\nFROM {_qualified(table)}{where}\nORDER BY distance\nLIMIT 5",
    )


def _operator(index: Index | None) -> str:
    opclass = index.opclasses[0] if index and index.opclasses else ""
    return _OPERATORS.get(opclass, "<->")


def _label(table: Table) -> Column | None:
    text = [c for c in table.columns if _base(c.type) in _TEXT and c.name not in table.primary_key]
    return next((c for want in _LABELS for c in text if c.name == want), text[0] if text else None)


# -- text ----------------------------------------------------------------------------------------


class _Tags:
    """Cell tags: unique in the notebook, made of letters, digits, `_` and `-` (a table name may hold anything)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.slugs: dict[str, str] = {}

    def table(self, name: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "_"
        slug, n = base, 1
        while slug in self.slugs.values():
            n += 1
            slug = f"{base}-{n}"
        self.slugs[name] = slug
        return slug

    def add(self, tag: str) -> str:
        if tag in self.taken:
            raise AssertionError(f"tag {tag} twice")  # the slugs above are unique: a bug, not a user error
        self.taken.add(tag)
        return tag


def _qualified(table: Table) -> str:
    return f"{quote_identifier(table.schema)}.{quote_identifier(table.name)}"


def _base(type_name: str) -> str:
    return "array" if type_name.endswith("[]") else type_name.split("(", maxsplit=1)[0]


def _heading(name: str) -> str:
    return name if re.fullmatch(r"[\w .-]+", name) else "`" + name.replace("`", "'") + "`"


def _python_text(text: str) -> str:
    """SQL as a Python literal: triple-quoted when that is safe, else repr()."""
    if '"""' in text or "\\" in text or text.endswith('"'):
        return repr(text)
    return '"""\n' + text + '\n"""'
