"""One way in: `connect()` (psycopg), `engine()` and `async_engine()` (SQLAlchemy), on the resolved URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg

from .errors import ConnectError
from .url import Resolved, resolve, sqlalchemy_url

if TYPE_CHECKING:  # SQLAlchemy and pgvector load on first use: the CLI's server commands need neither
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

__all__ = ["connect", "engine", "async_engine", "async_session_factory"]


def connect(url: str | Resolved | None = None, *, autocommit: bool = False, **kwargs: Any) -> psycopg.Connection:
    """Open a psycopg connection (pgvector types registered when the extension exists)."""
    target = resolve(url)
    try:
        conn = psycopg.connect(target.url, autocommit=autocommit, **kwargs)
    except psycopg.Error as exc:
        raise _connect_error(target, exc) from None
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except psycopg.ProgrammingError:
        pass  # no `vector` extension in this database (yet): nothing to register
    if not autocommit:
        conn.rollback()  # the type lookup opened a transaction; hand the connection back idle
    return conn


def engine(url: str | None = None, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine on psycopg 3; keyword arguments go to `create_engine`."""
    from sqlalchemy import create_engine

    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(sqlalchemy_url(resolve(url).url), **kwargs)


def async_engine(url: str | None = None, **kwargs: Any) -> AsyncEngine:
    """An async SQLAlchemy engine on psycopg 3, with the seeds' `pool_pre_ping=True`."""
    from sqlalchemy.ext.asyncio import create_async_engine

    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(sqlalchemy_url(resolve(url).url), **kwargs)


def async_session_factory(bind: AsyncEngine | str | None = None) -> async_sessionmaker[AsyncSession]:
    """The seeds' session factory: `expire_on_commit=False, autoflush=False`."""
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

    if not isinstance(bind, AsyncEngine):
        bind = async_engine(bind)
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)


def _connect_error(target: Resolved, exc: psycopg.Error) -> ConnectError:
    reason = " ".join(str(exc).split()) or "unknown error"
    fixes = {
        "DATABASE_URL": "check DATABASE_URL, or unset it to use the embedded server",
        "argument": "check the URL",
        "embedded": "run `dbkit status`, then `dbkit down && dbkit up`",
    }
    return ConnectError(f"cannot connect to {target.masked} (from {target.source}): {reason}; {fixes[target.source]}")
