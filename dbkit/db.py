"""One handle per database per process: resolve once, register types once, reuse the reader connection.

`database(url)` returns the process's `Database` for a URL (explicit, `DATABASE_URL`, or the embedded
server, started once). It opens the kit's own connections (`connect()`, `engine()`) and runs every read
the exploring helpers do (`reading()`): on one reused connection that logs in as `dbkit_reader`, each
call one READ ONLY transaction that is always rolled back and followed by `DISCARD ALL`, so nothing a
statement sets (a role, a setting, an advisory lock) outlives it. Each statement is parsed first: one
statement, and a read (`dbkit.sqltext.one_read`), or nothing is sent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, ConnectError, ReadOnlyError, UsageError, database_error
from .url import Resolved, libpq_url, mask, mask_text, resolve, sqlalchemy_url, sqlite_path

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy import Engine

__all__ = ["BYPASSES_RLS", "Database", "Reader", "Rows", "database", "forget", "lift_forced_rls", "past_forced_rls", "scalar"]

_log = logging.getLogger("dbkit")
_HANDLES: dict[tuple[str, str], Database] = {}
_GUARD = threading.Lock()
# Settings a read may not change even for its own transaction: they are the walls around it.
# Whether the current role skips row-level security (the one way the kit asks it)
BYPASSES_RLS = "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
# Server functions that act on other sessions of the same role (the rest need superuser or a pg_signal_* role)
_SIGNALS = {"pg_terminate_backend", "pg_cancel_backend", "pg_log_backend_memory_contexts", "pg_signal_backend"}
_WALLS = {"role", "session_authorization", "transaction_read_only", "default_transaction_read_only", "search_path"}


@dataclass(frozen=True)
class Rows:
    """What a read returned: column names, the server's type names for them, the rows."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def _self_grant(conn: psycopg.Connection) -> None:
    """Roles the kit's role creates (dbkit_reader, ibex_app, the tenants, audit_writer) grant it their membership.

    Since PostgreSQL 16 a CREATEROLE user gets only ADMIN on the roles it creates, not membership: the kit
    could not SET ROLE to them (the RLS matrix measures ibex_tenant so) nor end their sessions when it drops
    a database. `createrole_self_grant` is PostgreSQL's own switch for it; a superuser needs none.
    """
    if conn.info.server_version < 160000 or conn.info.parameter_status("is_superuser") == "on":
        return
    conn.execute("SET createrole_self_grant = 'set, inherit'")
    if not conn.autocommit:
        conn.commit()  # SET in a transaction that is rolled back would be undone


