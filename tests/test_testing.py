"""The notebook-test plugin (dbkit.testing): a team's notebook runs in the suite without a test module.

Each test writes notebooks into a folder of its own and runs pytest on it in a subprocess (the plugin is
what an installed dbkit gives any project), on a throwaway clone of the seeded template.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.notebooks

# Plain psycopg: a kernel that never imports pandas starts in half the time.
QUERY = (
    "import dbkit\nwith dbkit.connect() as conn:\n"
    "    councils = [r[0] for r in conn.execute('SELECT domain FROM iris.councils ORDER BY domain')]\ncouncils"
)


def _notebook(folder, name, *cells):
    notebook = new_notebook(cells=[new_markdown_cell(f"# {name}"), *cells])
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


def _pytest(folder, *args):
    # Only this plugin (as `pytest -p dbkit.testing` gives it): hypothesis, faker & co. cost seconds to import.
    env = {**os.environ, "DBKIT_EMBEDDER": "hashing", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "dbkit.testing", "-p", "no:cacheprovider", "-q", "--rootdir", str(folder), "--notebooks", str(folder),
         str(folder), *args],
        capture_output=True, text=True, cwd=folder, env=env, timeout=300,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_team_notebooks_run_without_a_module_checks_fail_and_snapshots_catch_silent_changes(tmp_path, seeded_db):
    """One folder, three runs of the suite: what a team sees as it writes notebooks and their results change."""
    broken = _notebook(tmp_path, "broken", new_code_cell(QUERY),
                       new_code_cell("assert len(councils) == 0, 'expected none'", metadata={"tags": ["assert"]}))  # fmt: skip
    snap = _notebook(tmp_path, "snap", new_code_cell(QUERY, metadata={"tags": ["snapshot"]}),
                     new_code_cell("from dbkit import diagram\nmarkup = diagram.show('iris')", metadata={"tags": ["snapshot"]}),
                     new_code_cell("assert len(councils) > 0", metadata={"tags": ["assert"]}))  # fmt: skip
    table_cell, diagram_cell = (c.id for c in nbformat.read(snap, as_version=4).cells[1:3])
    # A snapshot committed when the query still returned something else; none yet for the diagram.
    (tmp_path / "__snapshots__").mkdir()
    (tmp_path / "__snapshots__" / "snap.json").write_text(json.dumps({table_cell: {"value": ["design"], "mermaid": []}}))

    code, out = _pytest(tmp_path, "-vv")
    assert code == 1, out
    assert "broken.ipynb::execute FAILED" in out and "broken.ipynb: assert cell" in out and "AssertionError: expected none" in out
    assert f"snap.ipynb::snapshot[{table_cell}] FAILED" in out and "no longer gives its snapshot" in out
    assert f"snap.ipynb::snapshot[{diagram_cell}] FAILED" in out and "no snapshot of cell" in out and "--update-snapshots" in out

    broken.unlink()
    code, out = _pytest(tmp_path, "--update-snapshots", str(snap))
    assert code == 0, out
    stored = json.loads((tmp_path / "__snapshots__" / "snap.json").read_text())
    assert len(stored[table_cell]["value"]) > 1 and stored[table_cell]["value"] == sorted(stored[table_cell]["value"])
    assert stored[diagram_cell]["mermaid"] and stored[diagram_cell]["mermaid"][0].startswith("erDiagram")

    code, out = _pytest(tmp_path, "-vv", str(snap))
    assert code == 0, out  # the same seed gives the same values on a new copy, in a new kernel
    assert "snap.ipynb::execute PASSED" in out  # picked up without a module (its assert cell holds), its test id names it
