"""Fixtures and helpers the test modules share (loaded as a plugin by conftest.py).

- `schema_conn(schema)`: a psycopg connection to the migrated database with `schema` first on its
  search_path, inside a transaction that is rolled back at the end (the shared database stays empty),
  where forced row-level security does not hide the test's own rows from an owner that is no superuser;
- `schema_session`: a SQLAlchemy Session on the migrated database, rolled back at the end;
- `owner_conn(url)`: the URL's role seeing every row, rolled back; `bypasses_rls(url)`; `reads_every_row(url)`;
  `without_the_kit(matrix, url)`: an RLS matrix less the kit's own role;
- `insert_row(conn, table, row)`: INSERT ... RETURNING * with identifiers quoted and JSON wrapped;
- `digests(url, schemas)`: row count and a hash of the rows of every table, to compare contents;
- `row_versions(url, schemas)`: every table's columns and row versions, to see that nothing was written;
- `cli(*args)`: the `dbkit` command in process (CliRunner), `cli_process(*args)` in a subprocess;
- `mermaid_parse(texts)`: Mermaid's own parser under Node, one process per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from dbkit import registry
from dbkit.db import lift_forced_rls

MERMAID = Path(__file__).resolve().parent.parent / ".tools" / "mermaid" / "parse.mjs"


@pytest.fixture
def schema_conn(migrated_db) -> Iterator[Callable[[str], psycopg.Connection]]:
    """A factory: `conn = schema_conn("iris")`; every connection it made is rolled back and closed."""
    opened: list[psycopg.Connection] = []

    def make(schema: str) -> psycopg.Connection:
        from pgvector.psycopg import register_vector

        conn = psycopg.connect(migrated_db)
        register_vector(conn)
        name = registry.find(schema).schema
        conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(name)))
        # As an owner that is no superuser (DATABASE_URL on a managed server), forced policies would hide
        # every row the test writes: lifted for this transaction, which is rolled back.
        lift_forced_rls(conn, [name])
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.rollback()
        conn.close()


@pytest.fixture
def schema_session(migrated_db):
    """A SQLAlchemy Session on the migrated database, rolled back at the end."""
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    import dbkit

    engine = dbkit.engine(migrated_db, poolclass=NullPool)
    with Session(engine) as session:
        lift_forced_rls(session.connection().connection.driver_connection)  # as schema_conn does; rolled back
        yield session
        session.rollback()
    engine.dispose()


@contextmanager
def owner_conn(url: str) -> Iterator[psycopg.Connection]:
    """The URL's role seeing every row (past forced row-level security), in a transaction that is rolled back."""
    from pgvector.psycopg import register_vector

    with psycopg.connect(url, autocommit=True) as conn, conn.transaction(force_rollback=True):
        register_vector(conn)
        lift_forced_rls(conn)
        yield conn


@pytest.fixture
def reads_every_row() -> Iterator[Callable[[str], None]]:
    """`reads_every_row(url)`: for the test, the explorer sees every organization's rows on `url`.

    It bypasses row-level security where the kit may grant it that (the embedded server); elsewhere (an
    ordinary kit role) it reads past it as the owner, as a notebook asks with `explore.read_past_rls()`.
    """
    from dbkit import explore

    urls: list[str] = []

    def on(url: str) -> None:
        explore.read_past_rls(url=url)
        urls.append(url)

    yield on
    for url in urls:
        explore.read_past_rls(False, url=url)


def without_the_kit(matrix: Any, url: str) -> Any:
    """An RLS matrix less the kit's own role: where that role is an ordinary owner (a managed server) RLS binds
    it and the matrix measures it, but the committed snapshot was made where it is a superuser."""
    from dbkit import db

    with db.database(url).connect() as conn:
        me = conn.info.user
    return matrix.only(roles=[name for name, _ in matrix.roles if name != me])


def bypasses_rls(url: str) -> bool:
    """Whether the URL's role skips row-level security (a superuser or BYPASSRLS: the embedded server's)."""
    with psycopg.connect(url) as conn:
        return bool(conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()[0])


def insert_row(conn: psycopg.Connection, table: str, row: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    """INSERT one row (dicts and lists as JSON) and return it as the database stored it."""
    row = {**(row or {}), **values}
    params = [Jsonb(v) if isinstance(v, dict | list) else v for v in row.values()]
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, row)), sql.SQL(", ").join(sql.Placeholder() * len(row))
    )
    cur = conn.execute(query, params)
    return dict(zip([c.name for c in cur.description or []], cur.fetchone() or (), strict=True))