class Database:
    """The kit's view of one database: its URL, its own connections, and the read-only path."""

    def __init__(self, target: Resolved) -> None:
        self.target = target
        self._lock = threading.RLock()
        self._reader: Any = None
        self._reader_is_admin = False
        self._reader_bypasses: bool | None = None
        self.past_rls = False  # `explore.read_past_rls()` turns it on for the process's reads of this database
        self._types: Any = None  # a psycopg AdaptersMap with pgvector's types, once the extension exists
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        return f"Database({self.masked} from {self.source})"

    @property
    def url(self) -> str:
        return self.target.url

    @property
    def masked(self) -> str:
        return self.target.masked

    @property
    def source(self) -> str:
        return self.target.source

    @property
    def is_sqlite(self) -> bool:
        return self.target.is_sqlite

    # -- the kit's own connections (they may write) -------------------------------------------

    def connect(self, *, autocommit: bool = True, application_name: str = "dbkit", **kwargs: Any) -> psycopg.Connection:
        """A new psycopg connection as the URL's role; autocommit by default, so nothing sits idle in a transaction."""
        self._require_postgres("connect")
        conn = self._open(self.url, autocommit=autocommit, application_name=application_name, **kwargs)
        _self_grant(conn)
        return conn

    def engine(self) -> Engine:
        """The handle's SQLAlchemy engine (psycopg 3, `pool_pre_ping`), created once."""
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.target)
            return self._engine

    def forget_types(self) -> None:
        """After `CREATE EXTENSION vector`: look the types up again on the next connection."""
        self._types = None

    # -- reads ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self, settings: dict[str, str] | None = None, *, past_rls: bool | None = None) -> Iterator[Reader]:
        """One READ ONLY transaction on the reader connection; rolled back and discarded at the end.

        `past_rls` (default: the handle's `past_rls`, off): see every row, as the explorer does where it has
        BYPASSRLS (the kit's role is a superuser, as on the embedded server). Where it has not (a managed
        server, whose kit role may not grant it), the read runs as the kit's role, the tables' owner, with
        FORCE ROW LEVEL SECURITY lifted in a READ ONLY transaction that is rolled back: still one parsed read,
        but holding the forced tables' ACCESS EXCLUSIVE locks while it runs, so only on request.
        """
        import psycopg

        with self._lock:
            if self.is_sqlite:
                with _sqlite_reader(self.url) as reader:
                    yield reader
                return
            if (self.past_rls if past_rls is None else past_rls) and not self.reader_bypasses_rls():
                with self._reading_as_owner(settings) as reader:
                    yield reader
                return
            with contextlib.ExitStack() as after, contextlib.ExitStack() as transaction:
                conn = self._begin(transaction)
                after.callback(self._discard, conn)  # runs once the transaction has rolled back
                try:
                    reader = Reader(conn)
                    for name, value in (settings or {}).items():
                        reader.set(name, value)
                    yield reader
                except psycopg.Error as exc:
                    if conn.broken:
                        self._reader = None
                        raise ConnectError(f"lost the connection to {self.masked}: {mask_text(str(exc).strip())}") from None
                    raise database_error(exc) from None

    def reader_bypasses_rls(self) -> bool:
        """Whether the explorer sees rows that row-level security hides (superuser or BYPASSRLS)."""
        with self._lock:
            if self._reader_bypasses is None:
                with self.reading(past_rls=False) as reader:
                    self._reader_bypasses = bool(reader.query(BYPASSES_RLS).rows[0][0])
            return self._reader_bypasses

    @contextlib.contextmanager
    def _reading_as_owner(self, settings: dict[str, str] | None) -> Iterator[Reader]:
        import psycopg

        from .locks import lock_timeout

        with self.connect(application_name="dbkit reader past RLS") as conn:
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout(),))
                    lift_forced_rls(conn)
                    conn.execute("SET TRANSACTION READ ONLY")  # allowed after queries: only READ WRITE is not
                    reader = Reader(conn, as_owner=True)
                    for name, value in (settings or {}).items():
                        reader.set(name, value)
                    yield reader
            except psycopg.Error as exc:
                raise database_error(exc, doing="reading past row-level security as the tables' owner") from None

    def _begin(self, stack: contextlib.ExitStack) -> psycopg.Connection:
        """Open the READ ONLY transaction; a reader connection the server dropped is replaced once."""
        import psycopg

        for attempt in (1, 2):
            conn = self._reader_connection()
            try:
                stack.enter_context(conn.transaction(force_rollback=True))
                return conn
            except psycopg.OperationalError:
                self._reader = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _discard(self, conn: psycopg.Connection) -> None:
        if not conn.closed and not conn.broken:
            conn.execute("DISCARD ALL")  # advisory locks, prepared statements, LISTEN, settings: gone

    def _reader_connection(self) -> psycopg.Connection:
        if self._reader is not None and not self._reader.closed and not self._reader.broken:
            return self._reader
        self._reader, self._reader_is_admin = self._open_reader()
        self._reader_bypasses = None
        self._reader.read_only = True
        self._reader.prepare_threshold = None  # DISCARD ALL drops prepared statements: never prepare
        return self._reader

    def _open_reader(self) -> tuple[psycopg.Connection, bool]:
        """Log in as dbkit_reader (creating it once); a kit role that is no superuser may read as itself."""
        import psycopg

        from . import roles

        override = os.environ.get("DBKIT_READER_URL", "").strip()
        if override:
            return self._open(override, autocommit=True, application_name="dbkit reader"), False
        with self.connect(application_name="dbkit setup") as admin:
            powerful = scalar(
                admin,
                "SELECT rolsuper OR pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') "
                "OR pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') FROM pg_roles WHERE rolname = current_user",
            )
            try:
                roles.ensure_reader(admin)
            except ConnectError:
                if powerful:
                    raise
                return self._open(self.url, autocommit=True, application_name="dbkit reader"), True
            url = roles.login_url(self.url, roles.READER)
            try:
                return self._open(url, autocommit=True, application_name="dbkit reader"), False
            except ConnectError:
                # The password the kit derives changed (or was never set): set it, then log in again.
                roles.set_password(admin, roles.READER, roles.derived_password(self.url, roles.READER))
                try:
                    return self._open(url, autocommit=True, application_name="dbkit reader"), False
                except ConnectError as exc:
                    if powerful:
                        raise ConnectError(
                            f"cannot log in as {roles.READER} ({exc}); put the password in the URL, or set DBKIT_READER_URL"
                        ) from None
                    _log.info("reading as the kit's own role: %s cannot log in", roles.READER)
                    return self._open(self.url, autocommit=True, application_name="dbkit reader"), True
            except psycopg.Error as exc:
                raise database_error(exc, doing=f"preparing {roles.READER}") from None

    # -- plumbing ------------------------------------------------------------------------------

    def _open(self, url: str, **kwargs: Any) -> psycopg.Connection:
        import psycopg

        try:
            conn = psycopg.connect(libpq_url(url), context=self._types, **kwargs)
        except psycopg.ProgrammingError as exc:  # libpq refused the URL itself
            raise ConfigError(f"{mask(url)} is not a valid PostgreSQL URL: {mask_text(str(exc).strip())}") from None
        except psycopg.OperationalError as exc:
            raise _connect_error(self.target, url, exc) from None
        if self._types is None:
            self._register_vector(conn)
        return conn

    def _register_vector(self, conn: psycopg.Connection) -> None:
        from pgvector.psycopg import register_vector
        from psycopg.adapt import AdaptersMap

        try:
            register_vector(conn)
        except Exception:  # no `vector` extension in this database (yet): nothing to register
            conn.rollback() if not conn.autocommit else None
            return
        self._types = AdaptersMap(conn.adapters)  # later connections copy these instead of asking again
        if not conn.autocommit:
            conn.rollback()  # the type lookup opened a transaction; hand the connection back idle

    def _require_postgres(self, what: str) -> None:
        if self.is_sqlite:
            raise UsageError(f"{what} needs PostgreSQL, and {self.masked} is SQLite; pass a postgresql:// URL")

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


