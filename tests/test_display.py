"""Readable results: each kind of value rendered the way a person reads it, nothing cut, everything escaped."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import numpy as np
import pandas as pd

from dbkit import explore
from dbkit.display import NULL, Result, cell, interval, render

LONG = "A comment that goes on well past fifty characters, so that pandas would cut it. " * 3


def test_each_kind_of_value():
    full = "7ebbddac-952f-4981-b1e9-42e5a266f508"
    assert cell(uuid.UUID(full))[1] == f'<span class="dbkit-short" title="{full}">7ebbddac…</span>'
    assert cell(full)[1].startswith('<span class="dbkit-short"')
    digest = "ab" * 32
    assert f'title="{digest}"' in cell(digest)[1] and ">abababababab…<" in cell(digest)[1]
    assert cell(None) == cell(float("nan")) == cell(pd.NaT) == cell(pd.NA) == ("null", NULL)
    assert cell(1234567) == ("num", "1,234,567") and cell(np.int64(42)) == ("num", "42")
    assert cell(decimal.Decimal("1234.500")) == ("num", "1,234.500")
    assert cell(dt.timedelta(hours=1, minutes=5)) == ("num", "1 h 5 min")
    assert cell(dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC))[1] == "2026-03-04 12:00:00 UTC"
    assert cell(np.ones(384, dtype=np.float32))[1].endswith(">vector(384)</span>")
    assert cell(b"\x00" * 32)[1].endswith(">32 bytes</span>")
    kind, text = cell(LONG)
    assert kind == "text" and LONG.strip() in text  # full text, never cut
    nested = {"model": "gpt-4o-mini", "tools": ["zendesk", "kb_search"], "memory": {"top_k": 8, "min_confidence": 0.6}}
    assert cell(nested)[1].startswith("<details><summary>") and "&quot;top_k&quot;: 8" in cell(nested)[1]
    assert cell(["a", "b"])[1] == "<code>[&quot;a&quot;, &quot;b&quot;]</code>"
    assert cell("<script>alert(1)</script>")[1] == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_intervals():
    assert interval(dt.timedelta(milliseconds=450)) == "450 ms"
    assert interval(dt.timedelta(seconds=12)) == "12 s"
    assert interval(dt.timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"
    assert interval(pd.Timedelta(minutes=-2)) == "-2 min"


def test_wide_tables_scroll_and_long_ones_say_how_many():
    wide = Result({f"column_{i}": [LONG] for i in range(30)})
    page = wide._repr_html_()
    assert '<div class="dbkit-wrap">' in page and "overflow-x:auto" in page
    tall = Result({"n": range(1000)})
    assert "showing 200 of 1,000 rows" in render(tall)


def test_results_stay_readable_through_pandas():
    frame = Result({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    assert isinstance(frame[frame["a"] > 1], Result) and isinstance(frame.head(1), Result)


def test_describe_shows_full_comments_and_definitions(migrated_db):
    columns = explore.columns("ibex_core", "memories", url=migrated_db)
    indexes = explore.indexes("ibex_core", "memories", url=migrated_db)
    longest = max(columns["description"], key=len)
    assert len(longest) > 50 and longest in columns._repr_html_()
    definition = indexes.set_index("index").at["memories_embedding_hnsw_idx", "definition"]
    assert definition.endswith("WHERE (((status)::text = 'active'::text) AND (deleted_at IS NULL))")
    assert "deleted_at IS NULL" in indexes._repr_html_()
