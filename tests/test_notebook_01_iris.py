"""notebooks/01_iris.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from nbtools import check_diagram, check_every_table_walked, check_plot, executed

from dbkit.migrate import discover

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_iris.ipynb"
TABLES = ["chains", "councils", "execution_history", "sprites"]


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_ledger_lists_every_iris_file(tb):
    assert tb.value("list(ledger['name'])") == [m.name for m in discover(["iris"])]
    assert tb.value("len(dbkit.plan(schemas=['iris']))") == 0


def test_seed_fills_every_table(tb):
    rows = tb.value("{t: int(n) for t, n in zip(counts['table'], counts['rows'])}")
    assert sorted(rows) == TABLES
    assert all(n > 0 for n in rows.values()), rows
    assert sum(rows.values()) == tb.value("loaded['iris']")


def test_diagram_is_mermaid_and_svg(tb):
    markup = check_diagram(tb, TABLES)
    assert re.search(r"councils \S+ chains", markup)  # the one foreign key


def test_every_table_is_described_and_queried_schema_qualified(tb):
    check_every_table_walked(tb, NOTEBOOK, "iris", TABLES)
    for table in TABLES:
        assert tb.value(f"len(explore.columns('iris', '{table}'))") > 0


def test_containment_returns_a_strict_subset(tb):
    coders = tb.value("sorted(coders['name'])")
    total = tb.value("int(counts.set_index('table').at['sprites', 'rows'])")
    assert 0 < len(coders) < total
    # The same answer computed in Python from every sprite's capabilities
    expected = tb.value(
        "sorted(r['name'] for r in explore.query('SELECT name, capabilities FROM iris.sprites').to_dict('records')"
        " if any(c['name'] == 'generate_code' for c in r['capabilities']))"
    )
    assert coders == expected
    assert f"{len(coders)} of {total} sprites can generate code" in tb.cell_output_text("contains")


def test_explain_names_the_gin_index_when_seq_scans_are_discouraged(tb):
    gin_plan = tb.ref("gin_plan")
    assert "Bitmap Index Scan on idx_sprites_capabilities" in gin_plan
    assert "Seq Scan" not in gin_plan
    assert "idx_sprites_capabilities" in tb.cell_output_text("explain-gin")
    assert "capabilities @>" in tb.ref("default_plan")


def test_fingerprints_match_the_prompts(tb):
    matches = tb.value("list(fingerprints['matches_prompt'])")
    assert matches and all(matches)


def test_council_members_all_exist(tb):
    listed, found = tb.value("list(map(int, member_check.iloc[0]))")
    assert listed == found > 0


def test_history_rollups_add_up(tb):
    runs = tb.value("int(counts.set_index('table').at['execution_history', 'rows'])")
    by_status = tb.value("{s: int(n) for s, n in zip(by_status['status'], by_status['runs'])}")
    assert set(by_status) <= {"completed", "failed", "vetoed"} and sum(by_status.values()) == runs
    # every run's chain_id joins a chain, and the per-chain outcomes add up to the run counts
    assert tb.value("int(per_chain['runs'].sum())") == runs
    assert tb.value("bool((per_chain['completed'] + per_chain['failed'] + per_chain['vetoed'] == per_chain['runs']).all())")
    assert tb.value("int(failed_steps['runs'].sum())") == by_status.get("failed", 0)
    assert tb.value("int(gatekeepers['vetoes'].sum())") == by_status.get("vetoed", 0)


def test_duration_plot_draws_p50_and_p95_of_completed_runs(tb, seeded_clone):
    check_plot(tb, "plot-durations")
    plotted = tb.value("{c: [m, p] for c, m, p in zip(durations.index, durations['median_s'], durations['p95_s'])}")
    with psycopg.connect(seeded_clone) as conn:
        expected = {
            chain: [round(p50 / 1000, 1), round(p95 / 1000, 1)]
            for chain, p50, p95 in conn.execute(
                "SELECT ch.name, percentile_cont(0.5) WITHIN GROUP (ORDER BY h.duration_ms),"
                "       percentile_cont(0.95) WITHIN GROUP (ORDER BY h.duration_ms)"
                " FROM iris.execution_history h JOIN iris.chains ch ON ch.id = h.chain_id"
                " WHERE h.status = 'completed' GROUP BY ch.name"
            )
        }
    assert {c: [pytest.approx(v, abs=0.051) for v in vs] for c, vs in plotted.items()} == expected
    # the bars are those numbers, chains ordered by p95 (the slowest tail on top)
    assert tb.value("[round(b.get_width(), 1) for b in ax.containers[0]]") == [m for m, _ in plotted.values()]
    assert tb.value("[round(b.get_width(), 1) for b in ax.containers[1]]") == [p for _, p in plotted.values()]
    assert [p for _, p in plotted.values()] == sorted(p for _, p in plotted.values())
    assert all(m <= p for m, p in plotted.values())