class Reader:
    """Inside `Database.reading()`: `query()` runs one read-only statement and returns `Rows`."""

    def __init__(self, conn: Any, *, as_owner: bool = False) -> None:
        self.conn = conn
        self.as_owner = as_owner  # a read past RLS: the session is the kit's own role, not dbkit_reader

    def _check(self, text: str, params: Any) -> None:
        from . import sqltext

        sqltext.one_read(text, has_params=params is not None)
        # As the kit's role, a read could signal the kit's own other sessions (a role may end its own
        # backends), which dbkit_reader, another role, may not: those calls are refused before anything is sent.
        signals = self.as_owner and _SIGNALS & sqltext.functions_called(sqltext.for_parser(text, params is not None))
        if signals:
            raise ReadOnlyError(
                f"{sorted(signals)[0]}() is not allowed in a read past row-level security: it runs as the kit's own "
                "role, whose other sessions it could reach",
                sqlstate="42501",
            )

    def query(self, statement: Any, params: Sequence[Any] | dict[str, Any] | None = None) -> Rows:
        text = statement if isinstance(statement, str) else statement.as_string(self.conn)
        self._check(text, params)
        with self.conn.cursor() as cur:
            cur.execute(text if isinstance(statement, str) else statement, params)
            return self._rows(cur)

    def queries(self, statements: Sequence[tuple[Any, Sequence[Any] | dict[str, Any] | None]]) -> list[Rows]:
        """Several reads at once, each checked as `query` checks it, sent in one round trip (pipeline mode)."""
        texts = [s if isinstance(s, str) else s.as_string(self.conn) for s, _ in statements]
        for text, (_, params) in zip(texts, statements, strict=True):
            self._check(text, params)
        with self.conn.pipeline():
            cursors = [self.conn.cursor() for _ in statements]
            for cur, (statement, params) in zip(cursors, statements, strict=True):
                cur.execute(statement, params)
        return [self._rows(cur) for cur in cursors]

    def _rows(self, cur: Any) -> Rows:
        if cur.description is None:
            return Rows([], [], [])
        types = [
            self.conn.adapters.types.get(c.type_code).name if self.conn.adapters.types.get(c.type_code) else str(c.type_code)
            for c in cur.description
        ]
        return Rows([c.name for c in cur.description], types, cur.fetchall())

    def set(self, name: str, value: str) -> None:
        """A setting for this transaction only (`set_config(name, value, true)`)."""
        if name.lower() in _WALLS:
            raise ReadOnlyError(f"setting {name} is not allowed in a read-only helper; it is part of what keeps it read-only")
        self.conn.execute("SELECT set_config(%s, %s, true)", (name, str(value)))


