"""One way in: connections and engines through the process's handle, sync and async."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

import dbkit
from dbkit import ConfigError, ConnectError, db


def test_unreachable_server_names_the_source_and_hides_the_password():
    with pytest.raises(ConnectError, match=r"cannot connect to postgresql://u:\*\*\*@127.0.0.1:1/db \(from argument\)") as caught:
        dbkit.connect("postgresql://u:pw@127.0.0.1:1/db")
    assert "pw" not in str(caught.value)


def test_a_url_libpq_refuses_is_a_config_error():
    with pytest.raises(ConfigError, match="not a valid PostgreSQL URL"):
        dbkit.connect("postgresql://u@h/db?no_such_option=1")


def test_connections_are_autocommit_so_nothing_sits_idle_in_a_transaction(fresh_db):
    with dbkit.connect(fresh_db) as conn:
        conn.execute("SELECT 1")
        assert conn.autocommit and conn.info.transaction_status.name == "IDLE"
        assert conn.execute("SHOW application_name").fetchone()[0] == "dbkit"


def test_vector_types_are_registered_once_then_copied(fresh_db):
    with dbkit.connect(fresh_db) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    handle = db.database(fresh_db)
    handle.forget_types()
    with dbkit.connect(fresh_db) as conn:
        assert conn.execute("SELECT '[1,2,3]'::vector").fetchone()[0].to_list() == [1.0, 2.0, 3.0]
    assert handle._types is not None  # looked up once ...
    with dbkit.connect(fresh_db) as conn:  # ... and the next connection is given them
        assert conn.execute("SELECT '[4,5]'::vector").fetchone()[0].to_list() == [4.0, 5.0]


def test_one_handle_per_url(fresh_db):
    assert db.database(fresh_db) is db.database(fresh_db)
    assert dbkit.engine(fresh_db) is dbkit.engine(fresh_db)


def test_engine(fresh_db):
    engine = dbkit.engine(fresh_db, pool_size=1)
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
