"""`%load_ext dbkit`: %sql and %%sql on a real kernel; and the kit's errors as one line there."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbtools import executed, outputs

from dbkit import UsageError
from dbkit.magic import parse_line

pytestmark = pytest.mark.notebooks

CELLS = {
    "load": "%load_ext dbkit\nrole = 'guardian'\nlimit = 3",
    "line": "%sql SELECT count(*) AS n FROM iris.sprites",
    "underscore": "line_result = _",
    "cell": "%%sql picked <<\nSELECT name, role FROM iris.sprites\nWHERE role = :role AND name <> ':role' -- :role in a string stays text\nORDER BY name LIMIT :limit",
    "readonly": "%%sql\nDELETE FROM iris.sprites",
    "multi": "%sql SELECT 1; DELETE FROM iris.sprites",
    "missing": "%sql SELECT :nowhere",
    "write": "%sql --write UPDATE iris.councils SET rules = rules WHERE domain = :role",
    "explain": '%sql --explain SELECT * FROM iris.sprites WHERE capabilities @> \'[{"name": "generate_code"}]\'',
    "analyze": "%sql plan << --analyze SELECT count(*) FROM iris.chains",
    "rollback": "%sql --analyze --rollback DELETE FROM iris.chains",
    "after": "%sql chains << SELECT count(*) AS n FROM iris.chains",
    "kit-error": "import dbkit\ndbkit.explore.query('SELECT * FROM no_such_table')",
}


@pytest.fixture(scope="module")
def tb(seeded_clone, tmp_path_factory):
    notebook = new_notebook(
        cells=[
            new_code_cell(source, metadata={"tags": [tag], **({"tags": [tag, "raises-exception"]} if tag in RAISES else {})})
            for tag, source in CELLS.items()
        ]  # fmt: skip
    )
    path = tmp_path_factory.mktemp("magic") / "magic.ipynb"
    nbformat.write(notebook, path)
    with executed(path, seeded_clone) as book:
        yield book


RAISES = {"readonly", "multi", "missing", "kit-error"}


def _error(tb, tag: str) -> dict:
    (error,) = [o for o in outputs(tb, tag) if o["output_type"] == "error"]
    return error


def test_line_magic_returns_a_readable_frame_and_underscore(tb):
    assert tb.value("int(line_result['n'].iloc[0])") > 0
    data = next(o["data"] for o in outputs(tb, "line") if o["output_type"] == "execute_result")
    assert 'class="dbkit-table"' in data["text/html"]


def test_cell_magic_assigns_and_binds_python_values(tb):
    picked = tb.value("picked.to_dict('records')")
    assert 0 < len(picked) <= 3 and {r["role"] for r in picked} == {"guardian"}
    assert outputs(tb, "cell") == []  # assigned, not shown


def test_reads_are_read_only_and_errors_are_one_line(tb):
    for tag, says in (("readonly", "is not a read"), ("multi", "exactly one"), ("missing", ":nowhere is not a Python variable"),
                      ("kit-error", "SQLSTATE 42P01 (UndefinedTable)")):  # fmt: skip
        error = _error(tb, tag)
        assert len(error["traceback"]) == 1 and says in error["traceback"][0], error["traceback"]
    assert tb.value("int(chains['n'].iloc[0])") > 0


def test_writes_need_write_and_plans_are_views(tb):
    assert "1" in tb.cell_output_text("write") or "0" in tb.cell_output_text("write")
    assert "estimated plan" in tb.cell_output_text("explain")
    assert tb.value("plan.analyzed and plan.execution_ms > 0")
    assert "rolled back: nothing changed" in tb.cell_output_text("rollback")


@pytest.mark.parametrize(
    ("line", "says"),
    [("--bogus SELECT 1", "unknown option --bogus"), ("", "no SQL to run"), ("--url", "--url needs a URL"),
     ("--rollback DELETE FROM t", "--rollback times a write with --analyze")],
)  # fmt: skip
def test_bad_magic_lines_say_what_to_do(line, says):
    with pytest.raises(UsageError, match=says):
        parse_line(line)


def test_the_line_is_parsed_as_written():
    call = parse_line("--url postgresql://h/db --write rows << UPDATE t SET a = 1")
    assert (call.url, call.flags, call.target, call.sql) == ("postgresql://h/db", {"--write"}, "rows", "UPDATE t SET a = 1")
