"""notebooks/07_json_containment.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbtools import executed

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07_json_containment.ipynb"


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_containment_returns_what_a_python_filter_returns(tb):
    by_sql, by_python = tb.ref("by_sql"), tb.ref("by_python")
    assert by_sql == by_python
    assert 0 < len(by_sql) < tb.value("len(everything)")  # a real subset, neither nothing nor everything


def test_containment_rules_as_documented(tb):
    assert tb.value("[bool(r) for r in rules['result']]") == [True, True, True, True, False, False]


def test_nested_containment_and_existence_operators(tb):
    assert tb.value("len(voiceover_runs)") > 0
    counts = tb.value("tags.iloc[0].astype(int).tolist()")
    assert counts[0] > 0 and counts[1] >= counts[2] > 0
    assert counts[3] == tb.value("len(everything)")  # every sprite_metadata has a top-level "tags" key
    assert counts[4] == 0  # ? looks at top-level keys only
    assert tb.value("len(strong_hits)") > 0


def test_catalog_lists_what_each_operator_class_supports(tb):
    operators = tb.value("operators.set_index('operator_class')['operators'].str.split().to_dict()")
    assert set(operators["jsonb_ops"]) == {"?", "?&", "?|", "@>", "@?", "@@"}
    assert set(operators["jsonb_path_ops"]) == {"@>", "@?", "@@"}


def test_explain_names_the_gin_index_only_when_it_exists(tb):
    without, with_index = tb.ref("plan_no_index"), tb.ref("plan_with_index")
    assert "Seq Scan on docs" in without and "Index" not in without
    assert "Bitmap Index Scan on docs_doc_" in with_index
    assert "Bitmap Index Scan on docs_doc_ops_idx" in tb.ref("plan_exists")
    assert "Bitmap Index Scan on docs_doc_path_ops_idx" in tb.ref("plan_contains_path_only")
    # jsonb_path_ops cannot answer `?`: even with sequential scans disabled, no index scan
    assert "Seq Scan on docs" in tb.ref("plan_exists_path_only")
    assert "Index" not in tb.ref("plan_exists_path_only")


def test_small_table_uses_its_gin_index_only_when_forced(tb):
    assert "idx_sprites_capabilities" not in tb.ref("plan_small")
    assert "Bitmap Index Scan on idx_sprites_capabilities" in tb.ref("plan_small_forced")


def test_jsonb_path_ops_index_is_smaller(tb):
    assert 0 < tb.ref("size_path_ops") < tb.ref("size_ops")


def test_injection_looking_value_stays_data(tb):
    hostile = tb.ref("hostile")
    assert "'" in hostile and "OR true" in hostile
    assert tb.value("len(injection_rows)") == 0
    assert tb.value("len(injection_rows_dumps)") == 0
    assert tb.value("bool(round_trip == hostile)")
    assert "Error" not in tb.cell_output_text("injection")


def test_scratch_schema_is_dropped(tb):
    assert tb.ref("left") == 0
