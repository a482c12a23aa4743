"""notebooks/02_ibex.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbtools import check_diagram, check_every_table_walked, executed, source

from dbkit.migrate import discover

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_ibex.ipynb"
TABLES = sorted(
    [
        "organizations",
        "users",
        "agents",
        "tokens",
        "directives",
        "sessions",
        "checkpoints",
        "memories",
        "memory_versions",
        "memory_relationships",
        "memory_tags",
    ]
)


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_ledger_lists_every_ibex_file(tb):
    assert tb.value("list(ledger['name'])") == [m.name for m in discover(["ibex_core"])]
    assert tb.value("len(dbkit.plan(schemas=['ibex_core']))") == 0


def test_seed_fills_every_table_and_rls_is_on(tb):
    rows = tb.value("{t: int(n) for t, n in zip(counts['table'], counts['rows'])}")
    assert sorted(rows) == TABLES
    assert all(n > 0 for n in rows.values()), rows
    assert sum(rows.values()) == tb.value("loaded['ibex_core']")
    assert tb.value("bool(counts['rls'].all())")


def test_diagram_is_mermaid_and_svg(tb):
    check_diagram(tb, TABLES)


def test_every_table_is_described_and_queried_schema_qualified(tb):
    check_every_table_walked(tb, NOTEBOOK, "ibex_core", TABLES)
    for table in TABLES:
        assert "explore.query(" in source(NOTEBOOK, f"query-{table}")


def test_directives_have_at_most_one_active_version(tb):
    assert tb.value("int(directives['active_versions'].max())") == 1


def test_search_runs_as_the_app_role_and_finds_each_paraphrased_memory(tb):
    assert tb.ref("role") == "ibex_app"
    assert tb.value("list(paraphrases['the one meant'])") == [True] * 5
    assert tb.value("sorted(set(paraphrases['org']))") == [tb.value("slug[acme]")]


def test_another_org_sees_other_rows(tb):
    acme, northwind = tb.value("slug[acme]"), tb.value("slug[northwind]")
    assert tb.value("sorted(set(mine['org']))") == [acme]
    assert tb.value("sorted(set(theirs['org']))") == [northwind]
    assert tb.value("len(mine) == len(theirs) == 5")
    assert tb.value("set(mine['id']).isdisjoint(set(theirs['id']))")


def test_rls_counts_only_the_current_org(tb):
    isolation = tb.value("isolation.to_dict('records')")
    assert len(isolation) == 3
    for row in isolation:
        assert row["count(*) sees"] == row["memories it owns"] > 0
        assert row["other orgs' rows seen"] == 0
    assert sum(r["memories it owns"] for r in isolation) == tb.value("int(counts.set_index('table').at['memories', 'rows'])")


def test_dedup_finds_the_live_twin_of_the_archived_copy(tb):
    assert tb.value("archived.status.value") == "archived"
    assert tb.value("duplicate is not None and duplicate.status.value == 'active'")
    assert tb.value("duplicate.id != archived.id")
    assert tb.value(
        "(duplicate.content, duplicate.agent_id, duplicate.org_id) == (archived.content, archived.agent_id, archived.org_id)"
    )
    assert tb.value("duplicate.content_hash == content_hash")
    assert tb.value("brand_new is None")


def test_hot_cache_is_newest_first_from_its_index(tb):
    created = tb.value("[m.created_at.isoformat() for m in hot]")
    assert len(created) == 8
    assert tb.value("all(a.created_at >= b.created_at for a, b in zip(hot, hot[1:]))")
    assert tb.value("{(m.agent_id, m.status.value, m.deleted_at) for m in hot} == {(agent_id, 'active', None)}")
    assert "memories_hot_cache_idx" in tb.ref("hot_plan")
    assert "Sort" not in tb.ref("hot_plan")


def test_widgets_hold_their_results(tb):
    assert tb.value("len(playground.results)") > 0
    assert tb.value("list(playground.results.columns)") == ["id", "organization", "text", "distance"]
    assert tb.value("playground.plans['index'].uses('memories_embedding_hnsw_idx')")
    assert tb.value("playground.timings['exact'] > 0 and playground.timings['index'] > 0")
    assert tb.value("sorted(browser.frames)") == ["columns", "indexes", "sample"]
    assert "embedding" in tb.value("list(browser.frames['columns']['column'])")
    assert tb.value("len(browser.frames['indexes'])") > 0
    assert tb.value("len(browser.frames['sample'])") == 10 and tb.value("browser.count") > 1000
