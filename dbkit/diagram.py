"""ER diagrams of a live schema, drawn from the catalog: Mermaid (inline in JupyterLab, GitHub, nbconvert) and SVG/PNG.

What a diagram says is what the catalog says: each table once, under its own name, with its real
types (`timestamptz`, `text[]`, `vector(384)`) in column order, PK / FK / UK markers and NOT NULL;
each foreign key one edge labelled with its column(s), its cardinality read from the constraint
(the parent side is exactly one when the columns are NOT NULL, zero or one otherwise; the child side
is zero or one when the columns are unique, zero or many otherwise), drawn solid when the key is part
of the child's primary key (identifying) and dotted otherwise.

Big schemas stay readable: `show()` draws a schema of more than `PART_SIZE` tables in parts (its
connected groups of tables, lone tables a few at a time), and keeps only key columns in large parts;
`around=` focuses on one table and its neighbours.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import catalog
from .catalog import ForeignKey, Schema, Table
from .errors import NotFoundError, UsageError

__all__ = ["PART_SIZE", "image", "key_markers", "mermaid", "mermaid_of", "neighbourhood", "parts", "parts_of", "save", "show"]

PART_SIZE = 8  # tables per diagram before a schema is drawn in parts
_FULL_COLUMNS_UP_TO = 6  # tables in one diagram that still show every column; larger ones show keys only
_LONE_PER_DIAGRAM = 4  # unconnected tables side by side in one diagram
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def mermaid(schema: str | None, url: Any = None, *, around: str | None = None, depth: int = 1, columns: str = "all") -> str:
    """The schema (or the tables within `depth` foreign keys of `around`) as one Mermaid `erDiagram`."""
    live = catalog.schema(schema, url)
    names = neighbourhood(live, around, depth) if around else None
    return mermaid_of(live, names, columns=columns)


def parts(schema: str | None, url: Any = None, *, columns: str | None = None) -> list[str]:
    """The schema as readable diagrams: one per connected group of tables, lone tables a few at a time."""
    live = catalog.schema(schema, url)
    return [mermaid_of(live, group, columns=columns or _columns_for(group)) for group in _groups(live)]


def show(schema: str | None, url: Any = None, *, around: str | None = None, depth: int = 1, columns: str | None = None,
         svg: bool = False) -> str:  # fmt: skip
    """Display the diagram in a notebook (in parts for a big schema, or focused `around` a table); return its text.

    `svg=True` also shows it rendered by graphviz (for front ends without Mermaid).
    """
    from IPython.display import SVG, Markdown, display

    live = catalog.schema(schema, url)
    if around:
        groups = [neighbourhood(live, around, depth)]
        texts = [mermaid_of(live, groups[0], columns=columns or _columns_for(groups[0]))]
    else:
        drawn = parts_of(live, columns=columns)
        groups, texts = [names for names, _ in drawn], [text for _, text in drawn]
    for n, text in enumerate(texts, 1):
        if len(texts) > 1:
            display(Markdown(f"*Part {n} of {len(texts)}: {', '.join(f'`{t}`' for t in groups[n - 1])}*"))
        # JupyterLab (4.1+) and nbconvert render this MIME type as a diagram; other front ends show the text.
        display({"text/vnd.mermaid": text, "text/plain": text}, raw=True)
    if svg:
        display(SVG(data=_dot(live, None if not around else groups[0], columns or "all").pipe_svg()))
    return "\n".join(texts)


def save(schema: str | None, path: str | Path, url: Any = None, **options: Any) -> Path:
    """Write the diagram to `path`: `.mmd` (Mermaid text), `.md` (a fenced mermaid block), `.svg` or `.png`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".svg", ".png"):
        return image(schema, path, url, **options)
    if suffix not in (".mmd", ".md"):
        raise UsageError(f"{path.name}: pick a .mmd, .md, .svg or .png file name")
    text = mermaid(schema, url, **options)
    path.write_text(f"```mermaid\n{text}```\n" if suffix == ".md" else text, encoding="utf-8")
    return path


def image(schema: str | None, path: str | Path, url: Any = None, *, around: str | None = None, depth: int = 1,
          columns: str = "all") -> Path:  # fmt: skip
    """Render the schema as SVG or PNG (by `path`'s suffix) with graphviz, bundled by pygraphviz's wheel."""
    path = Path(path)
    kind = {".png": "png", ".svg": "svg"}.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"{path.name}: pick a .png or .svg file name")
    live = catalog.schema(schema, url)
    graph = _dot(live, neighbourhood(live, around, depth) if around else None, columns)
    graph.write_image(path, kind)
    return path