class _SQLiteReader(Reader):
    """SQLite reads: the file opened read-only (`mode=ro`) and `PRAGMA query_only`."""

    def query(self, statement: Any, params: Sequence[Any] | dict[str, Any] | None = None) -> Rows:
        text = statement if isinstance(statement, str) else str(statement)
        _check_sqlite_read(text)
        try:
            cur = self.conn.execute(text, params or ())
        except sqlite3.Error as exc:
            raise database_error(exc) from None
        names = [d[0] for d in cur.description or []]
        return Rows(names, [""] * len(names), cur.fetchall())

    def queries(self, statements: Sequence[tuple[Any, Sequence[Any] | dict[str, Any] | None]]) -> list[Rows]:
        return [self.query(statement, params) for statement, params in statements]

    def set(self, name: str, value: str) -> None:
        raise UsageError("settings apply to PostgreSQL only")


@contextlib.contextmanager
def _sqlite_reader(url: str) -> Iterator[Reader]:
    path = sqlite_path(url)
    if not path.exists():
        raise ConfigError(f"no SQLite file at {path}; check the path (`dbkit migrate --url sqlite:///{path}` creates one)")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")
        yield _SQLiteReader(conn)
    finally:
        conn.close()


def _check_sqlite_read(text: str) -> None:
    statements = [s for s in _sqlite_split(text) if s.strip(" \n\t;")]
    if len(statements) != 1:
        raise ReadOnlyError(f"the text holds {len(statements)} statements; read-only helpers run exactly one")
    first = statements[0].lstrip().split(None, 1)[0].upper() if statements[0].strip() else ""
    if first not in ("SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA") or (first == "PRAGMA" and "=" in statements[0]):
        raise ReadOnlyError(
            f"{first} is not a read; the read-only helpers run SELECT, WITH, VALUES, EXPLAIN and PRAGMA reads (no `=`)"
        )


def _sqlite_split(text: str) -> list[str]:
    """Statements of SQLite text, split where sqlite3 itself sees a complete statement."""
    out, current = [], ""
    for piece in text.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            out.append(current)
            current = ""
    if current.strip(" \n\t;"):
        out.append(current)
    return out


