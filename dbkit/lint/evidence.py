"""Queries seen against the schemas: the evidence for rules that depend on how a column is searched.

A vector column is only well indexed if its ANN index serves the operator the queries use, and a jsonb
column only needs GIN if someone asks it `@>`. The catalog cannot say that; the queries can. Sources, each
optional:

- notebooks (`.ipynb`): the SQL of code cells: `%%sql` cells, `%sql` lines, and every Python string
  literal that PostgreSQL's parser accepts as statements;
- `.sql` files, and statements passed in directly (`lint(queries=[...])`);
- `pg_stat_statements`, when the extension is installed in the database and loaded. The embedded server
  ships it but does not preload it, so lint never requires it, and says which sources it read.

Every statement is parsed by pglast (PostgreSQL's own parser): a `Use` is an operator applied to a column
reference, with the tables of the FROM clause it can belong to and the WHERE it was filtered by.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from .. import catalog
from ..db import Database
from ..errors import QueryError
from ..sqltext import for_parser, named_binds
from .parsing import NON_ASCII, children, conjuncts, deparse

__all__ = ["Evidence", "Relation", "Use", "gather", "uses_in"]

# Operators whose index support depends on the opclass: containment and existence (jsonb, arrays), distances (pgvector).
OPERATORS = {"@>", "<@", "?", "?|", "?&", "@?", "@@", "&&", "<->", "<=>", "<#>", "<+>", "<~>", "<%>"}
_FLIPPED = {"@>": "<@", "<@": "@>"}  # `x @> col` is `col <@ x` seen from the column
_LEFT_ONLY = {"?", "?|", "?&", "@?", "@@"}  # the column must be on the left to be the one searched
_WORTH_PARSING = re.compile(r"(@>|<@|\?|&&|@@|<->|<=>|<#>|<\+>|<~>|<%>)")
_STATEMENT = re.compile(r"\b(select|update|delete|with)\b", re.IGNORECASE)
_STATEMENTS_PATTERN = r"(@>|<@|\?|&&|@@|<->|<=>|<#>|<\+>|<~>|<%>)"


@dataclass(frozen=True)
class Relation:
    schema: str | None
    name: str
    alias: str | None


@dataclass(frozen=True)
class Use:
    """`column <operator> ...` in one statement: `embedding <=> $1`, `payload @> $1::jsonb`."""

    operator: str
    column: str
    qualifier: str | None  # the table name or alias written before the column, if any
    relations: tuple[Relation, ...]  # the FROM clause the column belongs to
    where: frozenset[str]  # the statement's WHERE terms, normalised (see `conjuncts`)
    cast: str | None  # `column::jsonb @> ...`: the type the column was cast to
    source: str

    def on(self, schema: str, table: str, columns: Iterable[str]) -> bool:
        """Whether the column reference means `schema.table.column` (an unqualified table matches any schema)."""
        if self.column not in set(columns):
            return False
        candidates = [r for r in self.relations if r.name == table and r.schema in (None, schema)]
        if self.qualifier is not None:
            return any(r.alias == self.qualifier or (r.alias is None and r.name == self.qualifier) for r in candidates)
        return bool(candidates)


@dataclass
class Evidence:
    uses: list[Use] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # what was read, for the report


def gather(db: Database | None, paths: Iterable[Path] = (), queries: Iterable[str] = ()) -> Evidence:
    """Every use found in `paths` (notebooks, .sql files, folders of them), `queries`, and pg_stat_statements."""
    found = Evidence()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.suffix in (".ipynb", ".sql")) if path.is_dir() else [path]
        files = [f for f in files if ".ipynb_checkpoints" not in f.parts]
        before = len(found.uses)
        for file in files:
            texts: Iterable[tuple[str, str]] = (
                _notebook_sql(file) if file.suffix == ".ipynb" else [(file.read_text(encoding="utf-8"), file.name)]
            )
            for text, where in texts:
                found.uses += uses_in(text, where)
        found.sources.append(f"{path}: {len(files)} file(s), {len(found.uses) - before} use(s)")
    given = list(queries)
    for n, text in enumerate(given, 1):
        found.uses += uses_in(for_parser(text, True), f"query {n}")
    if given:
        found.sources.append(f"{len(given)} query(ies) passed in")
    if db is not None:
        statements, note = _statements(db)
        for statement in statements:
            found.uses += uses_in(statement, "pg_stat_statements")
        found.sources.append(note)
    return found


def uses_in(text: str, source: str) -> list[Use]:
    """The operator uses in `text` (any number of statements); text that does not parse holds none."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    if not _WORTH_PARSING.search(text) or not _STATEMENT.search(text):
        return []
    try:
        statements = parse_sql(NON_ASCII.sub("x", text))
    except ParseError:
        return []
    found: list[Use] = []
    for raw in statements:
        for relations, where, roots in _scopes(raw.stmt):
            terms = _where_terms(where)
            for root in roots:
                found += _operator_uses(root, relations, terms, source)
    return found


