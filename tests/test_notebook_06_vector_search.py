"""notebooks/06_vector_search.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from nbtools import executed

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "06_vector_search.ipynb"


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_measures_on_about_a_thousand_real_minilm_memories(tb):
    # distinct memory texts: the seed reuses a bounded pool of texts across agents (see dbkit/seed/ibex.py)
    assert "MiniLM" in tb.ref("embedder_name")
    assert tb.value("len(real)") >= 800
    assert tb.value("len(vectors)") == tb.value("len(real)") + 9_000  # plus the blends


def test_the_paraphrased_question_finds_its_memory_first(tb):
    assert tb.value("hits['content'].iloc[0]") == tb.ref("stored")


def test_exact_search_agrees_with_numpy(tb):
    assert tb.ref("agreement") == 1.0


def test_hnsw_recall_meets_the_stated_target(tb):
    target = tb.ref("TARGET_RECALL")
    assert target >= 0.9
    assert tb.ref("TARGET_EF") == 100
    assert tb.ref("recall_at_target") >= target
    assert tb.value("float(hnsw_sweep.at[100, 'recall@10'])") == tb.ref("recall_at_target")


def test_recall_grows_with_ef_search_and_probes(tb):
    for frame in ("hnsw_sweep", "ivfflat_sweep"):
        recalls = tb.value(f"{frame}['recall@10'].tolist()")
        assert all(later >= earlier - 0.02 for earlier, later in itertools.pairwise(recalls)), (frame, recalls)
        assert recalls[-1] > recalls[0], (frame, recalls)
    # HNSW is used at every ef_search; IVFFlat at one probe (more probes may tip the planner to a seq scan)
    assert tb.value("hnsw_sweep['plan'].unique().tolist()") == ["index scan"]
    assert tb.value("ivfflat_sweep['plan'].iloc[0]") == "index scan"
    # probes = lists reads every list, and a seq scan is exact: either way the last point has recall 1.0
    assert tb.value("int(ivfflat_sweep.index[-1])") == tb.ref("LISTS")
    assert tb.value("float(ivfflat_sweep['recall@10'].iloc[-1])") == 1.0


def test_explain_names_each_index_and_the_exact_plan_none(tb):
    hnsw, ivfflat, exact = tb.ref("plan_hnsw"), tb.ref("plan_ivfflat"), tb.ref("plan_exact")
    assert "Index Scan using hnsw_items_embedding_idx" in hnsw
    assert "Index Scan using ivfflat_items_embedding_idx" in ivfflat
    assert "Seq Scan on hnsw_items" in exact
    assert "Index" not in exact and "_idx" not in exact


def test_filtered_query_under_returns_by_default_and_iterative_scans_fill_it(tb):
    k = tb.ref("K")
    assert "Index Scan using hnsw_items_embedding_idx" in tb.ref("plan_filtered")
    assert tb.ref("matching") >= k  # plenty of rows match: the shortfall is the index's, not the data's
    assert tb.value("len(rows_default)") < k
    assert tb.value("len(rows_strict)") == k
    assert tb.value("len(rows_relaxed)") == k
    assert tb.value("rows_relaxed['distance'].is_monotonic_increasing")
    # every returned row passes the filter (ids are positions in the notebook's `categories` array)
    for rows in ("rows_strict", "rows_relaxed"):
        assert tb.value(f"sorted(set(categories[{rows}['id'].to_numpy()]))") == [tb.ref("rare")]


def test_scratch_schema_is_dropped(tb):
    assert tb.ref("left") == 0
    assert tb.value("bool(explore.query(\"SELECT to_regnamespace('lab_vectors') IS NULL\").iloc[0, 0])")
