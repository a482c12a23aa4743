"""The two widgets, driven as a reader would: change a control, the result follows; nothing writes."""

from __future__ import annotations

import psycopg

from dbkit.widgets import TableBrowser, VectorPlayground, search_memories


def test_table_browser_follows_its_controls(seeded_db):
    browser = TableBrowser(seeded_db, schema="iris")
    assert list(browser.table.options) == ["chains", "councils", "execution_history", "sprites"]
    browser.table.value = "sprites"
    assert set(browser.frames) == {"columns", "indexes", "sample"}
    assert "capabilities" in set(browser.frames["columns"]["column"])
    assert len(browser.frames["sample"]) == 5
    browser.limit.value = 12
    assert len(browser.frames["sample"]) == 12
    browser.schema.value = "ibex_core"
    assert browser.table.value == "agents" and "slug" in set(browser.frames["columns"]["column"])


def test_vector_playground_uses_and_skips_the_index(seeded_db):
    playground = VectorPlayground(seeded_db, text="Which editor theme does the user like?")
    assert len(playground.results) == 5 and playground.results["distance"].is_monotonic_increasing
    assert "memories_embedding_hnsw_idx" in playground.plan
    playground.k.value = 8
    assert len(playground.results) == 8
    playground.use_index.value = False
    assert "memories_embedding_hnsw_idx" not in playground.plan and len(playground.results) == 8


def test_search_is_read_only_and_parameterised(seeded_db):
    rows, _ = search_memories("'); DELETE FROM ibex_core.memories; --", 3, url=seeded_db)
    assert len(rows) == 3
    with psycopg.connect(seeded_db) as conn:
        assert conn.execute("SELECT count(*) FROM ibex_core.memories").fetchone()[0] >= 1000
