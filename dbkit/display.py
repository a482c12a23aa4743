"""Readable results in notebooks: what the explore helpers, the SQL magic and the widgets return shows itself
as a table a person can read.

`Result` is a pandas DataFrame (every pandas operation works, and keeps the rendering) whose HTML shows:
short UUIDs and hashes with the full value on hover, JSON pretty-printed and collapsible, one NULL marker
(∅) for None, NaN, NaT and NA, thousands separators, intervals as `1 h 5 min`, vectors as `vector(384)`,
full text (never cut at 50 characters) left-aligned and wrapped, and wide tables scrollable rather than
cut off. pandas' Styler could format cells, but not a value per type across a whole column of mixed JSON,
nor collapse it: this is the kit's own renderer, small, and escaped throughout.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import json
import math
import re
import uuid
from typing import Any

import pandas as pd

__all__ = ["NULL", "Result", "cell", "interval", "render"]

NULL = '<span class="dbkit-null" title="NULL">∅</span>'
MAX_ROWS = 200  # rows drawn in a notebook; the frame itself keeps them all
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_HASH = re.compile(r"^(?:[0-9a-f]{32,}|\$?[A-Za-z0-9+/=_-]{40,})$")
_STYLE = """<style>
.dbkit-wrap{overflow-x:auto;max-width:100%}
.dbkit-table{border-collapse:collapse;font-size:0.9em}
.dbkit-table th{text-align:left!important;position:sticky;top:0;background:var(--jp-layout-color2,#f3f3f3);padding:3px 8px}
.dbkit-table td{text-align:left!important;vertical-align:top;padding:3px 8px;border-top:1px solid var(--jp-border-color2,#ddd)}
.dbkit-table td.num{text-align:right!important;font-variant-numeric:tabular-nums}
.dbkit-table td.text{white-space:pre-wrap;min-width:16em;max-width:48em}
.dbkit-null{color:var(--jp-ui-font-color3,#999)}
.dbkit-short{cursor:help;border-bottom:1px dotted #999;font-family:var(--jp-code-font-family,monospace)}
.dbkit-table details summary{cursor:pointer;font-family:var(--jp-code-font-family,monospace)}
.dbkit-table pre{margin:2px 0;white-space:pre-wrap}
.dbkit-more{color:var(--jp-ui-font-color2,#666);font-size:0.85em;margin:4px 0}
</style>"""


class Result(pd.DataFrame):
    """A DataFrame that renders readably in a notebook (see the module doc); everything else is pandas."""

    @property
    def _constructor(self) -> type[Result]:
        return Result

    def _repr_html_(self) -> str:
        return render(self)


def render(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS) -> str:
    """The frame as one HTML table (first `max_rows` rows), each value formatted by its type."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.head(max_rows).itertuples(index=False, name=None):
        cells = []
        for value in row:
            kind, text = cell(value)
            cells.append(f'<td class="{kind}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<div class="dbkit-more">showing {max_rows:,} of {len(frame):,} rows</div>'
    elif len(frame) == 0:
        more = '<div class="dbkit-more">no rows</div>'
    if frame.attrs.get("note"):  # a helper's word on what the rows mean (e.g. rows that RLS hides)
        more += f'<div class="dbkit-more">{html.escape(str(frame.attrs["note"]))}</div>'
    return f'{_STYLE}<div class="dbkit-wrap"><table class="dbkit-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{more}</div>'


def cell(value: Any) -> tuple[str, str]:
    """(a CSS class, escaped HTML) for one value."""
    if _is_null(value):
        return "null", NULL
    if isinstance(value, bool):
        return "", "true" if value else "false"
    if isinstance(value, int) or type(value).__name__ in ("int64", "int32", "int16", "uint64", "uint32"):
        return "num", f"{int(value):,}"
    if isinstance(value, float) or type(value).__name__ in ("float64", "float32"):
        return "num", _float(float(value))
    if isinstance(value, decimal.Decimal):
        return "num", html.escape(f"{value:,}")
    if isinstance(value, uuid.UUID):
        return "", _short(str(value), 8)
    if isinstance(value, dt.timedelta | pd.Timedelta):
        return "num", html.escape(interval(value))
    if isinstance(value, dt.datetime):
        return "", html.escape(_moment(value))
    if isinstance(value, dt.date | dt.time):
        return "", html.escape(value.isoformat())
    if isinstance(value, dict | list):
        return "", _json(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return "", f'<span class="dbkit-short" title="{html.escape(data[:32].hex())}…">{len(data):,} bytes</span>'
    if hasattr(value, "to_list") or type(value).__name__ == "ndarray":  # pgvector's Vector, numpy arrays
        numbers = value.to_list() if hasattr(value, "to_list") else value.tolist()
        preview = ", ".join(f"{n:.3f}" for n in numbers[:4])
        return "", f'<span class="dbkit-short" title="[{preview}, …]">vector({len(numbers)})</span>'
    if isinstance(value, str):
        if _UUID.match(value):
            return "", _short(value, 8)
        if _HASH.match(value):
            return "", _short(value, 12)
        return "text", html.escape(value)
    return "text", html.escape(str(value))


def interval(value: dt.timedelta | pd.Timedelta) -> str:
    """A duration as people say it: `450 ms`, `12 s`, `1 h 5 min`, `3 d 4 h`."""
    seconds = value.total_seconds()
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 1:
        return f"{sign}{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{sign}{seconds:.3g} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount >= 1:
            parts.append(f"{int(amount)} {unit}")
        if len(parts) == 2:
            break
    return sign + " ".join(parts)


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def _float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:,.1f}"
    return f"{value:,.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"


def _moment(value: dt.datetime) -> str:
    text = value.isoformat(sep=" ", timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", " UTC")


def _short(text: str, keep: int) -> str:
    return f'<span class="dbkit-short" title="{html.escape(text)}">{html.escape(text[:keep])}…</span>'


def _json(value: Any) -> str:
    compact = json.dumps(value, ensure_ascii=False, default=str)
    if len(compact) <= 60:
        return f"<code>{html.escape(compact)}</code>"
    pretty = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    label = f"{{…{len(value)} keys}}" if isinstance(value, dict) else f"[…{len(value)} items]"
    summary = html.escape(compact[:48]) + "…"
    return f"<details><summary>{summary} <i>{label}</i></summary><pre>{html.escape(pretty)}</pre></details>"
