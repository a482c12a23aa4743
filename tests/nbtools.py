"""What the notebook tests share: run a notebook on a database of its own, find a cell by its tag.

Cells are addressed by tag, never by index. `executed(notebook, url)` runs the whole notebook in a real
kernel with DATABASE_URL pointing at `url` (a module's clone of the seeded template), so a notebook seeds
nothing (`if_needed`) and writes only to its own copy.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
from testbook import testbook

# What this process executed: notebook -> (code cells, code cells that ran). The conftest checks it when a
# notebook's test module ends, so a module that tests a notebook without running all of it fails.
EXECUTED: dict[Path, tuple[int, int]] = {}


@contextlib.contextmanager
def executed(notebook: Path, url: str, *, timeout: int = 180) -> Iterator:
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url  # the kernel inherits the environment when it starts
    try:
        # immediate: the notebook is done, and a graceful shutdown waited 0.3 s per kernel for nothing
        with testbook(notebook, execute=True, timeout=timeout, shutdown_kernel="immediate") as tb:
            code = [c for c in tb.nb.cells if c.cell_type == "code"]
            EXECUTED[Path(notebook).resolve()] = (len(code), sum(1 for c in code if c.get("execution_count")))
            yield tb
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


def outputs(tb, tag: str) -> list:
    """The outputs of the one executed cell tagged `tag`."""
    cells = [c for c in tb.nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return cells[0].outputs


def source(notebook: Path, tag: str) -> str:
    """The source of the first cell tagged `tag` in the notebook as committed."""
    return next(c.source for c in nbformat.read(notebook, as_version=4).cells if tag in c.metadata.get("tags", []))


def check_diagram(tb, tables) -> str:
    """The `diagram` cell showed Mermaid inline (one or more parts), naming every table once; returns the text."""
    markup = tb.ref("markup")
    assert markup.startswith("erDiagram")
    entities = re.findall(r"^    (\w+)(?: \{)?$", markup, re.M)
    assert sorted(entities) == sorted(tables), entities  # every table, each once (parts do not repeat one)
    data = [output.get("data", {}) for output in outputs(tb, "diagram")]
    mermaid = [d["text/vnd.mermaid"] for d in data if "text/vnd.mermaid" in d]
    assert mermaid and all(text.startswith("erDiagram") for text in mermaid)
    assert not any("image/svg+xml" in d for d in data), "one diagram per cell: the SVG only on request"
    return markup


def check_every_table_walked(tb, notebook: Path, schema: str, tables) -> None:
    """Each table has a `describe-<table>` cell that showed it and a `query-<table>` cell that queried it."""
    for table in tables:
        shown = "".join(o["data"].get("text/markdown", "") for o in outputs(tb, f"describe-{table}") if "data" in o)
        assert f"**{schema}.{table}**" in shown
        assert f"{schema}.{table}" in source(notebook, f"query-{table}")
        assert len(outputs(tb, f"query-{table}")) > 0


def check_plot(tb, tag: str, figures: int = 1) -> None:
    """The cell tagged `tag` drew `figures` matplotlib figure(s), as PNG, and wrote no error or warning."""
    shown = outputs(tb, tag)
    pngs = [o for o in shown if "image/png" in o.get("data", {})]
    assert len(pngs) == figures, f"{tag}: {len(pngs)} figure(s)"
    assert all(len(o["data"]["image/png"]) > 5_000 for o in pngs)  # a drawn chart, not an empty canvas
    assert not [o for o in shown if o.get("output_type") == "error" or o.get("name") == "stderr"], shown
