"""Expressions as PostgreSQL's own parser sees them (pglast): walked, split into AND-ed terms, compared.

The rules compare a partial index's predicate with a query's WHERE, read which columns a policy filters on, and
find the current_setting() calls in a policy: always on the parse tree, never on the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["NON_ASCII", "children", "conjuncts", "deparse", "parse_expression", "walk"]

NON_ASCII = re.compile(r"[^\x00-\x7f]")  # libpg_query counts bytes: same length, ASCII only


def conjuncts(expression: str | None) -> frozenset[str]:
    """The AND-ed terms of a boolean expression, without casts or table qualifiers, lower case.

    `status::text = 'active'::text AND deleted_at IS NULL` (an index predicate as the server prints it)
    and `m.status = 'active' AND m.deleted_at IS NULL` (a query's WHERE) give the same set, so a query
    that repeats a partial index's predicate can be recognised.
    """
    if not expression:
        return frozenset()
    where = parse_expression(expression)
    if where is None:
        return frozenset({" ".join(expression.lower().split())})
    return frozenset(deparse(_bare(term)).lower() for term in _and_terms(where))


def parse_expression(expression: str | None) -> Any:
    """A boolean expression (a policy's USING, an index's WHERE) as pglast's parse tree; None if it does not parse."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    if not expression:
        return None
    try:
        statement: Any = parse_sql(f"SELECT 1 WHERE {NON_ASCII.sub('x', expression)}")[0].stmt
    except ParseError:
        return None
    return statement.whereClause


def walk(node: Any) -> Iterator[Any]:
    """`node` and every node below it, parents before children."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def children(node: Any) -> Iterator[Any]:
    from pglast.ast import Node

    for name in type(node).__slots__:
        value = getattr(node, name, None)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple | list):
            yield from (v for v in value if isinstance(v, Node))


def _and_terms(node: Any) -> list[Any]:
    from pglast import ast as nodes
    from pglast.enums import BoolExprType

    if isinstance(node, nodes.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return [term for arg in node.args or () for term in _and_terms(arg)]
    return [node]


def _bare(node: Any) -> Any:
    """The expression without casts and with unqualified column names (in place: it is a fresh parse)."""
    from pglast import ast as nodes
    from pglast.ast import Node

    def strip(value: Any) -> Any:
        while isinstance(value, nodes.TypeCast):
            value = value.arg
        if isinstance(value, nodes.ColumnRef) and value.fields and len(value.fields) > 1:
            value.fields = value.fields[-1:]
        return value

    node = strip(node)
    stack = [node]
    while stack:
        current = stack.pop()
        for name in type(current).__slots__:
            value = getattr(current, name, None)
            if isinstance(value, Node):
                setattr(current, name, strip(value))
            elif isinstance(value, tuple) and any(isinstance(v, Node) for v in value):
                setattr(current, name, tuple(strip(v) if isinstance(v, Node) else v for v in value))
        stack.extend(children(current))
    return node


def deparse(node: Any) -> str:
    from pglast.stream import RawStream

    return " ".join(str(RawStream()(node)).split())
