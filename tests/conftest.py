"""One PostgreSQL for the whole run: DATABASE_URL if set, else an embedded server in a temp dir.

Databases, cheapest first:
- `fresh_db`: a new, empty database per test;
- `migrated_db`: one migrated database for the session (read it, don't change its schema);
- `migrated_clone`: a test's own copy of the migrated template, to change its schema;
- `seeded_db`: a seeded database (all schemas, seed 42) for the session: read it only;
- `seeded_clone`: a module's own copy of the seeded template (`CREATE DATABASE ... TEMPLATE`), for tests
  and notebooks that write.

Under pytest-xdist (`-n 2`) the workers share the server and the templates: the first worker to need one
builds it under a file lock, the others wait for it and clone it.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

# Before dbkit reads it: the run's own embedded server, never the user's default one. Workers of one
# xdist run share it (the same run id), separate runs do not.
from dbkit.testing import clone, drop, run_dir, template

_EMBEDDED = not os.environ.get("DATABASE_URL")
_TMP = run_dir()
os.environ["DBKIT_DATA_DIR"] = str(_TMP / "pg")

from dbkit import server  # noqa: E402
from dbkit.migrate import migrate  # noqa: E402
from dbkit.url import mask  # noqa: E402

pytest_plugins = ["kit_fixtures"]
_ADMIN_URL = ""


# The run's own server is thrown away at the end, so durability buys nothing there, and its WAL and flushes
# were a large part of the suite's CPU (every migrate, seed, clone and HNSW build; with wal_level minimal a
# relation created in a transaction is not WAL-logged at all). The kit's servers keep PostgreSQL's defaults,
# and the crash-recovery tests run on clusters of their own, with them.
_RELOADED = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
_AT_START = {"wal_level": "minimal", "max_wal_senders": "0"}


def pytest_configure(config: pytest.Config) -> None:
    global _ADMIN_URL
    # xdist hands out modules largest first by their number of tests; pytest_collection_modifyitems orders
    # them by what they start instead, and the controller must keep that order.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    if not _EMBEDDED:
        _ADMIN_URL = os.environ["DATABASE_URL"]
    elif hasattr(config, "workerinput"):
        _ADMIN_URL = server.up().url  # the controller started and configured it
    else:
        _ADMIN_URL = server.up().url
        if without_durability(_ADMIN_URL, restart=True):
            server.down()
            _ADMIN_URL = server.up().url


# Modules that start processes of their own (kernels, servers, a browser) take seconds each; the rest take a
# fraction of one. Handed out first, the long ones cannot be what a worker is still running when the other is
# done: the short ones fill the end (measured: the last module of `-m "not notebooks"` was the bench's, 6 s).
_LONG = ("browser", "notebooks", "servers")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    long = {item.path for item in items if any(item.get_closest_marker(mark) for mark in _LONG)}
    count = Counter(item.path for item in items)  # the rest as xdist would order them: most tests first
    items.sort(key=lambda item: (item.path not in long, 0 if item.path in long else -count[item.path]))


def without_durability(url: str, *, restart: bool = False) -> bool:
    """Turn off what only protects data from a crash, on a test cluster (a superuser's URL); with `restart`,
    also what takes a restart to change. Whether a restart is needed for it to hold."""
    wanted = {**_RELOADED, **(_AT_START if restart else {})}
    with psycopg.connect(url, autocommit=True) as conn:
        now = dict(conn.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(wanted)]).fetchall())
        changed = {name: value for name, value in wanted.items() if now.get(name) != value}
        for name, value in changed.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        conn.execute("SELECT pg_reload_conf()")
    return any(name in _AT_START for name in changed)


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # a worker: the controller stops the shared server once every worker is done
    # Also with DATABASE_URL: a test of the embedded path (resolution order) may have started this one.
    server.down()
    shutil.rmtree(_TMP, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    with psycopg.connect(_ADMIN_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    where = f"embedded in {os.environ['DBKIT_DATA_DIR']}" if _EMBEDDED else f"DATABASE_URL {mask(_ADMIN_URL)}"
    return [f"database: PostgreSQL {version}, {where}"]


def create_database(template: str | None = None, *, on: str | None = None) -> str:
    """A new database (empty, or a copy of `template`) on the run's server (or the server of `on`); its URL."""
    return clone(template, on=on or _ADMIN_URL)


def drop_database(url: str, *, on: str | None = None) -> None:
    drop(url, on=on or _ADMIN_URL)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The URL of the run's server (its default database)."""
    return _ADMIN_URL


@pytest.fixture(scope="session")
def embedded_url() -> str:
    """The run's embedded server: for the tests of what only it has (its psql, its socket), started on demand
    when DATABASE_URL points elsewhere (pytest_unconfigure stops it)."""
    return _ADMIN_URL if _EMBEDDED else server.up().url


@pytest.fixture(scope="session")
def embedded_migrated_db(request, embedded_url):
    """`migrated_db`, on the run's embedded server."""
    if _EMBEDDED:
        yield request.getfixturevalue("migrated_db")
        return
    url = create_database(on=embedded_url)
    migrate(url)
    yield url
    drop_database(url, on=embedded_url)


@pytest.fixture
def fresh_db():
    """The URL of a new, empty database, dropped after the test."""
    url = create_database()
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def migrated_db():
    """The URL of a database where every migration of `sql/` is applied (shared: don't change its schema)."""
    yield from _copy_of(template(seeded=False))


@pytest.fixture
def migrated_clone():
    """A test's own migrated database (a copy of the run's migrated template), dropped after it: change its schema freely."""
    yield from _copy_of(template(seeded=False))


@pytest.fixture(scope="session")
def seeded_db():
    """A seeded database (all schemas, seed 42) shared by a process's tests: read it, never write.

    A copy, not the template itself: a connection left open on the template would stop every clone.
    """
    yield from _copy_of(template())


@pytest.fixture(scope="module")
def seeded_clone():
    """A module's own copy of the seeded template, dropped after the module: write to it freely."""
    yield from _copy_of(template())


def _copy_of(template: str) -> Iterator[str]:
    """A copy of `template` while the fixture lasts; then the kit's handles on it are closed and it is dropped."""
    url = create_database(template)
    yield url
    from dbkit import db

    db.forget()
    drop_database(url)


@pytest.fixture(autouse=True, scope="module")
def _a_notebook_module_runs_its_whole_notebook(request):
    """A `test_notebook_*` module must have executed its NOTEBOOK, every code cell, by the time it ends."""
    yield
    notebook = getattr(request.module, "NOTEBOOK", None)
    if notebook is None or not request.module.__name__.startswith("test_notebook_"):
        return
    from nbtools import EXECUTED

    cells, ran = EXECUTED.get(Path(notebook).resolve(), (None, 0))
    assert cells is not None, (
        f"{request.module.__name__} ran its tests without executing {Path(notebook).name} (use nbtools.executed)"
    )
    assert ran == cells, f"{request.module.__name__} executed {ran} of the {cells} code cells of {Path(notebook).name}"