# -- walking the parse tree ----------------------------------------------------------------------


def _scopes(stmt: Any) -> Iterator[tuple[tuple[Relation, ...], Any, list[Any]]]:
    """Each SELECT / UPDATE / DELETE in the tree: its relations, its WHERE, and the parts to search for operators."""
    from pglast import ast as nodes

    stack = [stmt]
    while stack:
        node = stack.pop()
        stack.extend(children(node))
        if isinstance(node, nodes.SelectStmt):
            relations = _relations(node.fromClause or ())
            roots = [node.whereClause, *(node.sortClause or ()), *(node.targetList or ()), node.havingClause]
        elif isinstance(node, nodes.UpdateStmt | nodes.DeleteStmt):
            extra = node.fromClause if isinstance(node, nodes.UpdateStmt) else node.usingClause
            relations = _relations((node.relation, *(extra or ())))
            roots = [node.whereClause]
        else:
            continue
        yield relations, node.whereClause, [r for r in roots if r is not None]


def _relations(items: Iterable[Any]) -> tuple[Relation, ...]:
    from pglast import ast as nodes

    found: list[Relation] = []
    for item in items:
        if isinstance(item, nodes.RangeVar):
            found.append(Relation(item.schemaname, str(item.relname), item.alias.aliasname if item.alias else None))
        elif isinstance(item, nodes.JoinExpr):
            found += _relations((item.larg, item.rarg))
    return tuple(found)


def _operator_uses(root: Any, relations: tuple[Relation, ...], where: frozenset[str], source: str) -> list[Use]:
    """Operator expressions under `root`, not descending into nested statements (they are scopes of their own)."""
    from pglast import ast as nodes

    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.SelectStmt) and node is not root:
            continue
        stack.extend(children(node))
        if not isinstance(node, nodes.A_Expr) or not node.name or len(node.name) != 1:
            continue
        operator = getattr(node.name[0], "sval", None)
        if operator not in OPERATORS:
            continue
        for side, other in ((node.lexpr, "left"), (node.rexpr, "right")):
            column, cast = _column(side)
            if column is None or (other == "right" and operator in _LEFT_ONLY):
                continue
            seen_as = _FLIPPED.get(operator, operator) if other == "right" else operator
            qualifier, name = column
            found.append(Use(seen_as, name, qualifier, relations, where, cast, source))
    return found


def _column(node: Any) -> tuple[tuple[str | None, str] | None, str | None]:
    """A column reference (maybe cast): ((qualifier, name), cast type) or (None, None)."""
    from pglast import ast as nodes

    cast = None
    if isinstance(node, nodes.TypeCast):
        cast = node.typeName.names[-1].sval if node.typeName and node.typeName.names else None
        node = node.arg
    if not isinstance(node, nodes.ColumnRef) or not node.fields:
        return None, None
    if not all(hasattr(f, "sval") for f in node.fields):
        return None, None  # `t.*`
    names = [str(f.sval) for f in node.fields]
    qualifier = names[-2] if len(names) >= 2 else None
    return (qualifier, names[-1]), str(cast) if cast else None


def _where_terms(where: Any) -> frozenset[str]:
    if where is None:
        return frozenset()
    return conjuncts(deparse(where))


# -- sources -------------------------------------------------------------------------------------


def _notebook_sql(path: Path) -> Iterator[tuple[str, str]]:
    """(statement text, where) for each SQL text of a notebook's code cells."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        where = f"{path.name} cell {number}"
        lines = source.splitlines()
        if lines and lines[0].lstrip().startswith("%%sql"):
            yield _magic("\n".join(lines[1:])), where
            continue
        python = []
        for line in lines:
            stripped = line.lstrip()
            if stripped.startswith("%sql "):
                yield _magic(re.sub(r"^(\s*--?\w[\w-]*(\s+\w+)?)*\s*", "", stripped[5:])), where
            python.append("" if stripped.startswith(("%", "!")) else line)
        try:
            tree = ast.parse("\n".join(python))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield for_parser(node.value, True), where


def _magic(text: str) -> str:
    """A `%sql` text as the server sees it: `:name` binds become `$n`."""
    query, names = named_binds(text)
    return for_parser(query, bool(names))


def _statements(db: Database) -> tuple[list[str], str]:
    installed = next((e for e in catalog.extensions(db) if e.name == "pg_stat_statements"), None)
    if installed is None:
        return [], "pg_stat_statements: not installed in this database"
    query = sql.SQL("SELECT query FROM {}.pg_stat_statements WHERE query ~ %s").format(sql.Identifier(installed.schema))
    try:
        with db.reading() as reader:
            rows = reader.query(query, [_STATEMENTS_PATTERN]).rows
    except QueryError as exc:  # installed but not in shared_preload_libraries, or not readable by this role
        return [], f"pg_stat_statements: installed but not readable ({exc})"
    return [row[0] for row in rows if row[0]], f"pg_stat_statements: {len(rows)} statement(s)"
