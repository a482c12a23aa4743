"""Two read-only explorers for notebooks, on any schema: a table browser and a vector-search playground.

Both read through the kit's read-only path (one statement, READ ONLY, as `dbkit_reader`); names come from
the catalog and go through `sql.Identifier`, values typed into a widget are bound parameters. Each keeps
what it shows on the object (`.frames`, `.results`, `.timings`), so tests and curious readers can look.

Results go into the Output widget by setting its `outputs` state, not by capturing display calls
(`with output:`): capture makes headless clients (nbclient) route outputs through the widget and stall
until the cell's timeout; a state update is one plain comm message everywhere.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
from IPython.core.formatters import format_display_data
from IPython.display import HTML, display
from psycopg import sql

from . import catalog
from .catalog import Table
from .db import database
from .display import Result
from .errors import NotFoundError, UsageError

__all__ = ["OPERATORS", "TableBrowser", "VectorPlayground"]

# What a filter may say, each with the SQL it stands for: the column is an Identifier, the value bound.
OPERATORS = {
    "=": "{} = %(value)s",
    "≠": "{} <> %(value)s",
    "<": "{} < %(value)s",
    "≤": "{} <= %(value)s",
    ">": "{} > %(value)s",
    "≥": "{} >= %(value)s",
    "contains": "{}::text ILIKE %(pattern)s",
    "is null": "{} IS NULL",
    "is not null": "{} IS NOT NULL",
}
_PRIMARY = "(primary key)"


class TableBrowser:
    """Schema → table → chosen columns, filtered and ordered, with the row count; plus columns and indexes."""

    def __init__(self, url: Any = None, *, schema: str | None = None, table: str | None = None) -> None:
        self.db = database(url)
        names = [s.name for s in catalog.schemas(self.db)] if not self.db.is_sqlite else ["main"]
        if not names:
            raise NotFoundError(f"{self.db.masked} has no schemas to browse")
        self.schema = w.Dropdown(options=names, value=schema if schema in names else names[0], description="schema")
        self.table = w.Dropdown(description="table")
        self.columns = w.SelectMultiple(description="columns", rows=6, layout=w.Layout(width="32em"))
        self.filter_column = w.Dropdown(description="where")
        self.operator = w.Dropdown(options=list(OPERATORS), value="=", layout=w.Layout(width="8em"))
        self.value = w.Text(placeholder="value", continuous_update=False, layout=w.Layout(width="16em"))
        self.order = w.Dropdown(description="order by")
        self.descending = w.ToggleButton(value=False, description="descending", layout=w.Layout(width="8em"))
        self.limit = w.IntSlider(value=10, min=1, max=200, description="rows")
        self.output = w.Output()
        self.frames: dict[str, Result] = {}
        self.count: int | None = None
        self.live: Table | None = None
        self._loading = False
        self.schema.observe(lambda _: self._tables(), names="value")
        self.table.observe(lambda _: self._table(), names="value")
        for control in (self.columns, self.filter_column, self.operator, self.value, self.order, self.descending, self.limit):
            control.observe(lambda _: self.refresh(), names="value")
        self.widget = w.VBox([
            w.HBox([self.schema, self.table, self.limit]),
            w.HBox([self.columns, w.VBox([w.HBox([self.filter_column, self.operator, self.value]), w.HBox([self.order, self.descending])])]),
            self.output,
        ])  # fmt: skip
        self._tables(table)

    def _tables(self, table: str | None = None) -> None:
        self.schema_info = catalog.schema(None if self.db.is_sqlite else self.schema.value, self.db)
        names = [t.name for t in self.schema_info.tables]
        self.table.options = names
        chosen = table if table in names else (names[0] if names else None)
        if self.table.value == chosen and chosen is not None:
            self._table()
        else:
            self.table.value = chosen

    def _table(self) -> None:
        if not self.table.value:
            return
        self._loading = True  # one refresh for the whole change, not one per control
        self.live = self.schema_info.table(self.table.value)
        names = [c.name for c in self.live.columns]
        self.columns.options = names
        self.columns.value = tuple(names)
        self.filter_column.options = ["(none)", *names]
        self.filter_column.value = "(none)"
        self.value.value = ""
        self.order.options = [_PRIMARY, *names]
        self.order.value = _PRIMARY
        self._loading = False
        self.refresh()

    def statement(self) -> tuple[sql.Composable, sql.Composable, dict[str, Any]]:
        """(the rows' SELECT, the count's SELECT, the bound values) for the controls as they are now."""
        assert self.live is not None
        table = sql.Identifier(self.live.name) if self.db.is_sqlite else sql.Identifier(self.live.schema, self.live.name)
        chosen = list(self.columns.value) or [c.name for c in self.live.columns]
        where: sql.Composable = sql.SQL("")
        params: dict[str, Any] = {}
        column = self.filter_column.value
        if column and column != "(none)" and (self.value.value or self.operator.value.startswith("is")):
            where = sql.SQL(" WHERE ") + sql.SQL(OPERATORS[self.operator.value]).format(sql.Identifier(column))
            if "%(value)s" in OPERATORS[self.operator.value]:
                params = {"value": self.value.value}
            elif "%(pattern)s" in OPERATORS[self.operator.value]:  # ILIKE: the typed text is literal, not a pattern
                escaped = self.value.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                params = {"pattern": f"%{escaped}%"}
        keys = self.live.primary_key if self.order.value == _PRIMARY else (self.order.value,)
        direction = sql.SQL(" DESC" if self.descending.value else "")
        order = sql.SQL(", ").join(sql.Identifier(k) + direction for k in keys) if keys else sql.SQL("1")
        rows = sql.SQL("SELECT {} FROM {}{} ORDER BY {} LIMIT {}").format(
            sql.SQL(", ").join(map(sql.Identifier, chosen)), table, where, order, sql.Literal(int(self.limit.value))
        )
        count = sql.SQL("SELECT count(*) FROM {}{}").format(table, where)
        return rows, count, params

    def refresh(self) -> None:
        if self._loading or self.live is None:
            return
        from . import explore

        rows, count, params = self.statement()
        self.frames = {
            "sample": explore.query(rows, params or None, url=self.db),
            "columns": explore.columns(self.live.schema or None, self.live.name, url=self.db),
            "indexes": explore.indexes(self.live.schema or None, self.live.name, url=self.db),
        }
        self.count = int(explore.query(count, params or None, url=self.db).iloc[0, 0])
        title = f"{self.live.qualified}: {self.count:,} row{'s' if self.count != 1 else ''} match"
        shown = [HTML(f"<b>{title}</b>" + (f" — {self.live.comment}" if self.live.comment else "")), self.frames["sample"]]
        shown += [HTML("<b>columns</b>"), self.frames["columns"], HTML("<b>indexes</b>"), self.frames["indexes"]]
        _show(self.output, *shown)

    def _ipython_display_(self) -> None:
        display(self.widget)


class VectorPlayground:
    """Type a sentence, get the k nearest rows of a table with a vector column; index and exact scan timed.

    The table, its text column, the column that groups rows (an organization) and the filter that lets the
    ANN index serve the query (its partial predicate) are read from the catalog, for any schema.
    """

    def __init__(self, url: Any = None, *, schema: str | None = None, table: str | None = None,
                 text: str = "How does the user like code reviews?", k: int = 5) -> None:  # fmt: skip
        self.db = database(url)
        self.target = _vector_table(self.db, schema, table)
        self.text = w.Text(value=text, description="query", layout=w.Layout(width="60%"), continuous_update=False)
        self.k = w.IntSlider(value=k, min=1, max=50, description="k")
        groups = self._groups()
        self.group = w.Dropdown(options=[("all", None), *groups], value=None, description=self.target.group_label or "group")
        self.full_text = w.Checkbox(value=False, description="full text")
        self.output = w.Output()
        self.results = Result()
        self.timings: dict[str, float] = {}
        self.plans: dict[str, Any] = {}
        for control in (self.text, self.k, self.group, self.full_text):
            control.observe(lambda _: self.search(), names="value")
        controls = [self.k, self.full_text] + ([self.group] if groups else [])
        self.widget = w.VBox([self.text, w.HBox(controls), self.output])
        self.search()

    def _groups(self) -> list[tuple[str, Any]]:
        from . import explore

        t = self.target
        if not t.group_table:
            return []
        frame = explore.query(
            sql.SQL("SELECT {} AS label, {} AS id FROM {} ORDER BY 1").format(
                sql.Identifier(t.group_label_column), sql.Identifier(t.group_key), t.group_table
            ),
            url=self.db,
        )
        return [(str(label), key) for label, key in zip(frame["label"], frame["id"], strict=True)]

    def search(self) -> Result:
        """Both runs, index and exact, timed with EXPLAIN ANALYZE; the index's rows are what the widget shows."""
        from . import explore
        from .queryplan import explain_plan

        statement, params = self.statement()
        index_settings = {"hnsw.iterative_scan": "strict_order", "ivfflat.iterative_scan": "relaxed_order"}
        exact_settings = {"enable_indexscan": "off", "enable_bitmapscan": "off"}
        found = explore.query(statement, params, url=self.db, settings=index_settings)
        exact = explore.query(statement, params, url=self.db, settings=exact_settings)
        self.plans = {
            "index": explain_plan(statement, params, url=self.db, settings=index_settings),
            "exact": explain_plan(statement, params, url=self.db, settings=exact_settings),
        }
        self.timings = {name: plan.execution_ms for name, plan in self.plans.items()}
        overlap = len(set(found["id"]) & set(exact["id"]))
        if not self.full_text.value:
            found["text"] = [t if len(t) <= 120 else t[:117] + "…" for t in found["text"]]
        self.results = found
        index_name = next((n.index for n in self.plans["index"].nodes if n.index), None)
        used = f"index {index_name}" if index_name else "no index (the planner chose a scan)"
        speed = self.timings["exact"] / self.timings["index"] if self.timings["index"] else float("inf")
        summary = (
            f"{used}: {self.timings['index']:,.2f} ms · exact scan: {self.timings['exact']:,.2f} ms ({speed:,.1f}× the time)"
            f" · the index found {overlap} of the exact top {len(exact)}"
        )
        _show(self.output, HTML(f"<b>{self.target.table.qualified}</b>: {summary}"), found)
        return found

    def statement(self) -> tuple[sql.Composable, dict[str, Any]]:
        from .embed import DIM, embed, pad_1536

        t = self.target
        vector = embed([self.text.value])
        if t.dims == 1536:
            vector = pad_1536(vector)
        elif t.dims != DIM:
            raise UsageError(f"{t.table.qualified}.{t.vector} holds vector({t.dims}); the offline model embeds {DIM} dimensions")
        name = sql.Identifier(t.table.schema, t.table.name)
        label = (
            sql.SQL("(SELECT g.{} FROM {} g WHERE g.{} = r.{})").format(
                sql.Identifier(t.group_label_column), t.group_table, sql.Identifier(t.group_key), sql.Identifier(t.group_column)
            )
            if t.group_table
            else sql.SQL("NULL")
        )
        conditions: list[sql.Composable] = [sql.SQL(t.predicate)] if t.predicate else []  # the ANN index's own WHERE
        params: dict[str, Any] = {"q": vector[0], "k": int(self.k.value)}
        if self.group.value is not None:
            conditions.append(sql.SQL("r.{} = %(group)s").format(sql.Identifier(t.group_column)))
            params["group"] = self.group.value
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        statement = sql.SQL(
            "SELECT r.{key} AS id, {label} AS {group}, r.{text} AS text, round((r.{vector} <=> %(q)s)::numeric, 4) AS distance "
            "FROM {table} r{where} ORDER BY r.{vector} <=> %(q)s LIMIT %(k)s"
        ).format(
            key=sql.Identifier(t.key), label=label, group=sql.Identifier(t.group_label or "group"), text=sql.Identifier(t.text),
            vector=sql.Identifier(t.vector), table=name, where=where,
        )  # fmt: skip
        return statement, params

    def _ipython_display_(self) -> None:
        display(self.widget)


