"""The two widgets, driven as a reader would: change a control, the result follows; values are bound, nothing writes."""

from __future__ import annotations

import re

import psycopg
import pytest
import traitlets
from kit_fixtures import owner_conn

from dbkit.widgets import TableBrowser, VectorPlayground

ATTACK = "x'); DELETE FROM ibex_core.memories; --"


@pytest.fixture(autouse=True)
def _every_organization(seeded_db, reads_every_row):
    """The widgets browse IBEX's rows of every organization, as an explorer that row-level security does not bind."""
    reads_every_row(seeded_db)


def test_table_browser_follows_its_controls(seeded_db):
    browser = TableBrowser(seeded_db, schema="iris")
    assert list(browser.table.options) == ["chains", "councils", "execution_history", "sprites"]
    browser.table.value = "sprites"
    assert set(browser.frames) == {"columns", "indexes", "sample"}
    assert "capabilities" in set(browser.frames["columns"]["column"])
    assert (len(browser.frames["sample"]) == 10 and browser.count == len(browser.frames["sample"])) or browser.count > 10
    browser.limit.value = 12
    assert len(browser.frames["sample"]) == 12
    browser.columns.value = ("name", "role")
    assert list(browser.frames["sample"].columns) == ["name", "role"]
    browser.order.value = "name"
    browser.descending.value = True
    names = list(browser.frames["sample"]["name"])
    assert names == sorted(names, reverse=True)
    browser.schema.value = "ibex_core"
    assert browser.table.value == "agents" and "slug" in set(browser.frames["columns"]["column"])


def test_the_filter_binds_its_value_and_counts_what_matches(seeded_db):
    browser = TableBrowser(seeded_db, schema="ibex_core", table="memories")
    total = browser.count
    browser.filter_column.value = "status"
    browser.value.value = "archived"
    archived = browser.count
    assert 0 < archived < total and set(browser.frames["sample"]["status"]) == {"archived"}
    browser.operator.value = "contains"
    browser.filter_column.value = "content"
    browser.value.value = "100%"  # the text is literal: % is not a wildcard
    assert browser.count == 0
    browser.value.value = ATTACK  # reaches SQL as a bound value: no match, nothing runs
    assert browser.count == 0
    browser.operator.value = "="
    browser.filter_column.value = "status"
    assert browser.count == 0
    with owner_conn(seeded_db) as conn:
        assert conn.execute("SELECT count(*) FROM ibex_core.memories").fetchone()[0] == total


def test_names_come_from_the_catalog_only(seeded_db):
    browser = TableBrowser(seeded_db, schema="iris", table="sprites")
    with pytest.raises(traitlets.TraitError):
        browser.filter_column.value = 'role" = role; DROP TABLE iris.sprites; --'
    with pytest.raises(traitlets.TraitError):
        browser.table.value = "no_such_table"


def test_values_render_readably(seeded_db):
    browser = TableBrowser(seeded_db, schema="ibex_core", table="memories")
    page = browser.frames["sample"]._repr_html_()
    # a vector as its size, not 384 numbers (its first few are in the hover title, which may read "[0.0…")
    assert "vector(384)" in page and not re.search(r">\[-?\d", page)
    assert 'class="dbkit-short" title="' in page  # UUIDs and hashes short, the full value on hover


def test_vector_playground_finds_its_table_times_index_and_exact_and_filters_by_org(seeded_db):
    from dbkit.seed.ibex import PARAPHRASES

    playground = VectorPlayground(seeded_db, text=PARAPHRASES[0][1])  # a memory every organization's first agent holds
    assert playground.target.table.qualified == "ibex_core.memories" and playground.target.text == "content"
    assert playground.target.predicate and "deleted_at IS NULL" in playground.target.predicate
    assert len(playground.results) == 5 and list(playground.results["distance"]) == sorted(playground.results["distance"])
    assert set(playground.timings) == {"index", "exact"} and all(t > 0 for t in playground.timings.values())
    assert playground.plans["index"].uses("memories_embedding_hnsw_idx")
    assert not playground.plans["exact"].uses("memories_embedding_hnsw_idx")
    assert len(set(playground.results["organization"])) > 1  # the explorer sees every organization
    label, org = playground.group.options[1]
    playground.group.value = org
    assert set(playground.results["organization"]) == {label} and len(playground.results) == 5
    playground.k.value = 8
    assert len(playground.results) == 8
    playground.full_text.value = True
    assert not any(t.endswith("…") for t in playground.results["text"])


def test_the_playground_binds_the_typed_text(seeded_db):
    playground = VectorPlayground(seeded_db, text=ATTACK)
    assert len(playground.results) == 5
    with owner_conn(seeded_db) as conn:
        assert conn.execute("SELECT count(*) FROM ibex_core.memories").fetchone()[0] >= 1000


def test_a_schema_the_kit_never_saw(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            "CREATE EXTENSION IF NOT EXISTS vector; CREATE SCHEMA docs;"
            "CREATE TABLE docs.teams (id int PRIMARY KEY, name text NOT NULL);"
            "CREATE TABLE docs.notes (id int PRIMARY KEY, team_id int REFERENCES docs.teams, body text, v vector(384));"
            "INSERT INTO docs.teams VALUES (1, 'red'), (2, 'blue');"
            "INSERT INTO docs.notes SELECT n, 1 + n % 2, 'note ' || n, "
            "(SELECT array_agg(CASE WHEN i = n % 384 THEN 1 ELSE 0 END)::vector FROM generate_series(0, 383) i) FROM generate_series(1, 30) n"
        )
    playground = VectorPlayground(fresh_db, schema="docs")
    assert playground.target.text == "body" and playground.target.group_label == "team"
    assert len(playground.results) == 5 and set(playground.results["team"]) <= {"red", "blue"}
    browser = TableBrowser(fresh_db, schema="docs", table="notes")
    assert browser.count == 30