# Tables whose FORCE ROW LEVEL SECURITY binds the current role: it owns them (or has its owner's privileges) and
# is neither superuser nor BYPASSRLS. Ordered, so that two sessions lifting the same tables lock them in one order.
_FORCED_ON_ME = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND c.relforcerowsecurity
  AND pg_has_role(current_user, c.relowner, 'USAGE')
  AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)
  AND (%(schemas)s::text[] IS NULL OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY 1, 2
"""


def lift_forced_rls(conn: psycopg.Connection, schemas: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """In `conn`'s open transaction, stop FORCE ROW LEVEL SECURITY binding this role, the tables' owner.

    An owner that is neither superuser nor BYPASSRLS (the kit's role on a managed server) sees and writes no
    row of a table whose policies are forced on it, as IBEX's are. This lifts FORCE on those tables (of
    `schemas`, or of every schema) until the transaction ends; the caller rolls it back, or puts FORCE back
    (`past_forced_rls` does) before it commits. ALTER TABLE holds each table's ACCESS EXCLUSIVE lock until
    then, so other sessions wait on those tables meanwhile. Returns the (schema, table) pairs lifted.
    """
    from psycopg import sql

    lifted = [(s, t) for s, t in conn.execute(_FORCED_ON_ME, {"schemas": list(schemas) if schemas else None})]
    for schema, table in lifted:
        conn.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(sql.Identifier(schema, table)))
    return lifted


@contextlib.contextmanager
def past_forced_rls(conn: psycopg.Connection, schemas: Sequence[str] | None = None) -> Iterator[list[tuple[str, str]]]:
    """`lift_forced_rls` for the block, FORCE put back at its end: a commit after it changes no policy."""
    from psycopg import sql

    lifted = lift_forced_rls(conn, schemas)
    yield lifted
    # Not in a `finally`: after an error the transaction is aborted, and its rollback undoes the lift anyway.
    for schema, table in lifted:
        conn.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(sql.Identifier(schema, table)))


def scalar(conn: Any, query: Any, params: Any = None) -> Any:
    """The first column of the first row a statement returns (None when it returns no row)."""
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def database(url: str | Resolved | Database | None = None) -> Database:
    """The process's handle for `url` (explicit, then `DATABASE_URL`, then the embedded server)."""
    if isinstance(url, Database):
        return url
    key = (
        ("resolved", url.url)
        if isinstance(url, Resolved)
        else ("argument", str(url))
        if url
        else ("env", os.environ.get("DATABASE_URL", ""))
    )
    with _GUARD:
        handle = _HANDLES.get(key)
        if handle is None:
            handle = _HANDLES[key] = Database(resolve(url))
        return handle


def forget() -> None:
    """Close and drop every handle (tests, and notebooks that switch servers)."""
    with _GUARD:
        for handle in _HANDLES.values():
            handle.close()
        _HANDLES.clear()


def make_engine(target: Resolved, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine for a resolved URL (SQLite with the SYRIS PRAGMAs)."""
    if target.is_sqlite:
        from .sqlite import engine as sqlite_engine

        return sqlite_engine(target.url, **kwargs)
    import pgvector.sqlalchemy  # noqa: F401  registers `vector` so reflection knows the type
    from sqlalchemy import create_engine

    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"application_name": "dbkit"})
    return create_engine(sqlalchemy_url(target.url), **kwargs)


def _connect_error(target: Resolved, url: str, exc: Exception) -> ConnectError:
    reason = mask_text(" ".join(str(exc).split())) or "unknown error"
    fixes = {
        "DATABASE_URL": "check DATABASE_URL, or unset it to use the embedded server",
        "argument": "check the URL",
        "embedded": "run `dbkit status`, then `dbkit down && dbkit up`",
    }
    return ConnectError(
        f"cannot connect to {mask(url)} (from {target.source}): {reason}; {fixes.get(target.source, 'check the URL')}"
    )
