"""The lab never dirties the repository, and `dbkit lab` is quiet: a database line, then the URL once it answers."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from dbkit.lab import NOTEBOOKS, SCRATCH, KitContentsManager

pytestmark = pytest.mark.notebooks


def _executed_model(notebook) -> dict:
    """What JupyterLab sends on save: a notebook with outputs, counts and widget state."""
    notebook = nbformat.from_dict(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [new_output("stream", name="stdout", text="42\n")]
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return {"type": "notebook", "format": "json", "content": notebook}


@pytest.fixture
def lab_root(tmp_path):
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOKS / "01_iris.ipynb", root / "01_iris.ipynb")
    return root


def test_a_lab_save_of_a_walkthrough_writes_no_outputs(lab_root):
    manager = KitContentsManager(root_dir=str(lab_root))
    committed = nbformat.read(lab_root / "01_iris.ipynb", as_version=4)
    asyncio.run(manager.save(_executed_model(committed), "01_iris.ipynb"))
    saved = nbformat.read(lab_root / "01_iris.ipynb", as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in saved.cells if c.cell_type == "code")
    assert "widgets" not in saved.metadata
    assert [c.metadata.get("tags") for c in saved.cells] == [c.metadata.get("tags") for c in committed.cells]  # tags kept
    assert [c.source for c in saved.cells] == [c.source for c in committed.cells]


def test_new_notebooks_go_to_scratch_and_keep_their_outputs(lab_root):
    manager = KitContentsManager(root_dir=str(lab_root))
    model = asyncio.run(manager.new_untitled(path="", type="notebook"))
    assert model["path"].startswith(f"{SCRATCH}/") and (lab_root / model["path"]).exists()
    mine = new_notebook(cells=[new_code_cell("6 * 7")])
    asyncio.run(manager.save(_executed_model(mine), model["path"]))
    kept = nbformat.read(lab_root / model["path"], as_version=4)
    assert kept.cells[0].outputs and kept.cells[0].execution_count == 3


def test_scratch_is_ignored_by_git_and_by_the_suite(pytestconfig):
    from dbkit.testing import notebooks_without_modules

    ignored = subprocess.run(["git", "check-ignore", "-q", "notebooks/scratch/Untitled.ipynb"], cwd=NOTEBOOKS.parent)
    assert ignored.returncode == 0
    assert all(SCRATCH not in p.parts for p in notebooks_without_modules(pytestconfig, NOTEBOOKS))


def test_dbkit_lab_prints_the_database_line_then_the_url_once_it_answers(seeded_clone, tmp_path):
    env = {**os.environ, "DATABASE_URL": seeded_clone}
    # Ctrl-C as in a terminal: a pytest-xdist worker may run with SIGINT ignored, which a child inherits;
    # a handler (not SIG_IGN) becomes the default action across exec
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    lab = subprocess.Popen(
        [sys.executable, "-m", "dbkit", "lab", "--port", "18931"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    signal.signal(signal.SIGINT, ignored)
    url = ""
    try:
        first = lab.stdout.readline()
        assert re.match(r"^database  postgresql://\S+ \(DATABASE_URL\): 0 migration file\(s\) applied, already seeded\n$", first)
        second = lab.stdout.readline()
        url = re.match(r"^JupyterLab: (http://127\.0\.0\.1:\d+/lab\?token=\w+)\n$", second).group(1)
        with urllib.request.urlopen(url.replace("/lab?", "/api/status?"), timeout=5) as answer:  # it answers already
            assert answer.status == 200
        assert (Path(__file__).resolve().parent.parent / "build" / "lab.log").exists()
    finally:
        lab.send_signal(signal.SIGINT)
        try:
            out, err = lab.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            lab.kill()  # its JupyterLab is in a session of its own: stopped through its token (the port may differ)
            if url:
                subprocess.run(["pkill", "-f", "--", "IdentityProvider.token=" + url.rsplit("=", 1)[-1]], check=False)
            raise
    assert out == "" and "Traceback" not in err
    assert lab.returncode in (0, -signal.SIGINT, 130)
    time.sleep(0.2)
    with pytest.raises(OSError):
        urllib.request.urlopen(url.replace("/lab?", "/api/status?"), timeout=2)  # and stopped with it
