"""notebooks/00_start_here.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbtools import executed

from dbkit.migrate import discover

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "00_start_here.ipynb"


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_connects_to_postgresql_18_with_pgvector(tb):
    assert tb.ref("server_version").startswith("18.")
    assert tb.ref("vector_version").startswith("0.8.")


def test_migrate_leaves_nothing_pending(tb):
    assert tb.value("len(dbkit.plan())") == 0
    assert tb.value("int((status['applied'] + status['pending']).sum())") == len(discover())
    assert tb.value("len(applied)") == tb.value("int(status['pending'].sum())")


def test_ledger_lists_every_file(tb):
    assert tb.value("len(ledger)") == len(discover())
    assert tb.value("sorted(ledger['schema'].unique())") == ["ibex_core", "iris", "myloware", "orchestrator", "syris"]


def test_five_schemas_hold_46_tables(tb):
    assert tb.value("int(tables['tables'].sum())") == 46
    assert "46 tables in five schemas" in tb.cell_output_text("tables")


def test_masked_url_hides_the_password(tb):
    assert "dbkit:***@db.internal" in tb.cell_output_text("mask")
