"""IBEX's row-level security on the app path: sessions that log in AS the application, scoped to one organization.

Row-level security in `ibex_core` binds roles that are neither superuser nor BYPASSRLS, and its policies
read the organization from the transaction setting `app.current_org_id` (seed 001's pattern). So:

- `app_engine()` logs in as `ibex_app` itself (a login role), never as the kit's superuser with
  `SET ROLE`: `RESET ROLE` and `SET ROLE postgres` then have nothing to return to.
- `org_session(engine, org_id)` sets `app.current_org_id` at the start of EVERY transaction of the
  session (an `after_begin` hook), since the setting is transaction-local.

The seed's pattern trusts application code with the setting: code that runs
`set_config('app.current_org_id', <another org>, true)` reads that organization. The hardened variant
binds the organization to the connection instead: `tenant_engine(org_id)` logs in as a role of its own
(`ibex_org_<org id>`, a member of `ibex_tenant`), and the policies of `sql/ibex/0006_tenant_binding.sql`
compare each row with the organization that role is bound to, whatever the setting says.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from . import roles
from .db import BYPASSES_RLS, database, make_engine
from .errors import RLSContextError
from .url import Resolved

__all__ = [
    "APP_ROLE",
    "TENANT_GROUP",
    "app_engine",
    "async_app_engine",
    "async_org_session",
    "org_session",
    "scope_session",
    "tenant_engine",
    "tenant_role",
    "tenant_roles",
]  # fmt: skip

APP_ROLE = "ibex_app"
TENANT_GROUP = "ibex_tenant"  # every per-organization login role is a member (sql/ibex/0006_tenant_binding.sql)
_SET_ORG = text("SELECT set_config('app.current_org_id', :org, true)")
_BYPASSES = text(BYPASSES_RLS)


def app_engine(url: Any = None, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine that logs in as `ibex_app` on the kit's database (created once, LOGIN ensured)."""
    return make_engine(Resolved(_login(url, APP_ROLE), "argument"), **kwargs)


def async_app_engine(url: Any = None, **kwargs: Any) -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine

    from .url import sqlalchemy_url

    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(sqlalchemy_url(_login(url, APP_ROLE)), **kwargs)


def tenant_role(org_id: uuid.UUID | str) -> str:
    """The login role bound to one organization: `ibex_org_<32 hex digits>`."""
    return f"ibex_org_{uuid.UUID(_org(org_id)).hex}"


def tenant_engine(org_id: uuid.UUID | str, url: Any = None, **kwargs: Any) -> Engine:
    """An engine that logs in as the organization's own role: it sees that organization only, whatever it sets."""
    return make_engine(Resolved(_tenant_login(database(url), org_id), "argument"), **kwargs)


def tenant_roles(url: Any = None) -> list[str]:
    """The login role of every organization in the database, each created (with its password) where missing.

    For measuring what each tenant may do (`dbkit.rlsmatrix.compute("ibex_core", logins=tenant_roles())`).
    """
    db = database(url)
    with db.reading(past_rls=True) as reader:  # every organization, also where the explorer may not bypass RLS
        ids = [row[0] for row in reader.query("SELECT id FROM ibex_core.organizations ORDER BY id").rows]
    for org_id in ids:
        _tenant_login(db, org_id)
    return [tenant_role(org_id) for org_id in ids]


def _tenant_login(db: Any, org_id: uuid.UUID | str) -> str:
    """Create the organization's login role once (a member of ibex_tenant); its login URL."""
    role = tenant_role(org_id)
    with db.connect(application_name="dbkit setup") as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            from psycopg import errors, sql

            try:
                admin.execute(
                    sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(sql.Identifier(role), sql.Identifier(TENANT_GROUP))
                )
            except (errors.DuplicateObject, errors.UniqueViolation):
                pass
            except errors.UndefinedObject:
                raise RLSContextError(f"role {TENANT_GROUP} does not exist: run `dbkit migrate ibex` first") from None
    return _login(db, role)


@contextmanager
def org_session(bind: Engine | sessionmaker[Session], org_id: uuid.UUID | str) -> Iterator[Session]:
    """A Session in one transaction with `app.current_org_id` = `org_id`, on an app-role engine; commits on exit."""
    # Our own factory keeps loaded objects readable after the block; a caller's factory keeps its settings.
    factory = bind if isinstance(bind, sessionmaker) else sessionmaker(bind, expire_on_commit=False)
    with factory() as session:
        scope_session(session, org_id)
        with session.begin():
            yield session


@asynccontextmanager
async def async_org_session(
    bind: AsyncEngine | async_sessionmaker[AsyncSession], org_id: uuid.UUID | str
) -> AsyncIterator[AsyncSession]:
    """Async twin of `org_session` (the same hook, on the AsyncSession's sync_session)."""
    factory = bind if isinstance(bind, async_sessionmaker) else async_sessionmaker(bind, expire_on_commit=False)
    async with factory() as session:
        scope_session(session.sync_session, org_id)
        async with session.begin():
            yield session


def scope_session(session: Session, org_id: uuid.UUID | str) -> None:
    """Make each transaction of `session` set `app.current_org_id`; refuse a role that bypasses RLS."""
    org = _org(org_id)

    def _enter(_session: Session, _transaction: Any, connection: Connection) -> None:
        if connection.execute(_BYPASSES).scalar():
            user = connection.execute(text("SELECT current_user")).scalar()
            raise RLSContextError(
                f"this engine logs in as {user}, which bypasses row-level security; use dbkit.rls.app_engine() or tenant_engine()"
            )
        connection.execute(_SET_ORG, {"org": org})

    event.listen(session, "after_begin", _enter)
    session.info["dbkit.org_id"] = org


def _login(url: Any, role: str) -> str:
    """A URL that logs in as `role`: LOGIN ensured, and the password the kit derives set when it has one."""
    db = database(url)
    password = roles.derived_password(db.url, role)
    with db.connect(application_name="dbkit setup") as admin:
        roles.ensure_login(admin, role)
        if password:
            roles.set_password(admin, role, password)
    return roles.login_url(db.url, role)


def _org(org_id: uuid.UUID | str) -> str:
    try:
        return str(org_id if isinstance(org_id, uuid.UUID) else uuid.UUID(str(org_id)))
    except ValueError:
        raise RLSContextError(f"org_id {org_id!r} is not a UUID; pass the organization's id") from None
