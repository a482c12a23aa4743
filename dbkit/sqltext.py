"""SQL text as PostgreSQL's own parser sees it (pglast wraps libpg_query): split, classify, locate.

The migration runner and the read-only helpers both ask this module what a piece of SQL *is*: how many
statements, of which kinds, starting on which line. A regex or a generic SQL tokenizer guesses; the
server's grammar does not (dollar quotes, nested comments, `BEGIN ATOMIC` bodies, E'' strings).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from .errors import ReadOnlyError

__all__ = [
    "READ_KINDS",
    "SqlSyntaxError",
    "Statement",
    "for_parser",
    "functions_called",
    "named_binds",
    "one_read",
    "quote_identifier",
    "split",
    "transaction_control",
]

# What a read may be: a query, EXPLAIN of one, SHOW. Everything else (COPY, CALL, DO, SET, DDL, DML) is not.
READ_KINDS = ("SelectStmt", "ExplainStmt", "VariableShowStmt")
# psycopg's placeholders (`%s`, `%b`, `%t`, `%(name)s`) and its escaped percent (`%%`).
_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\)[sbt]|[sbt]|(?P<percent>%))")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class Statement:
    """One statement of a source text: exactly the text that runs, where it starts, what it is."""

    text: str
    start: int  # character offset in the source
    line: int  # 1-based line of its first character (leading comments are not part of it)
    kind: str  # the parse node's name: CreateStmt, TransactionStmt, SelectStmt...

    def line_at(self, position: int) -> int:
        """The source line of a 1-based character position inside the statement (PostgreSQL's diag)."""
        return self.line + self.text.count("\n", 0, max(position - 1, 0)) if position else self.line


class SqlSyntaxError(ValueError):
    """The text does not parse; `.line` is where, `.message` the parser's words."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


def split(source: str) -> list[Statement]:
    """Every statement of `source`, in order (comment-only text yields none). Raises SqlSyntaxError."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    # libpg_query counts bytes; pglast's offsets drift on non-ASCII text. Same length, ASCII only: exact.
    ascii_source = _NON_ASCII.sub("x", source)
    try:
        raw = parse_sql(ascii_source)
    except ParseError as exc:
        message, location = exc.args[0], exc.args[1] if len(exc.args) > 1 else 0
        raise SqlSyntaxError(message, source.count("\n", 0, max(location, 0)) + 1) from None
    found = []
    for node in raw:
        start = node.stmt_location or 0
        end = start + node.stmt_len if node.stmt_len else len(source)
        text = source[start:end].strip()
        start += len(source[start:end]) - len(source[start:end].lstrip())
        found.append(Statement(text, start, source.count("\n", 0, start) + 1, type(node.stmt).__name__))
    return found


def transaction_control(statements: list[Statement]) -> list[Statement]:
    """The statements that begin, end or split a transaction (BEGIN, COMMIT, ROLLBACK, END, SAVEPOINT...)."""
    return [s for s in statements if s.kind == "TransactionStmt"]


def for_parser(query: str, has_params: bool) -> str:
    """The query as the server will see it: psycopg turns `%s` / `%(name)s` into `$n` only when params are given."""
    if not has_params:
        return query
    names: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        if match["percent"]:
            return "%"
        key = match["name"] or f"#{len(names)}"
        return f"${names.setdefault(key, len(names) + 1)}"

    return _PLACEHOLDER.sub(replace, query)


def named_binds(query: str) -> tuple[str, list[str]]:
    """`:name` placeholders (SQLAlchemy's and JupySQL's) as psycopg's `%(name)s`, and the names, in order.

    PostgreSQL's scanner tells a bind from a cast (`x::text`), a string (`':not_a_bind'`), a dollar-quoted
    body or a comment. Literal `%` signs are doubled, as psycopg needs once parameters are passed.
    """
    from pglast.parser import scan

    ascii_query = _NON_ASCII.sub("x", query)
    tokens = scan(ascii_query)
    binds: dict[int, tuple[int, str]] = {}  # start of ':' -> (end of name, name)
    for colon, word in itertools.pairwise(tokens):
        name = query[word.start : word.end + 1]
        if colon.name == "ASCII_58" and word.start == colon.end + 1 and re.fullmatch(r"[A-Za-z_]\w*", name):
            binds[colon.start] = (word.end + 1, name)
    if not binds:
        return query, []
    out, names, i = [], [], 0
    while i < len(query):
        if i in binds:
            end, name = binds[i]
            out.append(f"%({name})s")
            names.append(name)
            i = end
        else:
            out.append("%%" if query[i] == "%" else query[i])
            i += 1
    return "".join(out), names


def one_read(query: str, *, has_params: bool) -> Statement:
    """The single read-only statement `query` holds; ReadOnlyError, before anything is sent, otherwise."""
    return _one_read(query, has_params)


# The verdict depends on the text alone, and the kit's own catalog queries come back on every call: parsing
# them with pglast each time was a third of what reading a schema cost. Refusals are not cached (they raise).
@functools.lru_cache(maxsize=1024)
def _one_read(query: str, has_params: bool) -> Statement:
    try:
        statements = split(for_parser(query, has_params))
    except SqlSyntaxError as exc:
        raise ReadOnlyError(f"SQLSTATE 42601 (SyntaxError): {exc.message} (line {exc.line})", sqlstate="42601") from None
    if len(statements) != 1:
        what = "no statement" if not statements else f"{len(statements)} statements"
        raise ReadOnlyError(
            f"the text holds {what}; read-only helpers run exactly one: pass one statement per call", sqlstate="42601"
        )
    statement = statements[0]
    writes: str | None = (
        "SELECT ... INTO (it creates a table)" if statement.kind == "SelectStmt" and _selects_into(statement) else None
    )
    if statement.kind not in READ_KINDS or writes:
        raise ReadOnlyError(
            f"{writes or _describe(statement)} is not a read; the read-only helpers run SELECT, WITH, VALUES, TABLE, "
            "EXPLAIN and SHOW: use dbkit.explore.write() (or %%sql --write) to change data",
            sqlstate="25006",
        )
    return statement


def functions_called(query: str) -> set[str]:
    """The names (lower case, without schema) of the functions a statement calls anywhere in its tree."""
    from pglast import parse_sql
    from pglast.visitors import Visitor

    class _Calls(Visitor):
        def __init__(self) -> None:
            self.names: set[str] = set()

        def visit_FuncCall(self, ancestors: object, node: object) -> None:
            self.names.add(node.funcname[-1].sval.lower())  # type: ignore[attr-defined]

    calls = _Calls()
    calls(parse_sql(_NON_ASCII.sub("x", query)))
    return calls.names


def quote_identifier(name: str) -> str:
    """An identifier as PostgreSQL prints one (`quote_ident()`): bare when it may be, double-quoted otherwise.

    For SQL a person reads (generated notebooks, diffs that match the server's own output); statements the
    kit runs compose identifiers with `psycopg.sql.Identifier`.
    """
    if _BARE.fullmatch(name) and name not in _quoted_keywords():
        return name
    return '"' + name.replace('"', '""') + '"'


_BARE = re.compile(r"[a-z_][a-z0-9_]*")  # as ruleutils.c: a `$` or any non-ASCII letter is quoted


@functools.cache
def _quoted_keywords() -> frozenset[str]:
    """Every keyword but the unreserved ones: quote_ident() quotes those (pglast is loaded on first use)."""
    from pglast import keywords

    return frozenset(keywords.RESERVED_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS | keywords.COL_NAME_KEYWORDS)


def _selects_into(statement: Statement) -> bool:
    # SELECT ... INTO new_table creates a table: a SelectStmt by grammar, a write by effect.
    from pglast import parse_sql

    node = parse_sql(_NON_ASCII.sub("x", statement.text))[0].stmt
    return getattr(node, "intoClause", None) is not None


def _describe(statement: Statement) -> str:
    words = re.findall(r"[A-Za-z]+", statement.text[:40])
    return words[0].upper() if words else statement.kind
