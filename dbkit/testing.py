"""Notebook tests for a team's own notebooks: a pytest plugin (and `dbkit test`) on nbclient.

Every notebook in the configured folders (`dbkit_notebooks` in pytest's ini options, or `--notebooks DIR`)
that has no hand-written test module (`tests/test_notebook_<stem>.py`) is collected and:

- `execute`: run in a real kernel, top to bottom, on a throwaway copy of the seeded database (DATABASE_URL
  points the kernel at it); any error fails the test, and a failing cell tagged `assert` (the notebook's
  own checks) is named as such;
- `snapshot[<cell id>]`: each cell tagged `snapshot` is compared *by meaning* with the committed snapshot
  (`__snapshots__/<notebook>.json` beside the notebook): the value of its last expression (a DataFrame's
  columns and values, a number, a text) and any Mermaid diagram it shows. Deterministic seeds make this
  exact; floats compare to 1e-9. `--update-snapshots` writes the file.

nbmake only executes; nbval compares raw outputs through regex sanitizers; this compares values.
The seeded template is built once per run (under a file lock, so pytest-xdist workers share it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import math
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["NotebookFile", "canonical", "clone", "drop", "run_dir", "run_id", "same", "template"]

_SNAPSHOT_DIR = "__snapshots__"
# Whether this process started the run: it set DBKIT_TEST_RUN, which its xdist workers and any pytest a
# test starts inherit. Only the owner drops the run's template at the end.
_OWNER = "DBKIT_TEST_RUN" not in os.environ
_CAPTURE = "import dbkit.testing as _dbkit_testing; print(_dbkit_testing.capture({ref}))"


# -- databases -----------------------------------------------------------------------------------


def run_id() -> str:
    """One id per test run, shared by pytest-xdist workers (they inherit the controller's environment)."""
    return os.environ.setdefault("DBKIT_TEST_RUN", uuid.uuid4().hex)[:12]


def run_dir() -> Path:
    """A folder for this run's locks (and, for the kit's own suite, its embedded server)."""
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"dbkit-test-{run_id()}"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o755)  # as root the server runs as another user, who must traverse this directory
    return folder


def template(*, seeded: bool = True) -> str:
    """The run's seeded template database, or with `seeded=False` its migrated one (built by whichever process
    asks first): a copy of either costs a fraction of migrating (0.03 s against 0.3 s) and of seeding."""
    return _build_template(run_dir(), _template_name(seeded), seeded=seeded)


def _template_name(seeded: bool) -> str:
    return f"dbkit_{'tpl' if seeded else 'mig'}_{run_id()}"


def _admin_url() -> str:
    from .url import resolve

    return resolve().url


def _build_template(lock_dir: Path, name: str, *, seeded: bool = True) -> str:
    """The name of a database migrated (and seeded) once per run (whoever gets the lock first builds it)."""
    from filelock import FileLock

    with FileLock(str(lock_dir / f"{name}.lock")):
        done = lock_dir / f"{name}.done"
        if not done.exists():
            import psycopg
            from psycopg import sql

            from . import db
            from .migrate import migrate
            from .seed import seed
            from .url import with_database

            admin = _admin_url()
            drop(name)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            url = with_database(admin, name)
            migrate(url)
            if seeded:
                seed(url)
            db.forget()  # no connection may stay open on a template about to be copied
            done.write_text(url)
    return name


def clone(template: str | None = None, *, on: str | None = None) -> str:
    """A new database (a copy of `template`, or empty) on the run's server (or the server of the URL `on`); its URL."""
    import psycopg
    from psycopg import sql

    from .url import with_database

    name = f"dbkit_test_{uuid.uuid4().hex[:10]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        # PostgreSQL's default strategy (WAL_LOG) copies through the buffer cache; FILE_COPY checkpoints twice,
        # flushing whatever the other tests left dirty. For the 28 MB seeded template: 0.07 s against 0.36 s
        # with fsync off (as the suite's server runs), 0.15 s against 0.24 s with PostgreSQL's defaults.
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    admin = on or _admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)
    return with_database(admin, name)


