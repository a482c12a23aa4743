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
