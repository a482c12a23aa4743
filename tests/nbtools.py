"""What the notebook tests share: find a cell by its tag (cells are addressed by tag, never by index)."""

from __future__ import annotations

from pathlib import Path

import nbformat


def outputs(tb, tag: str) -> list:
    """The outputs of the one executed cell tagged `tag`."""
    cells = [c for c in tb.nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return cells[0].outputs


def source(notebook: Path, tag: str) -> str:
    """The source of the first cell tagged `tag` in the notebook as committed."""
    return next(c.source for c in nbformat.read(notebook, as_version=4).cells if tag in c.metadata.get("tags", []))


def check_diagram(tb, tables) -> str:
    """The `diagram` cell showed Mermaid inline and an SVG, naming every table; returns the Mermaid text."""
    markup = tb.ref("markup")
    assert markup.startswith("erDiagram")
    assert all(f"{table} {{" in markup for table in tables)
    data = [output.get("data", {}) for output in outputs(tb, "diagram")]
    assert any("erDiagram" in d.get("text/vnd.mermaid", "") for d in data)
    assert any("image/svg+xml" in d for d in data)
    return markup


def check_every_table_walked(tb, notebook: Path, schema: str, tables) -> None:
    """Each table has a `describe-<table>` cell that showed it and a `query-<table>` cell that queried it."""
    for table in tables:
        shown = "".join(o["data"].get("text/markdown", "") for o in outputs(tb, f"describe-{table}") if "data" in o)
        assert f"**{schema}.{table}**" in shown
        assert f"{schema}.{table}" in source(notebook, f"query-{table}")
        assert len(outputs(tb, f"query-{table}")) > 0
