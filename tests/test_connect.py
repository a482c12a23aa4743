"""One way in: URL resolution order, masking, and working sync and async connections."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

import dbkit
from dbkit import ConfigError, ConnectError, server
from dbkit.url import mask, resolve, sqlalchemy_url, with_database


def test_resolution_order(monkeypatch, pg_url):
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@db.example/x")
    assert resolve("postgresql://arg@h/y") == dbkit.url.Resolved("postgresql://arg@h/y", "argument")
    assert resolve().source == "DATABASE_URL" and resolve().url == "postgresql://env@db.example/x"
    monkeypatch.delenv("DATABASE_URL")
    embedded = resolve()
    assert embedded.source == "embedded" and embedded.url == server.status().url


def test_mask_hides_passwords_only():
    assert mask("postgresql://kit:s3cret@h:5432/db?sslmode=require") == "postgresql://kit:***@h:5432/db?sslmode=require"
    assert mask("postgresql://kit@/db?host=/tmp/x") == "postgresql://kit@/db?host=/tmp/x"


def test_url_forms():
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert with_database("postgresql://u@/db?host=/tmp/x&port=5432", "other") == "postgresql://u@/other?host=/tmp/x&port=5432"


def test_not_a_postgres_url():
    with pytest.raises(ConfigError, match="is not a PostgreSQL URL"):
        resolve("mysql://u:p@h/db")


def test_unreachable_server_names_the_source():
    with pytest.raises(ConnectError, match=r"cannot connect to postgresql://u:\*\*\*@127.0.0.1:1/db \(from argument\)"):
        dbkit.connect("postgresql://u:pw@127.0.0.1:1/db")


def test_connect_registers_vector_and_returns_idle(fresh_db):
    with dbkit.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    with dbkit.connect(fresh_db) as conn:
        assert conn.info.transaction_status.name == "IDLE"
        value = conn.execute("SELECT '[1,2,3]'::vector").fetchone()[0]
        assert value.to_list() == [1.0, 2.0, 3.0]


def test_engine(fresh_db):
    engine = dbkit.engine(fresh_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar() == urlsplit(fresh_db).path.lstrip("/")
    engine.dispose()


async def test_async_engine_and_session(fresh_db):
    engine = dbkit.async_engine(fresh_db)
    factory = dbkit.async_session_factory(engine)
    assert factory.kw["expire_on_commit"] is False and factory.kw["autoflush"] is False
    assert engine.pool._pre_ping is True
    async with factory() as session:
        assert (await session.execute(text("SELECT 41 + 1"))).scalar() == 42
    await engine.dispose()
