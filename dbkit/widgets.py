"""Two read-only explorers for notebooks: a table browser and a vector-search playground.

Both read through `dbkit.explore.query` (READ ONLY transactions, `sql.Identifier` for names, bound
values). Each keeps its last result on the object (`.frames`, `.results`, `.plan`), so tests and
curious readers can look at what the widget shows.

Results go into the Output widget by setting its `outputs` state, not by capturing display calls
(`with output:`): capture makes headless clients (nbclient) route outputs through the widget and
stall until the cell's timeout; a state update is one plain comm message everywhere.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
from IPython.core.formatters import format_display_data
from IPython.display import HTML, display
from psycopg import sql

from . import explore
from .url import Resolved, resolve

__all__ = ["TableBrowser", "VectorPlayground", "search_memories"]


class TableBrowser:
    """Schema → table → its columns (with comments), indexes and sample rows."""

    def __init__(self, url: str | Resolved | None = None, *, schema: str | None = None) -> None:
        self.url = resolve(url)
        schemas = list(
            explore.query(
                "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1",
                url=self.url,
            )["nspname"]
        )
        self.schema = w.Dropdown(options=schemas, value=schema if schema in schemas else schemas[0], description="schema")
        self.table = w.Dropdown(description="table")
        self.limit = w.IntSlider(value=5, min=1, max=50, description="rows")
        self.output = w.Output()
        self.frames: dict[str, pd.DataFrame] = {}
        self.schema.observe(lambda _: self._tables(), names="value")
        self.table.observe(lambda _: self.refresh(), names="value")
        self.limit.observe(lambda _: self.refresh(), names="value")
        self.widget = w.VBox([w.HBox([self.schema, self.table, self.limit]), self.output])
        self._tables()

    def _tables(self) -> None:
        names = list(explore.tables(self.schema.value, url=self.url)["table"])
        self.table.options = names
        self.table.value = names[0] if names else None

    def refresh(self) -> None:
        if not self.table.value:
            return
        schema, table = self.schema.value, self.table.value
        self.frames = {
            "columns": explore.columns(schema, table, url=self.url),
            "indexes": explore.indexes(schema, table, url=self.url),
            "sample": explore.sample(schema, table, self.limit.value, url=self.url),
        }
        shown = []
        for title, frame in self.frames.items():
            shown += [HTML(f"<b>{schema}.{table}: {title}</b>"), frame]
        _show(self.output, *shown)

    def _ipython_display_(self) -> None:
        display(self.widget)


def search_memories(text: str, k: int = 5, *, use_index: bool = True, url: str | Resolved | None = None) -> tuple[pd.DataFrame, str]:
    """Top-k active IBEX memories nearest to `text` (cosine), and the plan PostgreSQL used for it."""
    from .embed import embed

    vector = embed([text])[0]
    statement = sql.SQL(
        "SELECT content, category, round((embedding <=> %(q)s)::numeric, 4) AS distance "
        "FROM ibex_core.memories WHERE status = 'active' AND deleted_at IS NULL "
        "ORDER BY embedding <=> %(q)s LIMIT %(k)s"
    )
    params = {"q": vector, "k": k}
    settings = {"enable_indexscan": "on" if use_index else "off"}
    plan = explore.explain(statement, params, url=url, settings=settings)
    return explore.query(statement, params, url=url, settings=settings), plan


class VectorPlayground:
    """Type a sentence, get the k nearest memories with their distances; switch the HNSW index on and off."""

    def __init__(self, url: str | Resolved | None = None, *, text: str = "How does the user like code reviews?") -> None:
        self.url = resolve(url)
        self.text = w.Text(value=text, description="query", layout=w.Layout(width="60%"), continuous_update=False)
        self.k = w.IntSlider(value=5, min=1, max=20, description="k")
        self.use_index = w.Checkbox(value=True, description="use the HNSW index")
        self.output = w.Output()
        self.results = pd.DataFrame()
        self.plan = ""
        for control in (self.text, self.k, self.use_index):
            control.observe(lambda _: self.search(), names="value")
        self.widget = w.VBox([self.text, w.HBox([self.k, self.use_index]), self.output])
        self.search()

    def search(self) -> None:
        self.results, self.plan = search_memories(self.text.value, self.k.value, use_index=self.use_index.value, url=self.url)
        _show(self.output, self.results, HTML(f"<pre>{self.plan}</pre>"))

    def _ipython_display_(self) -> None:
        display(self.widget)


def _show(output: w.Output, *objects) -> None:
    """Replace what an Output widget shows, as one state update (see the module docstring)."""
    bundles = []
    for obj in objects:
        data, metadata = format_display_data(obj)
        bundles.append({"output_type": "display_data", "data": data, "metadata": metadata})
    output.outputs = tuple(bundles)
