"""`dbkit run`: notebooks executed headlessly into executed .ipynb and HTML that renders diagrams offline."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dbkit import DbkitError
from dbkit.run import MERMAID_JS, run

pytestmark = pytest.mark.notebooks  # `dbkit run` executes notebooks in kernels


def _notebook(folder, name, *sources):
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / name)


def test_executes_and_exports_offline_html(tmp_path, migrated_db, monkeypatch):
    source, out = tmp_path / "nb", tmp_path / "build"
    source.mkdir()
    monkeypatch.setenv("DATABASE_URL", migrated_db)
    _notebook(source, "a_diagram.ipynb", "from dbkit import diagram\nmarkup = diagram.show('iris')", "print(len(markup))")
    [html] = run(out=out, source=source, announce=lambda _: None)
    executed = nbformat.read(out / "a_diagram.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"].strip().isdigit()
    text = html.read_text()
    assert 'class="mermaid"' in text and "erDiagram" in text
    assert MERMAID_JS.read_text()[:200] in text and "cdnjs" not in text.split("erDiagram")[0][-20000:]
    assert "mermaid.initialize({startOnLoad: false})" in text


def test_a_failing_notebook_is_named(tmp_path):
    source = tmp_path / "nb"
    source.mkdir()
    _notebook(source, "b_broken.ipynb", "1 / 0")
    with pytest.raises(DbkitError, match=r"b_broken.ipynb failed: ZeroDivisionError"):
        run(out=tmp_path / "build", source=source, announce=lambda _: None)
    assert (tmp_path / "build" / "b_broken.ipynb").exists()


def test_no_match(tmp_path):
    with pytest.raises(DbkitError, match="no notebook matches zz"):
        run(["zz"], out=tmp_path, source=tmp_path)
