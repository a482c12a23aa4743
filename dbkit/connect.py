"""One way in: `connect()` (psycopg), `engine()` and `async_engine()` (SQLAlchemy), on the resolved URL.

All three go through the process's handle for the URL (`dbkit.db.database`): the URL is resolved and
the embedded server started once, pgvector's types are looked up once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .url import Resolved, resolve, sqlalchemy_url

if TYPE_CHECKING:  # SQLAlchemy and pgvector load on first use: the CLI's server commands need neither
    import psycopg
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

__all__ = ["async_engine", "async_session_factory", "connect", "engine"]


def connect(url: str | Resolved | None = None, *, autocommit: bool = True, **kwargs: Any) -> psycopg.Connection:
    """A psycopg connection as the kit's role, pgvector types registered.

    Autocommit by default: a notebook that ran a query and went quiet holds no transaction (and so no
    lock a seed or a migration would wait for). `with conn.transaction(): ...` groups statements.
    """
    from .db import database

    return database(url).connect(autocommit=autocommit, **kwargs)


def engine(url: str | Resolved | None = None, **kwargs: Any) -> Engine:
    """The handle's SQLAlchemy engine on psycopg 3; with keyword arguments, a new one made with them."""
    from .db import database, make_engine

    if kwargs:
        return make_engine(resolve(url), **kwargs)
    return database(url).engine()


def async_engine(url: str | Resolved | None = None, **kwargs: Any) -> AsyncEngine:
    """An async SQLAlchemy engine on psycopg 3, with the seeds' `pool_pre_ping=True`."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from .db import database

    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(sqlalchemy_url(database(url).url), **kwargs)


def async_session_factory(bind: AsyncEngine | str | None = None) -> async_sessionmaker[AsyncSession]:
    """The seeds' session factory: `expire_on_commit=False, autoflush=False`."""
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

    if not isinstance(bind, AsyncEngine):
        bind = async_engine(bind)
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)
