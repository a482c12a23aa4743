"""One PostgreSQL for the whole test session: DATABASE_URL if set, else an embedded server in a temp dir.

Each test that needs a database gets a fresh one (`fresh_db`) or the shared, fully migrated one
(`migrated_db`), so the suite runs unchanged against any server where its user may CREATE DATABASE.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

# Before dbkit reads it: the session's own embedded server, never the user's default one.
_EMBEDDED = not os.environ.get("DATABASE_URL")
_TMP = Path(tempfile.mkdtemp(prefix="dbkit-test-"))
_TMP.chmod(0o755)  # as root the server runs as another user, who must traverse this directory
os.environ["DBKIT_DATA_DIR"] = str(_TMP / "pg")

from dbkit import server  # noqa: E402
from dbkit.migrate import migrate  # noqa: E402
from dbkit.url import database_of, mask, with_database  # noqa: E402

_ADMIN_URL = ""


def pytest_configure(config: pytest.Config) -> None:
    global _ADMIN_URL
    _ADMIN_URL = os.environ["DATABASE_URL"] if not _EMBEDDED else server.up().url


def pytest_unconfigure(config: pytest.Config) -> None:
    # Also with DATABASE_URL: a test of the embedded path (resolution order) may have started this one.
    server.down()
    shutil.rmtree(_TMP, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    with psycopg.connect(_ADMIN_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    where = f"embedded in {os.environ['DBKIT_DATA_DIR']}" if _EMBEDDED else f"DATABASE_URL {mask(_ADMIN_URL)}"
    return [f"database: PostgreSQL {version}, {where}"]


def _create_database() -> str:
    name = f"dbkit_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(_ADMIN_URL, name)


def _drop_database(url: str) -> None:
    name = database_of(url)
    with psycopg.connect(_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The URL of the session's server (its default database)."""
    return _ADMIN_URL


@pytest.fixture
def fresh_db():
    """The URL of a new, empty database, dropped after the test."""
    url = _create_database()
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def migrated_db():
    """The URL of a database where every migration of `sql/` is applied (shared: don't change its schema)."""
    url = _create_database()
    migrate(url)
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def seeded_db():
    """The URL of a database migrated and seeded (all five schemas, seed 42). Shared: read it, don't change it."""
    from dbkit.seed import seed

    url = _create_database()
    migrate(url)
    seed(url)
    yield url
    _drop_database(url)


class SqlDir:
    """A throwaway migrations folder; `write("a/0001_x.sql", text)` adds a file under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


@pytest.fixture
def sql_dir(tmp_path: Path) -> SqlDir:
    return SqlDir(tmp_path / "sql")
