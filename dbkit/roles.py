"""The kit's login roles: `dbkit_reader` for exploring, and any role the kit must log in as (`ibex_app`).

Read-only must be enforced by the database, not requested, so the exploring helpers do not run as the
kit's own (often superuser) role with `SET ROLE`: a statement could `RESET ROLE` out of it. They log
in as `dbkit_reader`, which holds no superuser power: `pg_read_all_data` (or, where the kit may not
grant that, SELECT on what the kit's role owns), `BYPASSRLS` where the kit may grant it (an explorer
sees every organization's rows), and nothing else: no `COPY ... TO PROGRAM`, no server files.

Passwords: on the embedded server these roles come in through the private unix socket and need none.
Elsewhere a role's password is derived from the kit's own (HMAC-SHA256 of the role's name keyed by
the kit's password), so it is never stored, and set on the role when a login is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from urllib.parse import parse_qsl, unquote, urlsplit

from psycopg import errors, sql

from .db import scalar
from .errors import ConnectError
from .url import with_user

__all__ = ["READER", "derived_password", "ensure_login", "ensure_reader", "login_url", "set_password"]

READER = "dbkit_reader"
_DUPLICATE = (errors.DuplicateObject, errors.UniqueViolation)  # two processes creating one role at once


def derived_password(admin_url: str, role: str) -> str | None:
    """The password the kit gives `role` on the server of `admin_url`; None when the kit has none itself."""
    parts = urlsplit(admin_url)
    secret = unquote(parts.password or "") or dict(parse_qsl(parts.query)).get("password") or os.environ.get("PGPASSWORD", "")
    if not secret:
        return None
    return hmac.new(secret.encode(), f"dbkit:{role}".encode(), hashlib.sha256).hexdigest()


def login_url(admin_url: str, role: str) -> str:
    """`admin_url` as `role`, with the password the kit derives for it (if any)."""
    return with_user(admin_url, role, derived_password(admin_url, role))


def ensure_reader(conn) -> None:
    """Create `dbkit_reader` once per cluster and give it read access; `conn` is the kit's own, autocommit."""
    me = conn.execute("SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
    superuser, bypass, createrole = me
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [READER]).fetchone()
    if not exists:
        if not (superuser or createrole):
            raise ConnectError(f"the kit's role may not create {READER} (it needs CREATEROLE); reading as the kit's role")
        options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
        options += " BYPASSRLS" if superuser or bypass else ""
        try:
            conn.execute(sql.SQL("CREATE ROLE {} " + options).format(sql.Identifier(READER)))
        except _DUPLICATE:
            pass
    try:
        _grant_reads(conn, superuser)
    except errors.InsufficientPrivilege:
        if superuser:
            raise  # a superuser may grant anything: this is not a matter of rights


def ensure_login(conn, role: str) -> None:
    """Let an existing role log in (`ALTER ROLE ... LOGIN`); the kit's role needs CREATEROLE or superuser."""
    if not scalar(conn, "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [role]):
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(role)))


def set_password(conn, role: str, password: str | None) -> None:
    if password:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))


def _grant_reads(conn, superuser: bool) -> None:
    granted = scalar(conn, "SELECT pg_has_role(%s, 'pg_read_all_data', 'MEMBER')", [READER])
    if granted:
        return
    try:
        with conn.transaction():
            conn.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(READER)))
        return
    except errors.InsufficientPrivilege:
        if superuser:
            raise
    # A kit role that may not hand out pg_read_all_data (PostgreSQL 16+ wants ADMIN on it) grants what it
    # owns: existing schemas and tables now, future ones through default privileges.
    reader = sql.Identifier(READER)
    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO {}").format(reader))
    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {}").format(reader))
    owned = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ).fetchall()
    for (schema,) in owned:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), reader))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sql.Identifier(schema), reader))
