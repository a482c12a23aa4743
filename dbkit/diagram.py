"""ER diagrams of a live schema: Mermaid text (renders inline in JupyterLab) and PNG/SVG, via eralchemy."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from .url import Resolved, resolve, sqlalchemy_url

__all__ = ["mermaid", "image", "show"]


def mermaid(schema: str, url: str | Resolved | None = None, *, sort_mode: str = "original") -> str:
    """The schema's tables, columns (PK/FK) and foreign keys as a Mermaid `erDiagram`, read from the database."""
    from eralchemy import render_er

    metadata = _reflect(schema, resolve(url))
    raw = render_er(metadata, None, mode="mermaid_er", sort_mode=sort_mode)
    text = raw.decode() if isinstance(raw, bytes) else raw
    # eralchemy wraps the markup in an HTML comment followed by a link to an online renderer: keep the markup.
    markup = text.split("<!--", 1)[1].split("-->", 1)[0].strip()
    for table in metadata.tables.values():  # entities are named `schema_table`: one schema, so drop it
        markup = re.sub(rf"\b{re.escape(schema)}_{re.escape(table.name)}\b", table.name, markup)
    markup = re.sub(r"\b(\w+)\((\d+),_(\d+)\)", r"\1(\2-\3)", markup)  # NUMERIC(10,_2): a comma breaks Mermaid
    return markup


def image(schema: str, path: str | Path, url: str | Resolved | None = None) -> Path:
    """Render the schema as PNG or SVG (by `path`'s suffix) with graphviz, bundled by pygraphviz's wheel."""
    from eralchemy import render_er

    path = Path(path)
    mode = {".png": "graph", ".svg": "graph_svg"}.get(path.suffix.lower())
    if mode is None:
        raise ValueError(f"{path.name}: pick a .png or .svg file name")
    metadata = _reflect(schema, resolve(url))
    with _quiet_stderr():  # graphviz's fontconfig complains about Debian's config on fd 2: not the reader's concern
        render_er(metadata, str(path), mode=mode)
    return path


def show(schema: str, url: str | Resolved | None = None, *, svg: bool = True):
    """Display the Mermaid diagram (and the SVG) in a notebook; return the Mermaid text."""
    from IPython.display import SVG, display

    markup = mermaid(schema, url)
    # JupyterLab (4.1+) and nbconvert render this MIME type as a diagram; other front ends show the text.
    display({"text/vnd.mermaid": markup, "text/plain": markup}, raw=True)
    if svg:
        with tempfile.TemporaryDirectory() as folder:
            display(SVG(filename=str(image(schema, Path(folder) / f"{schema}.svg", url))))
    return markup


def _reflect(schema: str, target: Resolved):
    """The live schema as SQLAlchemy metadata (reflected here, so the engine is disposed of)."""
    import pgvector.sqlalchemy  # noqa: F401  registers `vector` so reflection knows the type
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(target.url if target.is_sqlite else sqlalchemy_url(target.url))
    try:
        metadata = MetaData()
        kit_ledger = ("dbkit_schema_migrations",)  # SQLite keeps the runner's ledger beside the schema's tables
        metadata.reflect(engine, schema=None if target.is_sqlite else schema, only=lambda name, _: name not in kit_ledger)
        return metadata
    finally:
        engine.dispose()


@contextlib.contextmanager
def _quiet_stderr():
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
