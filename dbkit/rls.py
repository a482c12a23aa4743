"""Scope a SQLAlchemy session to one organization: `with org_session(engine, org_id) as s: ...`.

Row-level security in `ibex_core` binds only non-superuser roles, and reads the organization from the
transaction setting `app.current_org_id`. Both are transaction-local, so they are applied at the start
of EVERY transaction of the session (an `after_begin` hook), not once: a `commit()` inside the block
would otherwise continue as the superuser, with every organization visible.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from .errors import DbkitError

__all__ = ["APP_ROLE", "RLSContextError", "async_org_session", "org_session", "scope_session"]

APP_ROLE = "ibex_app"
_SET_ORG = text("SELECT set_config('app.current_org_id', :org, true)")


class RLSContextError(DbkitError):
    """A session is not scoped the way row-level security needs."""


@contextmanager
def org_session(
    bind: Engine | sessionmaker[Session], org_id: uuid.UUID | str, *, role: str = APP_ROLE
) -> Iterator[Session]:
    """Open a Session in a transaction running as `role` with `app.current_org_id` = `org_id`; commits on exit."""
    # Our own factory keeps loaded objects readable after the block; a caller's factory keeps its settings.
    factory = bind if isinstance(bind, sessionmaker) else sessionmaker(bind, expire_on_commit=False)
    with factory() as session:
        scope_session(session, org_id, role=role)
        with session.begin():
            yield session


@asynccontextmanager
async def async_org_session(
    bind: AsyncEngine | async_sessionmaker[AsyncSession], org_id: uuid.UUID | str, *, role: str = APP_ROLE
) -> AsyncIterator[AsyncSession]:
    """Async twin of `org_session`: `async with async_org_session(engine, org_id) as s: ...`."""
    factory = bind if isinstance(bind, async_sessionmaker) else async_sessionmaker(bind, expire_on_commit=False)
    async with factory() as session:
        # Session events are synchronous; the AsyncSession runs them on its sync_session in a greenlet.
        scope_session(session.sync_session, org_id, role=role)
        async with session.begin():
            yield session


def scope_session(session: Session, org_id: uuid.UUID | str, *, role: str = APP_ROLE) -> None:
    """Make each transaction of `session` switch to `role` and set `app.current_org_id`; call before any query."""
    org = _org(org_id)

    def _enter(_session: Session, _transaction: Any, connection: Connection) -> None:
        # SET takes no bind parameters, so the role is quoted as an identifier; the org id is bound.
        quoted = connection.dialect.identifier_preparer.quote(role)
        connection.execute(text(f"SET LOCAL ROLE {quoted}"))
        connection.execute(_SET_ORG, {"org": org})

    event.listen(session, "after_begin", _enter)
    session.info["dbkit.org_id"] = org


def _org(org_id: uuid.UUID | str) -> str:
    try:
        return str(org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id)))
    except ValueError:
        raise RLSContextError(f"org_id {org_id!r} is not a UUID; pass the organization's id") from None
