"""dbkit.sqlite: the seed's four PRAGMAs (and recursive_triggers) on every connection, through sqlite3 and SQLAlchemy."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from dbkit import sqlite

# What each PRAGMA reads back as once applied (synchronous NORMAL is 1).
EXPECTED = {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 5000, "recursive_triggers": 1}


def _pragmas(execute) -> dict:
    return {name: execute(f"PRAGMA {name}") for name in EXPECTED}


def test_pragmas_are_the_seeds_four_and_recursive_triggers():
    assert dict(sqlite.PRAGMAS) == {
        "journal_mode": "WAL",
        "synchronous": "NORMAL",
        "foreign_keys": "ON",
        "busy_timeout": "5000",
        "recursive_triggers": "ON",  # so REPLACE fires the append-only audit log's DELETE trigger
    }


def test_connect_applies_the_pragmas_on_every_connection(tmp_path):
    path = tmp_path / "syris.db"
    first, second = sqlite.connect(path), sqlite.connect(path)
    try:
        for conn in (first, second):
            assert _pragmas(lambda q: conn.execute(q).fetchone()[0]) == EXPECTED
    finally:
        first.close()
        second.close()


def test_connect_leaves_transactions_to_the_caller(tmp_path):
    conn = sqlite.connect(tmp_path / "syris.db")
    try:
        assert conn.isolation_level is None
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert not conn.in_transaction  # autocommit: no implicit BEGIN
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (2)")
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    finally:
        conn.close()


def test_foreign_keys_are_enforced(tmp_path):
    conn = sqlite.connect(tmp_path / "syris.db")
    try:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY constraint failed"):
            conn.execute("INSERT INTO child VALUES (42)")
    finally:
        conn.close()


@pytest.mark.parametrize("form", ["path", "str", "url"])
def test_engine_applies_the_pragmas_on_every_connection(tmp_path, form):
    path = tmp_path / "syris.db"
    target = {"path": path, "str": str(path), "url": f"sqlite:///{path}"}[form]
    engine = sqlite.engine(target)
    try:
        # Two connections held at once: the pool must open two DBAPI connections.
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert _pragmas(lambda q: conn.exec_driver_sql(q).scalar()) == EXPECTED
        assert engine.url.database == str(path)
    finally:
        engine.dispose()


def test_engine_is_a_sqlalchemy_engine(tmp_path):
    engine = sqlite.engine(tmp_path / "syris.db")
    try:
        assert isinstance(engine, sa.Engine)
        assert engine.dialect.name == "sqlite"
    finally:
        engine.dispose()