def drop(name_or_url: str, *, on: str | None = None) -> None:
    """DROP DATABASE ... WITH (FORCE), on the run's server (or the server of the URL `on`)."""
    import psycopg
    from psycopg import sql

    from .url import database_of

    name = database_of(name_or_url) if "://" in name_or_url else name_or_url
    with psycopg.connect(on or _admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def database_url(url: str) -> Iterator[None]:
    """DATABASE_URL set to `url` while a kernel starts (it inherits the environment)."""
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


# -- values compared by meaning ----------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A JSON-able form of a cell's value that keeps its meaning (and drops how it happened to print)."""
    if type(value).__module__.split(".")[0] in ("pandas", "numpy"):
        return _canonical_array(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()}s"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "to_list"):  # pgvector's Vector
        return [float(v) for v in value.to_list()]
    return repr(value)


def _canonical_array(value: Any) -> Any:
    """pandas and numpy values (imported only when a cell returned one: they take a second to import)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return {
            "columns": [str(c) for c in value.columns],
            "rows": [[canonical(v) for v in row] for row in value.itertuples(index=False)],
        }
    if isinstance(value, pd.Series):
        return {"index": [canonical(i) for i in value.index], "values": [canonical(v) for v in value]}
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | pd.Timedelta):
        return value.isoformat()
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, np.ndarray):
        return [canonical(v) for v in value.tolist()]
    return repr(value)


def capture(value: Any) -> str:
    """Called in the kernel on a snapshot cell's value: its canonical form as JSON."""
    return json.dumps(canonical(value), sort_keys=True)


def same(left: Any, right: Any, *, tolerance: float = 1e-9) -> bool:
    """Equal by meaning: the same structure, floats within `tolerance`."""
    if isinstance(left, float) or isinstance(right, float):
        return (
            isinstance(left, int | float)
            and isinstance(right, int | float)
            and math.isclose(left, right, rel_tol=tolerance, abs_tol=tolerance)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k], tolerance=tolerance) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b, tolerance=tolerance) for a, b in zip(left, right, strict=True))
    return bool(left == right)


