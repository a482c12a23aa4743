"""Rules for every notebook: committed without outputs, executed by the suite, every table queried somewhere."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [c.id for c in notebook.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert dirty == [], f"{path.name}: strip outputs of cells {dirty}"


def test_each_notebook_is_executed_by_its_module_or_by_the_plugin(pytestconfig):
    """A notebook has a test module (which the conftest holds to running all of it) or the plugin runs it."""
    from dbkit.testing import notebooks_without_modules

    plugin = set(notebooks_without_modules(pytestconfig, ROOT / "notebooks"))
    for path in NOTEBOOKS:
        module = ROOT / "tests" / f"test_notebook_{path.stem}.py"
        assert module.exists() != (path in plugin), f"{path.name}: exactly one of its module and the plugin runs it"


def test_every_table_is_queried_in_some_notebook(migrated_db):
    """Each of the database's tables appears schema-qualified in an executed code cell of some notebook."""
    import re

    import psycopg

    with psycopg.connect(migrated_db) as conn:
        tables = conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables "
            "WHERE schemaname IN ('iris', 'ibex_core', 'orchestrator', 'myloware', 'syris') ORDER BY 1"
        ).fetchall()
    assert len(tables) == 46
    code = "\n".join(
        cell.source for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
    )
    missing = [name for (name,) in tables if not re.search(rf"\b{re.escape(name)}\b", code)]
    assert missing == [], f"tables no notebook queries: {', '.join(missing)}"
