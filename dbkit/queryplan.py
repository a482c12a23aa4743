"""Query plans a person can read: EXPLAIN (ANALYZE, BUFFERS) as an indented tree, the slowest node marked.

`explain_plan()` runs a read through the read-only path (so ANALYZE, which executes the statement, can only
read). A writing statement is analyzed only when asked (`rollback=True`), as the kit's own role inside a
transaction that is rolled back, and the plan says so.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from .db import database
from .errors import UsageError, database_error

__all__ = ["Node", "Plan", "explain_plan"]

_VECTOR_LITERAL = re.compile(r"'\[([^\]']{200,})\]'")


@dataclass
class Node:
    """One node of a plan, its times in milliseconds (totals over all loops)."""

    kind: str
    relation: str = ""
    index: str = ""
    detail: str = ""  # the condition, filter or sort key that explains it
    rows: float | None = None  # actual rows (per loop × loops)
    estimated_rows: float | None = None
    loops: int = 1
    total_ms: float | None = None
    self_ms: float | None = None
    shared_hit: int = 0
    shared_read: int = 0
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def target(self) -> str:
        return " ".join(filter(None, (self.index, self.relation)))

    def label(self) -> str:
        """As PostgreSQL words it: `Index Scan using idx on t`, `Seq Scan on t`, `Bitmap Index Scan on idx`."""
        if self.index and self.relation:
            head = f"{self.kind} using {self.index} on {self.relation}"
        elif self.index or self.relation:
            head = f"{self.kind} on {self.index or self.relation}"
        else:
            head = self.kind
        facts = []
        if self.rows is not None:
            facts.append(
                f"rows {self.rows:,.0f}" + (f" (est. {self.estimated_rows:,.0f})" if self.estimated_rows is not None else "")
            )
        elif self.estimated_rows is not None:
            facts.append(f"est. rows {self.estimated_rows:,.0f}")
        if self.loops > 1:
            facts.append(f"{self.loops:,} loops")
        if self.total_ms is not None:
            facts.append(f"{self.total_ms:,.3f} ms")
        if self.shared_hit or self.shared_read:
            facts.append(f"buffers hit {self.shared_hit:,}" + (f" read {self.shared_read:,}" if self.shared_read else ""))
        return head + (f"  ({', '.join(facts)})" if facts else "")


@dataclass(repr=False)
class Plan:
    """A parsed plan: its root node, timings, and whether it ran (ANALYZE) or was rolled back."""

    root: Node
    analyzed: bool
    planning_ms: float | None = None
    execution_ms: float | None = None
    rolled_back: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes(self) -> list[Node]:
        return list(self.root.walk())

    @property
    def slowest(self) -> Node | None:
        """The node that spent the most time itself (its total minus its children's); None without ANALYZE."""
        timed = [n for n in self.nodes if n.self_ms is not None]
        return max(timed, key=lambda n: n.self_ms or 0.0) if timed else None

    def uses(self, name: str) -> bool:
        """Whether any node scans or uses `name` (an index or a table)."""
        return any(name in f"{n.target} {n.detail}" for n in self.nodes)

    def text(self) -> str:
        lines = [self._summary()]
        slowest = self.slowest

        def draw(node: Node, prefix: str, last: bool, top: bool) -> None:
            mark = "  ◀ slowest" if node is slowest and len(self.nodes) > 1 else ""
            joint = "" if top else ("└─ " if last else "├─ ")
            lines.append(f"{prefix}{joint}{node.label()}{mark}")
            if node.detail:
                lines.append(f"{prefix}{'' if top else ('   ' if last else '│  ')}   {node.detail}")
            for i, child in enumerate(node.children):
                draw(child, prefix + ("" if top else ("   " if last else "│  ")), i == len(node.children) - 1, False)

        draw(self.root, "", True, True)
        return "\n".join(lines)

    def _summary(self) -> str:
        if not self.analyzed:
            return "estimated plan (EXPLAIN, not run)"
        parts = [f"execution {self.execution_ms:,.3f} ms", f"planning {self.planning_ms:,.3f} ms"]
        if self.rolled_back:
            parts.append("ran in a transaction that was rolled back: nothing changed")
        slowest = self.slowest
        if slowest and len(self.nodes) > 1:
            parts.append(f"slowest node: {slowest.kind} ({slowest.self_ms:,.3f} ms of its own)")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.text()

    __repr__ = __str__  # what a notebook shows as text/plain: the tree, not the dataclass

    def _repr_html_(self) -> str:
        slowest = self.slowest.label() if self.slowest and len(self.nodes) > 1 else None
        lines = []
        for line in self.text().splitlines():
            escaped = html.escape(line)
            if slowest and html.escape(slowest) in escaped and "◀ slowest" in line:
                escaped = f'<b style="color:#b3261e">{escaped}</b>'
            lines.append(escaped)
        return '<pre style="white-space:pre;overflow-x:auto">' + "\n".join(lines) + "</pre>"


def explain_plan(
    statement: str | sql.Composable,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    url: Any = None,
    analyze: bool = True,
    buffers: bool = True,
    settings: dict[str, str] | None = None,
    rollback: bool = False,
) -> Plan:
    """The plan of one statement; with `analyze` (the default) it runs, read-only, and times each node."""
    from .sqltext import SqlSyntaxError, for_parser, one_read, split

    options = ["FORMAT JSON"] + (["ANALYZE", "BUFFERS" if buffers else "BUFFERS OFF"] if analyze else [])
    prefix = f"EXPLAIN ({', '.join(options)}) "
    db = database(url)
    if not rollback:
        with db.reading(settings) as reader:
            text = statement if isinstance(statement, str) else statement.as_string(reader.conn)
            one_read(text, has_params=params is not None)
            rows = reader.query(prefix + text, params).rows
        return parse(rows[0][0], analyzed=analyze)
    import psycopg

    with db.connect(application_name="dbkit plan") as conn:
        text = statement if isinstance(statement, str) else statement.as_string(conn)
        try:
            parsed = split(for_parser(text, params is not None))
        except SqlSyntaxError as exc:
            raise UsageError(f"SQLSTATE 42601 (SyntaxError): {exc.message} (line {exc.line})") from None
        if len(parsed) != 1 or parsed[0].kind == "TransactionStmt":
            raise UsageError("a plan is of exactly one statement; pass one per call")
        try:
            with conn.transaction(force_rollback=True):
                for name, value in (settings or {}).items():
                    conn.execute("SELECT set_config(%s, %s, true)", (name, str(value)))
                row = conn.execute(prefix + text, params).fetchone()
        except psycopg.Error as exc:
            raise database_error(exc) from None
    assert row is not None
    return parse(row[0], analyzed=analyze, rolled_back=True)


def parse(document: Any, *, analyzed: bool, rolled_back: bool = False) -> Plan:
    """A plan from EXPLAIN's JSON (a list holding one object, as PostgreSQL returns it)."""
    data = json.loads(document) if isinstance(document, str) else document
    top = data[0] if isinstance(data, list) else data
    root = _node(top["Plan"])
    _self_times(root)
    return Plan(root, analyzed, top.get("Planning Time"), top.get("Execution Time"), rolled_back, top)


def _node(raw: dict[str, Any]) -> Node:
    kind = raw.get("Node Type", "?") + (" Backward" if raw.get("Scan Direction") == "Backward" else "")
    kind = (
        {"Hashed": "HashAggregate", "Sorted": "GroupAggregate", "Mixed": "MixedAggregate"}.get(raw.get("Strategy", ""), kind)
        if kind == "Aggregate"
        else kind
    )
    relation = raw.get("Relation Name", "")
    if relation and raw.get("Alias") and raw["Alias"] != relation:
        relation += f" {raw['Alias']}"
    detail_keys = ("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Filter", "Order By", "Sort Key")
    details = []
    for key in detail_keys:
        if raw.get(key):
            value = raw[key] if isinstance(raw[key], str) else ", ".join(raw[key])
            details.append(f"{key}: {_VECTOR_LITERAL.sub(_shorten, value)}")
    if raw.get("Rows Removed by Filter"):
        details.append(f"rows removed by filter: {raw['Rows Removed by Filter']:,}")
    loops = int(raw.get("Actual Loops") or 1)
    total = raw.get("Actual Total Time")
    node = Node(
        kind=kind,
        relation=relation,
        index=raw.get("Index Name", ""),
        detail="; ".join(details),
        rows=raw["Actual Rows"] * loops if "Actual Rows" in raw else None,
        estimated_rows=raw.get("Plan Rows"),
        loops=loops,
        total_ms=total * loops if total is not None else None,
        shared_hit=int(raw.get("Shared Hit Blocks") or 0),
        shared_read=int(raw.get("Shared Read Blocks") or 0),
    )
    node.children = [_node(child) for child in raw.get("Plans", [])]
    return node


def _self_times(node: Node) -> None:
    for child in node.children:
        _self_times(child)
    if node.total_ms is not None:
        below = sum(c.total_ms or 0.0 for c in node.children)
        node.self_ms = max(node.total_ms - below, 0.0)


def _shorten(match: re.Match[str]) -> str:
    return f"'[…{match.group(1).count(',') + 1} values…]'"