class _VectorTable:
    """What the playground needs to know of a table with a vector column, read from the catalog."""

    def __init__(self, live: catalog.Schema, table: Table, vector: str, dims: int) -> None:
        self.table, self.vector, self.dims = table, vector, dims
        self.key = table.primary_key[0] if len(table.primary_key) == 1 else table.columns[0].name
        texts = [c.name for c in table.columns if c.type in ("text", "varchar") or c.type.startswith("varchar(")]
        self.text = (
            max(texts, key=lambda n: ("content" in n or "text" in n or "chunk" in n, -texts.index(n))) if texts else self.key
        )
        ann = [i for i in table.indexes if i.method in ("hnsw", "ivfflat") and vector in i.columns]
        self.predicate = ann[0].predicate if ann else None
        # The grouping column: a foreign key to the table most others point at (the tenant, in a multi-tenant schema).
        referenced = {t.name: len(t.referenced_by) for t in live.tables}
        fks = [fk for fk in table.foreign_keys if len(fk.columns) == 1 and fk.ref_table != table.name]
        fk = max(fks, key=lambda f: referenced.get(f.ref_table, 0), default=None)
        self.group_table: sql.Composable | None = None
        self.group_label = self.group_column = self.group_key = self.group_label_column = ""
        if fk is not None:
            parent = live.table(fk.ref_table)
            labels = [n for n in ("slug", "name", "title", "domain") if n in {c.name for c in parent.columns}]
            if labels:
                self.group_table = sql.Identifier(fk.ref_schema, fk.ref_table)
                self.group_column, self.group_key, self.group_label_column = fk.columns[0], fk.ref_columns[0], labels[0]
                self.group_label = fk.ref_table.removesuffix("s") if fk.ref_table.endswith("s") else fk.ref_table


def _vector_table(db: Any, schema: str | None, table: str | None) -> _VectorTable:
    import re

    names = [schema] if schema else [s.name for s in catalog.schemas(db)]
    for name in names:
        live = catalog.schema(name, db)
        for candidate in live.tables:
            if table and candidate.name != table:
                continue
            for column in candidate.columns:
                match = re.fullmatch(r"vector\((\d+)\)", column.type)
                if match and candidate.kind == "table":
                    return _VectorTable(live, candidate, column.name, int(match[1]))
    where = f"{schema}.{table}" if schema and table else schema or "any schema"
    raise NotFoundError(f"no table with a vector column in {where}; pass schema= and table=")


def _show(output: w.Output, *objects: Any) -> None:
    """Replace what an Output widget shows, as one state update (see the module docstring)."""
    bundles = []
    for obj in objects:
        data, metadata = format_display_data(obj)
        bundles.append({"output_type": "display_data", "data": data, "metadata": metadata})
    output.outputs = tuple(bundles)