# -- the pytest plugin -------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dbkit", "dbkit notebook tests")
    group.addoption("--notebooks", action="append", default=[], metavar="DIR", help="Also collect the notebooks of DIR.")
    group.addoption("--update-snapshots", action="store_true", help="Write the snapshots of cells tagged `snapshot`.")
    parser.addini("dbkit_notebooks", type="paths", default=[], help="Folders whose notebooks the suite executes.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "notebooks: executes a notebook in a real kernel")
    run_id()  # set before xdist starts its workers, so that they share it


@pytest.hookimpl(tryfirst=True)  # before a conftest stops the server the template lives on
def pytest_unconfigure(config: pytest.Config) -> None:
    """The process that started the run (not an xdist worker, not a pytest a test started) drops the templates."""
    if hasattr(config, "workerinput") or not _OWNER:
        return
    for name in (_template_name(True), _template_name(False)):
        done = run_dir() / f"{name}.done"
        if done.exists():
            with contextlib.suppress(Exception):
                drop(name)
            done.unlink(missing_ok=True)


def _folders(config: pytest.Config) -> list[Path]:
    given = [Path(p).resolve() for p in config.getoption("notebooks")]
    return [*[Path(p).resolve() for p in config.getini("dbkit_notebooks")], *given]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".ipynb" or ".ipynb_checkpoints" in file_path.parts:
        return None
    if not any(file_path.parent == folder for folder in _folders(parent.config)):
        return None
    if _has_module(parent.config, file_path):
        return None  # a hand-written module executes it, with richer checks
    return NotebookFile.from_parent(parent, path=file_path)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Folders given on the command line are collected even when they lie outside the test paths.
    for folder in _folders(session.config):
        if folder.is_dir() and str(folder) not in session.config.args:
            session.config.args.append(str(folder))


def _has_module(config: pytest.Config, notebook: Path) -> bool:
    return (Path(config.rootpath) / "tests" / f"test_notebook_{notebook.stem}.py").exists()


def notebooks_without_modules(config: pytest.Config, folder: Path) -> list[Path]:
    """The notebooks of `folder` the plugin runs itself (those without a hand-written module)."""
    return sorted(p for p in folder.glob("*.ipynb") if not _has_module(config, p))


class NotebookFile(pytest.File):
    """One notebook: an `execute` item, then a `snapshot[...]` item per cell tagged `snapshot`."""

    _result: tuple[str | None, dict[str, Any]] | None = None

    def collect(self) -> Iterator[pytest.Item]:
        import nbformat

        notebook = nbformat.read(self.path, as_version=4)
        yield NotebookItem.from_parent(self, name="execute", cell_id=None)
        for cell in notebook.cells:
            if cell.cell_type == "code" and "snapshot" in cell.metadata.get("tags", []):
                yield NotebookItem.from_parent(self, name=f"snapshot[{cell.get('id', '')}]", cell_id=cell.get("id"))

    def run(self) -> tuple[str | None, dict[str, Any]]:
        """Execute once (the items share it): (the error, or None; what each snapshot cell produced)."""
        if self._result is None:
            self._result = _execute(self.path, self.config)
        return self._result


class NotebookItem(pytest.Item):
    def __init__(self, *, cell_id: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cell_id = cell_id
        self.add_marker(pytest.mark.notebooks)

    def runtest(self) -> None:
        notebook = self.parent
        assert isinstance(notebook, NotebookFile)
        error, produced = notebook.run()
        if error:
            raise NotebookFailure(error)
        if self.cell_id is None:
            return
        path = self.path.parent / _SNAPSHOT_DIR / f"{self.path.stem}.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        got = produced[self.cell_id]
        if self.config.getoption("update_snapshots"):
            stored[self.cell_id] = got
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
            return
        if self.cell_id not in stored:
            raise NotebookFailure(f"no snapshot of cell {self.cell_id} in {path}: run pytest --update-snapshots and commit it")
        if not same(stored[self.cell_id], got):
            raise NotebookFailure(f"cell {self.cell_id} no longer gives its snapshot: {_difference(stored[self.cell_id], got)}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, NotebookFailure):
            return f"{self.path.name}: {excinfo.value}"
        return str(super().repr_failure(excinfo))


class NotebookFailure(Exception):
    pass


def _execute(path: Path, config: pytest.Config) -> tuple[str | None, dict[str, Any]]:
    import tempfile

    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    url = clone(template())
    notebook = nbformat.read(path, as_version=4)
    produced: dict[str, Any] = {}
    error = None
    try:
        with database_url(url), tempfile.TemporaryDirectory(prefix="dbkit-nb-") as sockets:
            kernel = KernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")
            # immediate: the run is over, a graceful shutdown only waited (0.3 s a kernel)
            client = NotebookClient(
                notebook, timeout=300, km=kernel, shutdown_kernel="immediate", resources={"metadata": {"path": str(path.parent)}}
            )
            with client.setup_kernel():
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type != "code":
                        continue
                    try:
                        client.execute_cell(cell, index)
                    except CellExecutionError as exc:
                        kind = "assert cell" if "assert" in cell.metadata.get("tags", []) else "cell"
                        error = f"{kind} {cell.get('id', index)} failed: {_last_line(str(exc))}"
                        break
                    if "snapshot" in cell.metadata.get("tags", []):
                        produced[cell.get("id")] = _snapshot(client, cell, index)
    finally:
        drop(url)
    return error, produced


def _snapshot(client: Any, cell: Any, index: int) -> dict[str, Any]:
    import nbformat

    mermaid = [o["data"]["text/vnd.mermaid"] for o in cell.outputs if o.get("data", {}).get("text/vnd.mermaid")]
    value = None
    if cell.get("execution_count"):
        probe = nbformat.v4.new_code_cell(_CAPTURE.format(ref=f"Out.get({cell.execution_count})"))
        client.execute_cell(probe, index)
        text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout").strip()
        value = json.loads(text) if text else None
    return {"value": value, "mermaid": mermaid}


def _last_line(message: str) -> str:
    import re

    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", message).strip().splitlines() if line.strip()]
    return lines[-1] if lines else "error"


def _difference(expected: Any, got: Any, where: str = "") -> str:
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            if key not in expected or key not in got or not same(expected[key], got[key]):
                return _difference(expected.get(key), got.get(key), f"{where}.{key}")
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"{where or 'value'} has {len(got)} items, the snapshot {len(expected)}"
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            if not same(a, b):
                return _difference(a, b, f"{where}[{i}]")
    return f"{where.lstrip('.') or 'value'} is {got!r}, the snapshot says {expected!r}"