def parts_of(live: Schema, *, columns: str | None = None) -> list[tuple[list[str], str]]:
    """What `show()` draws for a whole schema, as (tables, Mermaid text) pairs: one diagram, or parts past `PART_SIZE`.

    Pure, like `mermaid_of`: the data dictionary (`dbkit.docs`) draws the same diagrams as a notebook does.
    """
    groups = _groups(live) if len(live.tables) > PART_SIZE else [sorted(t.name for t in live.tables)]
    return [(group, mermaid_of(live, group, columns=columns or _columns_for(group))) for group in groups]


def neighbourhood(live: Schema, around: str, depth: int = 1) -> list[str]:
    """`around` and the tables within `depth` foreign keys of it (either direction), nearest first."""
    live.table(around)  # NotFoundError names the schema's tables
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise UsageError(f"depth must be a whole number from 0, not {depth!r}")
    links = _links(live)
    seen, frontier = [around], [around]
    for _ in range(depth):
        frontier = [n for t in frontier for n in sorted(links.get(t, ())) if n not in seen]
        frontier = list(dict.fromkeys(frontier))
        seen += frontier
    return seen


def mermaid_of(live: Schema, names: Iterable[str] | None = None, *, columns: str = "all") -> str:
    """A Mermaid erDiagram of some tables of `live` (all by default). Pure: the same records, the same text."""
    if columns not in ("all", "keys"):
        raise UsageError(f"columns must be 'all' or 'keys', not {columns!r}")
    chosen = set(names) if names is not None else {t.name for t in live.tables}
    unknown = chosen - {t.name for t in live.tables}
    if unknown:
        raise NotFoundError(f"schema {live.name} has no table {sorted(unknown)[0]!r}")
    tables = sorted((t for t in live.tables if t.name in chosen), key=lambda t: t.name)
    lines = ["erDiagram"]
    for table in tables:
        lines += _entity(table, columns)
    for table in tables:
        for fk in sorted(table.foreign_keys, key=lambda k: (k.ref_table, k.columns)):
            if fk.ref_table in chosen and (fk.ref_schema or "") == (table.schema or ""):
                lines.append(_edge(table, fk, live.table(fk.ref_table)))
    return "\n".join(lines) + "\n"


# -- Mermaid text --------------------------------------------------------------------------------


def _entity(table: Table, columns: str) -> list[str]:
    keys = key_markers(table)
    shown = [c for c in table.columns if columns == "all" or keys.get(c.name)]
    head = _entity_name(table.name)
    if not shown:
        return [f"    {head}"]
    body = []
    for column in shown:
        markers = ", ".join(keys.get(column.name, []))
        note = ' "NOT NULL"' if not column.nullable and "PK" not in markers else ""
        body.append(f"        {_type(column.type)} {_attribute(column.name)}{' ' + markers if markers else ''}{note}")
    return [f"    {head} {{", *body, "    }"]


def key_markers(table: Table) -> dict[str, list[str]]:
    """PK, FK and UK per column name, in that order (the diagram's markers, the data dictionary's Key column)."""
    markers: dict[str, list[str]] = {}
    for column in table.primary_key:
        markers.setdefault(column, []).append("PK")
    for fk in table.foreign_keys:
        for column in fk.columns:
            if "FK" not in markers.setdefault(column, []):
                markers[column].append("FK")
    for unique in table.unique_sets():
        if unique == table.primary_key:
            continue
        for column in unique:
            if "UK" not in markers.setdefault(column, []):
                markers[column].append("UK")
    return markers


def _edge(child: Table, fk: ForeignKey, parent: Table) -> str:
    nullable = any(child.column(c).nullable for c in fk.columns)
    unique = any(set(u) == set(fk.columns) for u in child.unique_sets())
    identifying = set(fk.columns) <= set(child.primary_key)
    left = "|o" if nullable else "||"
    right = "o|" if unique else "o{"
    line = "--" if identifying else ".."
    label = ", ".join(fk.columns)
    return f'    {_entity_id(parent.name)} {left}{line}{right} {_entity_id(child.name)} : "{label}"'


def _entity_id(name: str) -> str:
    return name if _NAME.match(name) else re.sub(r"[^A-Za-z0-9_]", "_", name)