def digests(url: str, schemas: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the multiset of rows' text, per table: equal digests mean equal contents.

    Order-independent (a sum of 64-bit row hashes, not an md5 of the sorted rows) and one query for all
    tables: sorting every row's text (vectors included) cost 0.17 s a time.
    """
    return {name: (count, digest) for name, (_, count, digest) in _per_table(url, schemas, sql.SQL("t::text")).items()}


def row_versions(url: str, schemas: list[str] | None = None) -> dict[str, tuple[str, int, str]]:
    """Per table: its columns, its row count and a hash of its rows' versions (ctid, xmin).

    Equal before and after means nothing was inserted, updated (even to the same values), deleted or rewritten,
    and no column added, dropped or retyped, in between; VACUUM and reads change nothing. For one database over
    time only: two databases with the same rows differ (compare those with `digests`). No row is turned into
    text, vectors included: 6 ms for the seeded schemas, where `digests` takes 60 ms, and the read-only tests
    take one before and after each of their attacks.
    """
    return _per_table(url, schemas, sql.SQL("t.ctid::text || ' ' || t.xmin::text"))


def _per_table(url: str, schemas: list[str] | None, row_text: sql.Composable) -> dict[str, tuple[str, int, str]]:
    """Per table of `schemas` (default: the registry's seeded ones): its columns, its row count and the sum of
    a 64-bit hash of `row_text` (an SQL expression over the row `t`) over its rows, in one query."""
    schemas = schemas or [e.schema for e in registry.with_seed()]
    # Rolled back: past forced row-level security for an owner that is no superuser (see lift_forced_rls)
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction(force_rollback=True):
        lift_forced_rls(conn, schemas)
        tables = conn.execute(
            "SELECT n.nspname, c.relname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '"
            " ORDER BY a.attnum) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p') GROUP BY 1, 2 ORDER BY 1, 2",
            (schemas,),
        ).fetchall()
        if not tables:
            return {}
        each = sql.SQL("SELECT {}, count(*), coalesce(sum(hashtextextended({}, 0)::numeric), 0)::text FROM {} t")
        query = sql.SQL(" UNION ALL ").join(
            each.format(sql.Literal(f"{schema}.{table}"), row_text, sql.Identifier(schema, table)) for schema, table, _ in tables
        )
        columns = {f"{schema}.{table}": names for schema, table, names in tables}
        return {name: (columns[name], count, digest) for name, count, digest in conn.execute(query)}


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.strip().splitlines()


@pytest.fixture
def cli() -> Callable[..., Ran]:
    """Run `dbkit ARGS` in this process, as a terminal would see it (stdout, stderr, exit code)."""
    from click.testing import CliRunner

    from dbkit.cli import app

    def run(*args: str, env: dict[str, str] | None = None) -> Ran:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


def cli_process(*args: str, env: dict[str, str] | None = None, timeout: int = 120) -> Ran:
    """Run `python -m dbkit ARGS` in a subprocess (for what only a real process shows: signals, locks)."""
    done = subprocess.run(
        [sys.executable, "-m", "dbkit", *args], capture_output=True, text=True, timeout=timeout, env=env or os.environ.copy()
    )
    return Ran(done.returncode, done.stdout, done.stderr)


class SqlDir:
    """A throwaway migrations folder; `write("a/0001_x.sql", text)` adds a file under `root`."""

    def __init__(self, root) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str | bytes):
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
        return path


@pytest.fixture
def sql_dir(tmp_path) -> SqlDir:
    return SqlDir(tmp_path / "sql")


@pytest.fixture(scope="session")
def mermaid_parse():
    """Mermaid 11.10's own parser under Node (installed by `make install` into .tools/mermaid)."""
    if not MERMAID.exists():
        if shutil.which("npm"):
            pytest.fail("the Mermaid parser is not installed: run `make install` (npm is there)")
        pytest.skip("no Node.js/npm on this machine: the Mermaid parser cannot run")

    # One Node process for the session (a JSON list per line, its results as a line): each start loads jsdom
    # and Mermaid again, ~0.6 s of CPU.
    node = subprocess.Popen(["node", str(MERMAID)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip

    def parse(texts: list[str]) -> list[dict]:
        assert node.stdin and node.stdout
        node.stdin.write(json.dumps(texts) + "\n")
        node.stdin.flush()
        line = node.stdout.readline()
        assert line, f"the Mermaid parser ended: {node.stderr.read() if node.stderr else ''}"
        return json.loads(line)

    yield parse
    node.stdin.close()  # type: ignore[union-attr]
    try:
        node.wait(timeout=30)
    finally:
        node.kill()
        node.stdout.close()  # type: ignore[union-attr]
        node.stderr.close()  # type: ignore[union-attr]
