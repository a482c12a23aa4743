"""`dbkit seed` across all five schemas: every table filled, identical data for the same seed, all or nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import psycopg
import pytest
from psycopg import sql

from dbkit.migrate import migrate
from dbkit.seed import GENERATORS, SeedError, seed
from dbkit.url import database_of, with_database

SCHEMAS = list(GENERATORS)


def _database(pg_url: str, seeded: dict | None) -> str:
    url = with_database(pg_url, f"dbkit_seed_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_of(url))))
    migrate(url)
    if seeded is not None:
        seed(url, **seeded)
    return url


def _drop(pg_url: str, url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database_of(url))))


def _digests(url: str, schemas=SCHEMAS) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row's text, per table: equal digests mean equal contents."""
    found = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = ANY(%s) "
            "AND table_type = 'BASE TABLE' ORDER BY 1, 2",
            (schemas,),
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} t")
            found[f"{schema}.{table}"] = conn.execute(query.format(sql.Identifier(schema, table))).fetchone()
    return found


@pytest.fixture(scope="module")
def seeded_twice(pg_url, seeded_db):
    """The shared seeded database and a second one seeded the same way (the failure tests may write to it)."""
    second = _database(pg_url, {"seed": 42})
    yield seeded_db, second
    _drop(pg_url, second)


def test_every_table_has_rows(seeded_twice):
    digests = _digests(seeded_twice[0])
    assert len(digests) == 46
    empty = sorted(name for name, (rows, _) in digests.items() if rows == 0)
    assert empty == [], f"empty tables: {', '.join(empty)}"


def test_same_seed_gives_identical_data(seeded_twice):
    first, second = (_digests(url) for url in seeded_twice)
    different = sorted(name for name in first if first[name] != second[name])
    assert different == [], f"tables that differ between two seeds with --seed 42: {different}"


def test_other_seed_gives_other_data(pg_url, seeded_twice):
    other = _database(pg_url, {"seed": 7, "schemas": ["iris", "syris"]})
    try:
        mine, theirs = _digests(seeded_twice[0], ["iris", "syris"]), _digests(other, ["iris", "syris"])
        assert sum(mine[name][1] != theirs[name][1] for name in mine) >= len(mine) - 2
    finally:
        _drop(pg_url, other)


def test_reseeding_replaces_the_data(seeded_twice, pg_url):
    url = _database(pg_url, {"seed": 42, "schemas": ["iris"]})
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM iris.execution_history WHERE status = 'failed'")
        seed(url, ["iris"], seed=42)
        assert _digests(url, ["iris"]) == _digests(seeded_twice[0], ["iris"])
    finally:
        _drop(pg_url, url)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_a_failing_seed_leaves_the_previous_data(pg_url, seeded_twice, monkeypatch, schema):
    import importlib

    module = importlib.import_module(f"dbkit.seed.{GENERATORS[schema]}")
    original = module.generate

    def broken(ctx):
        tables = original(ctx)
        last = next(t for t in reversed(tables) if t.rows)
        last.rows.append(last.rows[0])  # a duplicate primary key, late in the load
        return tables

    url = seeded_twice[1]
    before = _digests(url, [schema])
    monkeypatch.setattr(module, "generate", broken)
    with pytest.raises(psycopg.errors.UniqueViolation):
        seed(url, [schema], seed=99)
    assert _digests(url, [schema]) == before


def test_seeding_an_unmigrated_database_says_what_to_do(fresh_db):
    with pytest.raises(SeedError, match=r"schema iris does not exist: run `dbkit migrate` first"):
        seed(fresh_db, ["iris"])


def test_unknown_schema_and_bad_scale(fresh_db):
    with pytest.raises(SeedError, match="unknown schema 'nope'"):
        seed(fresh_db, ["nope"])
    with pytest.raises(SeedError, match="--scale must be 1 or more"):
        seed(fresh_db, scale=0)


def test_cli_seed(pg_url):
    url = _database(pg_url, None)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dbkit", "seed", "iris", "--url", url], capture_output=True, text=True, env=os.environ
        )
        assert done.returncode == 0, done.stderr
        assert re.search(r"^seeded   iris \(\d+ rows; embeddings: none: no vectors in this schema\)$", done.stdout, re.M)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT seed, scale FROM dbkit.seed_runs WHERE schema = 'iris'").fetchone() == (42, 1)
    finally:
        _drop(pg_url, url)