def _entity_name(name: str) -> str:
    """The entity as declared: its id, with the real name as a label where the id had to change."""
    safe = _entity_id(name)
    return safe if safe == name else f'{safe}["{name.replace(chr(34), "")}"]'


def _type(name: str) -> str:
    # Mermaid's attribute types allow letters, digits, _ - [ ] ( ): `numeric(4,3)` becomes `numeric(4-3)`.
    return re.sub(r"[^A-Za-z0-9_\-\[\]()]", "", name.replace(",", "-").replace(" ", "_")) or "unknown"


def _attribute(name: str) -> str:
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", name) else re.sub(r"[^A-Za-z0-9_]", "_", name)


# -- grouping ------------------------------------------------------------------------------------


def _links(live: Schema) -> dict[str, set[str]]:
    links: dict[str, set[str]] = {}
    names = {t.name for t in live.tables}
    for table in live.tables:
        for fk in table.foreign_keys:
            if fk.ref_table in names and fk.ref_table != table.name:
                links.setdefault(table.name, set()).add(fk.ref_table)
                links.setdefault(fk.ref_table, set()).add(table.name)
    return links


def _groups(live: Schema) -> list[list[str]]:
    """Connected groups of tables (largest first), then lone tables a few per diagram."""
    links = _links(live)
    seen: set[str] = set()
    groups: list[list[str]] = []
    lone: list[list[str]] = []
    for table in sorted(t.name for t in live.tables):
        if table in seen:
            continue
        group, stack = [], [table]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            group.append(name)
            stack.extend(sorted(links.get(name, ())))
        (groups if len(group) > 1 else lone).append(sorted(group))
    groups.sort(key=lambda g: (-len(g), g))
    flat = [name for g in lone for name in g]
    return groups + [flat[i : i + _LONE_PER_DIAGRAM] for i in range(0, len(flat), _LONE_PER_DIAGRAM)]


def _columns_for(group: list[str]) -> str:
    return "all" if len(group) <= _FULL_COLUMNS_UP_TO else "keys"


# -- graphviz ------------------------------------------------------------------------------------


def _dot(live: Schema, names: list[str] | None, columns: str) -> Any:
    """The same diagram as a graphviz graph (HTML-like labels: name, then each column with its type)."""
    import html

    import pygraphviz

    chosen = set(names) if names is not None else {t.name for t in live.tables}
    graph = pygraphviz.AGraph(directed=True, rankdir="LR", fontname="Helvetica")
    graph.node_attr.update(shape="plaintext", fontname="Helvetica", fontsize="10")
    graph.edge_attr.update(fontname="Helvetica", fontsize="9", arrowhead="crow", arrowtail="tee", dir="both")
    for table in sorted((t for t in live.tables if t.name in chosen), key=lambda t: t.name):
        keys = key_markers(table)
        rows = [f'<TR><TD BGCOLOR="#dde6f0" COLSPAN="2"><B>{html.escape(table.name)}</B></TD></TR>']
        for column in table.columns:
            if columns == "keys" and not keys.get(column.name):
                continue
            key = keys.get(column.name, [])
            mark = (" ".join(key) + ("" if column.nullable or "PK" in key else " NN")).strip()
            marks = f" <I>{html.escape(mark)}</I>" if mark else ""
            rows.append(f'<TR><TD ALIGN="LEFT">{html.escape(column.name)}{marks}</TD>'
                        f'<TD ALIGN="LEFT">{html.escape(column.type)}</TD></TR>')  # fmt: skip
        label = '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">' + "".join(rows) + "</TABLE>>"
        graph.add_node(table.name, label=label)
    for table in live.tables:
        for fk in table.foreign_keys:
            if table.name in chosen and fk.ref_table in chosen:
                graph.add_edge(fk.ref_table, table.name, label=", ".join(fk.columns))
    with _quiet_stderr():
        graph.layout(prog="dot")
    return _Rendered(graph)


class _Rendered:
    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def pipe_svg(self) -> str:
        with _quiet_stderr():
            data = self.graph.draw(format="svg")
        return data.decode() if isinstance(data, bytes) else data

    def write_image(self, path: Path, kind: str) -> None:
        with _quiet_stderr():
            self.graph.draw(str(path), format=kind)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """graphviz's fontconfig complains about Debian's config on fd 2: not the reader's concern."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
