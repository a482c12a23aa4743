"""Who sees what under row-level security: for each role × organization × table, the rows a SELECT sees and
the rows an UPDATE and a DELETE would touch, measured on the live data.

Nothing here knows a schema. `compute(schema)` reads from the catalog:

- the tables with row-level security enabled;
- the roles RLS binds: those granted SELECT, UPDATE or DELETE on them that are neither superuser nor
  BYPASSRLS (plus any login roles passed as `logins`, such as IBEX's per-organization tenants, which hold
  their rights through a group role);
- the settings the policies read: `current_setting('NAME', ...)`, parsed out of each policy's USING and
  WITH CHECK with PostgreSQL's own parser, and the column each is compared with;
- the organizations: the values of the key those comparisons point at (the table whose primary key a
  policy compares with the setting, `organizations.id`, or the table the compared columns reference).

Then, for each role, and for "no organization set" and each organization: one transaction that sets the
settings to the organization (`set_config(..., true)`, as an application does), counts `SELECT count(*)`,
and runs `UPDATE ... SET col = col` and `DELETE` each inside a savepoint that is rolled back, reading the
row counts; the transaction itself is rolled back too, so no row is changed. (The rolled-back UPDATEs do leave
dead row versions and index entries until autovacuum passes: plans on a small table may differ for a while.) A role that can log in is
measured on a connection that logs in as it, the way an application connects: a policy may read
`session_user` (IBEX's tenant binding does), which `SET ROLE` from the kit's own connection would not
change. A group role that cannot log in is measured with `SET LOCAL ROLE` from the kit's connection.

The matrix is kept as a committed snapshot (`save()` / `load()`); `differences(snapshot, now)` says which
cells changed, widened access first, so a policy change that lets a role see more fails a test.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import sql

from . import catalog, roles
from .catalog import Policy, Schema, Table
from .db import Database, database, lift_forced_rls
from .errors import ConnectError, NotFoundError, UsageError
from .locks import lock_timeout
from .url import Resolved

if TYPE_CHECKING:
    import pandas as pd
    import psycopg

__all__ = ["Cell", "Matrix", "compute", "differences", "load", "save", "settings_compared"]

MAX_ORGS = 20  # organizations measured at most (sorted by label): the matrix grows with roles × orgs × tables
_LABELS = ("name", "slug", "title", "label", "display_name")  # a readable label for an organization, when its table has one
_TEXT = ("text", "varchar", "char", "citext", "name")
_OPERATIONS = ("select", "update", "delete")


@dataclass(frozen=True)
class Cell:
    """What one role, with the settings set to one organization (None: nothing set), may do to one table.

    Each count is an int, None when the role holds no such privilege, or `"error SQLSTATE"` when the
    statement fails (a trigger refuses it, WITH CHECK rejects the unchanged row, ...).
    """

    role: str
    org: str | None
    table: str
    select: int | str | None
    update: int | str | None
    delete: int | str | None

    def row(self) -> list[Any]:
        return [self.role, self.org, self.table, self.select, self.update, self.delete]


@dataclass(frozen=True)
class Matrix:
    schema: str
    settings: tuple[str, ...]  # the settings the policies read (those compared with the key are set per organization)
    key: str | None  # the organization key, `table.column`
    orgs: tuple[tuple[str, str], ...]  # (label, key value), in order
    roles: tuple[tuple[str, str], ...]  # (role, how it was measured: "login" or "SET ROLE")
    tables: tuple[str, ...]
    cells: tuple[Cell, ...]

    def cell(self, role: str, org: str | None, table: str) -> Cell:
        for found in self.cells:
            if (found.role, found.org, found.table) == (role, org, table):
                return found
        raise NotFoundError(f"the matrix has no cell for role {role}, organization {org}, table {table}")

    def frame(self, operation: str | None = None) -> pd.DataFrame:
        """One row per role × organization, one column per table: `SELECT · UPDATE · DELETE` (— no privilege),
        or only `operation`'s counts."""
        from .display import Result

        if operation not in (None, *_OPERATIONS):
            raise UsageError(f"operation must be one of {', '.join(_OPERATIONS)}, not {operation!r}")
        via = dict(self.roles)
        rows: dict[tuple[str, str | None], dict[str, Any]] = {}
        for c in self.cells:
            row = rows.setdefault(
                (c.role, c.org), {"role": c.role, "via": via.get(c.role, ""), "organization": c.org or "(none set)"}
            )
            row[c.table] = getattr(c, operation) if operation else " · ".join(_shown(getattr(c, op)) for op in _OPERATIONS)
        return Result(list(rows.values()), columns=["role", "via", "organization", *self.tables])

    def only(self, *, tables: Iterable[str] | None = None, roles: Iterable[str] | None = None) -> Matrix:
        """The part of the matrix for some tables and roles (to compare with a matrix measured on fewer)."""
        keep_tables = set(tables) if tables is not None else set(self.tables)
        keep_roles = set(roles) if roles is not None else {name for name, _ in self.roles}
        return replace(
            self,
            roles=tuple((n, how) for n, how in self.roles if n in keep_roles),
            tables=tuple(t for t in self.tables if t in keep_tables),
            cells=tuple(c for c in self.cells if c.table in keep_tables and c.role in keep_roles),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "settings": list(self.settings),
            "key": self.key,
            "organizations": dict(self.orgs),
            "roles": dict(self.roles),
            "tables": list(self.tables),
            "columns": ["role", "organization", "table", *_OPERATIONS],
            "cells": [c.row() for c in self.cells],
        }

    def to_json(self) -> str:
        """Stable text for a committed snapshot: the header indented, one cell per line."""
        data = self.as_dict()
        lines = []
        for key, value in data.items():
            if isinstance(value, dict):  # one entry per line
                inner = ",\n".join(
                    f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()
                )
                lines.append(f' "{key}": {{\n{inner}\n }}' if value else f' "{key}": {{}}')
            elif key == "cells":  # one cell per line
                rows = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in value)
                lines.append(f' "{key}": [\n{rows}\n ]')
            else:
                lines.append(f' "{key}": {json.dumps(value, ensure_ascii=False)}')
        return "{\n" + ",\n".join(lines) + "\n}\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Matrix:
        return cls(
            data["schema"], tuple(data["settings"]), data["key"], tuple(data["organizations"].items()),
            tuple(data["roles"].items()), tuple(data["tables"]), tuple(Cell(*row) for row in data["cells"]),
        )  # fmt: skip


# -- computing -----------------------------------------------------------------------------------


def compute(schema: str, url: Any = None, *, logins: Iterable[str] = (), tables: Iterable[str] | None = None,
            max_orgs: int = MAX_ORGS) -> Matrix:  # fmt: skip
    """Measure the matrix of `schema` (its RLS tables, or those of `tables`) on the live data; changes nothing."""
    db = database(url)
    if db.is_sqlite:
        raise UsageError("row-level security is PostgreSQL's: pass a postgresql:// URL")
    live = catalog.schema(schema, db)
    secured = [t for t in live.tables if t.rls_enabled and t.kind in ("table", "partitioned table")]
    if not secured:
        raise UsageError(f"schema {live.name} has no table with row-level security enabled: nothing to measure")
    wanted = list(tables) if tables is not None else None
    for name in wanted or ():
        if not live.table(name).rls_enabled:  # NotFoundError names the schema's tables
            raise UsageError(f"table {live.name}.{name} has no row-level security enabled: every role sees every row it may read")
    # The organizations come from every secured table's policies, whichever tables are measured.
    compared = [(t, column, setting) for t in secured for p in t.policies for column, setting in _policy_comparisons(p)]
    settings = tuple(sorted({s for t in secured for p in t.policies for s in _policy_settings(p)}))
    tables_measured = [t for t in secured if wanted is None or t.name in wanted]
    key = _tenant_key(live, compared)
    org_settings = _org_settings(compared, key)
    orgs = _organizations(db, live, key, compared, max_orgs)
    asked = list(logins)
    measured = _roles(db, tables_measured, asked)
    cells: list[Cell] = []
    via: list[tuple[str, str]] = []
    with db.connect(application_name="dbkit rls matrix") as admin:
        for role in measured:
            how, conn = _connect(db, admin, role, set(asked))
            via.append((role.name, how))
            set_role = role.name if how == "SET ROLE" else None
            try:
                allowed = _privileges(conn, set_role, tables_measured)
                for label, value in [(None, None), *orgs]:
                    cells += _measure(conn, set_role, org_settings, label, value, tables_measured, allowed)
            finally:
                if conn is not admin:
                    conn.close()
    key_text = f"{key[0].name}.{key[1]}" if key else None
    return Matrix(live.name, settings, key_text, tuple((label, value) for label, value in orgs), tuple(via),
                  tuple(t.name for t in tables_measured), tuple(cells))  # fmt: skip


def _roles(db: Database, tables: list[Table], logins: list[str]) -> list[catalog.Role]:
    """The roles RLS binds that hold a privilege the matrix measures, then the logins asked for, by name."""
    # PUBLIC is no role to log in as; the kit's explorer reads for people, not for an application (and has
    # BYPASSRLS where the kit may grant it, but SELECT on each table where it may not grant pg_read_all_data).
    granted = {g.grantee for t in tables for g in t.grants if g.privilege in ("SELECT", "UPDATE", "DELETE")} - {
        "public",
        roles.READER,
    }
    found = {r.name: r for r in catalog.roles(db, sorted(granted | set(logins)))}
    missing = [name for name in logins if name not in found]
    if missing:
        raise NotFoundError(f"role {missing[0]} does not exist; pass existing login roles as logins")
    bypass = [name for name in logins if found[name].bypasses_rls]
    if bypass:
        raise UsageError(f"role {bypass[0]} is a superuser or has BYPASSRLS: row-level security does not apply to it")
    bound = sorted(name for name in granted if name in found and not found[name].bypasses_rls)
    return [found[name] for name in dict.fromkeys([*bound, *logins])]


def _connect(db: Database, admin: psycopg.Connection, role: catalog.Role, asked: set[str]) -> tuple[str, psycopg.Connection]:
    """Log in as the role when it can, else SET ROLE later; never change a password the caller did not ask for.

    The kit's own role is measured on its own connection. Another login role is tried with the password the
    kit derives for it (as `rls` gives its roles); only a role named in `logins` gets that password set when
    it does not work yet, so measuring a shared server never resets an application's password.
    """
    if not role.login:
        return "SET ROLE", admin
    if role.name == admin.info.user:
        return "login", admin
    url = Resolved(roles.login_url(db.url, role.name), "argument")
    try:
        return "login", Database(url).connect(application_name="dbkit rls matrix")
    except ConnectError:
        password = roles.derived_password(db.url, role.name) if role.name in asked else None
    if password:
        roles.set_password(admin, role.name, password)
        try:
            return "login", Database(url).connect(application_name="dbkit rls matrix")
        except ConnectError:
            pass
    return "SET ROLE", admin  # this server refuses the login (pg_hba, no password): measured as the kit's SET ROLE


def _privileges(conn: psycopg.Connection, set_role: str | None, tables: list[Table]) -> set[tuple[str, str]]:
    """(table, operation) pairs the role holds, directly or through a group: asked once, they do not change per organization."""
    names = [sql.Identifier(t.schema, t.name).as_string(conn) for t in tables]
    with conn.transaction(force_rollback=True):
        _enter(conn, set_role)
        rows = conn.execute(
            "SELECT t.i, o.op FROM unnest(%s::text[]) WITH ORDINALITY t(name, i) CROSS JOIN unnest(%s::text[]) o(op) "
            "WHERE has_table_privilege(t.name, o.op)",
            (names, [op.upper() for op in _OPERATIONS]),
        ).fetchall()
    return {(tables[i - 1].name, op.lower()) for i, op in rows}


def _enter(conn: psycopg.Connection, set_role: str | None) -> None:
    conn.execute("SET LOCAL lock_timeout = '5s'")  # a lock held elsewhere: an error in the cell, not a hang
    conn.execute("SET LOCAL statement_timeout = '60s'")
    if set_role:
        from psycopg import errors

        try:
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(set_role)))
        except errors.InsufficientPrivilege:
            raise UsageError(
                f"the kit's role may not SET ROLE {set_role} (it is no member of it); grant it that, or let {set_role} log in"
            ) from None


def _measure(conn: psycopg.Connection, set_role: str | None, settings: Sequence[str], label: str | None, value: str | None,
             tables: list[Table], allowed: set[tuple[str, str]]) -> list[Cell]:  # fmt: skip
    cells = []
    with conn.transaction(force_rollback=True):
        _enter(conn, set_role)
        if value is not None:
            for name in settings:
                conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        for table in tables:
            counts: dict[str, int | str | None] = {}
            for operation, statement in _statements(table, sql.Identifier(table.schema, table.name)):
                counts[operation] = _run(conn, operation, statement) if (table.name, operation) in allowed else None
            cells.append(
                Cell(set_role or conn.info.user, label, table.name, counts["select"], counts["update"], counts["delete"])
            )
    return cells


def _statements(table: Table, name: sql.Identifier) -> Iterator[tuple[str, sql.Composed | None]]:
    yield "select", sql.SQL("SELECT count(*) FROM {}").format(name)
    column = _settable(table)
    yield (
        "update",
        sql.SQL("UPDATE {} SET {} = {}").format(name, sql.Identifier(column), sql.Identifier(column)) if column else None,
    )
    yield "delete", sql.SQL("DELETE FROM {}").format(name)


def _run(conn: psycopg.Connection, operation: str, statement: sql.Composed | None) -> int | str | None:
    import psycopg

    if statement is None:
        return None
    try:
        with conn.transaction(force_rollback=True):  # a savepoint: the UPDATE or DELETE never stays
            cur = conn.execute(statement)
            if operation == "select":
                row = cur.fetchone()
                return int(row[0]) if row else 0
            return int(cur.rowcount)
    except psycopg.Error as exc:
        return f"error {exc.sqlstate or type(exc).__name__}"


def _settable(table: Table) -> str | None:
    """A column `SET col = col` may name: not generated, not GENERATED ALWAYS, preferably no key (no FK checks)."""
    keys = {c for k in table.constraints if k.kind in ("primary key", "unique", "foreign key") for c in k.columns}
    usable = [c.name for c in table.columns if not c.generated and c.identity != "always"]
    return next((c for c in usable if c not in keys), usable[0] if usable else None)


# -- what the policies read ----------------------------------------------------------------------


def settings_compared(expression: str) -> list[tuple[str | None, str]]:
    """(column, setting) for each `current_setting('setting', ...)` in a policy expression; column None where the
    setting is not compared with a plain column. Parsed by PostgreSQL's own grammar (pglast)."""
    from pglast import ast, parse_sql
    from pglast.parser import ParseError

    try:
        statement = parse_sql(f"SELECT {expression}")[0].stmt
    except ParseError:
        return []
    found: list[tuple[str | None, str]] = []
    paired: set[int] = set()
    for node in _walk(statement):
        if isinstance(node, ast.A_Expr) and _operator(node) == "=":
            for column_side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
                column = _column(column_side)
                calls = [n for n in _walk(other) if _setting(n)]
                if column and calls:
                    for call in calls:
                        paired.add(id(call))
                        found.append((column, _setting(call) or ""))
    for node in _walk(statement):
        name = _setting(node)
        if name and id(node) not in paired:
            found.append((None, name))
    return list(dict.fromkeys(found))


def _policy_comparisons(policy: Policy) -> list[tuple[str, str]]:
    return [(c, s) for text in (policy.using, policy.with_check) if text for c, s in settings_compared(text) if c]


def _policy_settings(policy: Policy) -> list[str]:
    return [s for text in (policy.using, policy.with_check) if text for _, s in settings_compared(text)]


def _walk(node: Any) -> Iterator[Any]:
    from pglast import ast

    if isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for slot in getattr(node, "__slots__", ()):
            yield from _walk(getattr(node, slot, None))


def _operator(node: Any) -> str | None:
    from pglast.enums import A_Expr_Kind

    names = [getattr(n, "sval", None) for n in (node.name or ())]
    return names[-1] if names and node.kind == A_Expr_Kind.AEXPR_OP else None


def _column(node: Any) -> str | None:
    from pglast import ast

    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef) and node.fields and isinstance(node.fields[-1], ast.String):
        return str(node.fields[-1].sval)
    return None


def _setting(node: Any) -> str | None:
    from pglast import ast

    if not isinstance(node, ast.FuncCall) or [getattr(n, "sval", None) for n in node.funcname or ()][-1:] != ["current_setting"]:
        return None
    first = node.args[0] if node.args else None
    while isinstance(first, ast.TypeCast):
        first = first.arg
    value = getattr(getattr(first, "val", None), "sval", None)
    return str(value) if isinstance(first, ast.A_Const) and value is not None else None


# -- the organizations ---------------------------------------------------------------------------


def _tenant_key(live: Schema, compared: list[tuple[Table, str, str]]) -> tuple[Table, str] | None:
    """The table and column whose values are the organizations: a compared primary key, else what compared columns reference."""
    own = [(t, c) for t, c, _ in compared if t.primary_key == (c,)]
    if own:
        return max(own, key=lambda pair: (len(pair[0].referenced_by), pair[0].name))
    referenced: Counter[tuple[str, str]] = Counter()
    for table, column, _ in compared:
        for fk in table.foreign_keys:
            if fk.columns == (column,) and fk.ref_schema == live.name:
                referenced[(fk.ref_table, fk.ref_columns[0])] += 1
    if referenced:
        (name, column), _ = max(referenced.items(), key=lambda item: (item[1], item[0]))
        return live.table(name), column
    return None


def _org_settings(compared: list[tuple[Table, str, str]], key: tuple[Table, str] | None) -> tuple[str, ...]:
    """The settings that name an organization: compared with the key, or with a column that references it."""
    if key is None:
        return tuple(sorted({setting for _, _, setting in compared}))
    table, column = key

    def names_key(t: Table, c: str) -> bool:
        return (t.name, c) == (table.name, column) or any(
            fk.columns == (c,) and (fk.ref_schema, fk.ref_table, fk.ref_columns) == (table.schema, table.name, (column,))
            for fk in t.foreign_keys
        )

    return tuple(sorted({setting for t, c, setting in compared if names_key(t, c)}))


def _organizations(db: Database, live: Schema, key: tuple[Table, str] | None, compared: list[tuple[Table, str, str]],
                   limit: int) -> list[tuple[str, str]]:  # fmt: skip
    """(label, value) of each organization, by label."""
    if key is not None:
        table, column = key
        label = next(
            (c.name for c in table.columns for want in _LABELS if c.name == want and c.type.split("(")[0] in _TEXT), None
        )
        statement = sql.SQL("SELECT {}::text, {}::text FROM {} ORDER BY 2, 1 LIMIT {}").format(
            sql.Identifier(column), sql.Identifier(label or column), sql.Identifier(table.schema, table.name), sql.Literal(limit)
        )
    elif compared:
        parts = [
            sql.SQL("SELECT {}::text AS v FROM {}").format(sql.Identifier(column), sql.Identifier(table.schema, table.name))
            for table, column in dict.fromkeys((t, c) for t, c, _ in compared)
        ]
        statement = sql.SQL("SELECT v, v FROM ({}) u WHERE v IS NOT NULL GROUP BY v ORDER BY v LIMIT {}").format(
            sql.SQL(" UNION ").join(parts), sql.Literal(limit)
        )
    else:
        return []
    read = [key[0]] if key is not None else list(dict.fromkeys(t for t, _, _ in compared))
    rows = _read_past_rls(db, statement, read)
    labels = [row[1] if row[1] is not None else row[0] for row in rows]
    unique = len(set(labels)) == len(labels)
    return [(labels[i] if unique else value, value) for i, (value, _) in enumerate(rows)]


def _read_past_rls(db: Database, statement: sql.Composed, tables: list[Table]) -> list[tuple[Any, ...]]:
    """Rows of `statement` as the kit's role sees them when row-level security does not hide them.

    A superuser or BYPASSRLS role sees every row. An ordinary role that owns the tables (the kit's on a managed
    server) is bound by FORCE ROW LEVEL SECURITY: it lifts FORCE on the tables it owns, inside a transaction
    that is rolled back (as the seed does), so no policy changes for anyone else once it is done.
    """
    with db.connect(application_name="dbkit rls matrix") as conn, conn.transaction(force_rollback=True):
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout(),))
        lift_forced_rls(conn, sorted({table.schema for table in tables}))
        return conn.execute(statement).fetchall()


# -- snapshots -----------------------------------------------------------------------------------


def save(matrix: Matrix, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(matrix.to_json(), encoding="utf-8", newline="\n")
    return path


def load(path: str | Path) -> Matrix:
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no RLS matrix snapshot at {path}: compute one and save() it")
    return Matrix.from_dict(json.loads(path.read_text(encoding="utf-8")))


def differences(expected: Matrix, actual: Matrix) -> list[str]:
    """How `actual` departs from `expected` (a snapshot), one sentence per cell: wider access first, then the rest."""
    wider, other = [], []
    old = {(c.role, c.org, c.table): c for c in expected.cells}
    new = {(c.role, c.org, c.table): c for c in actual.cells}
    for key in sorted(new.keys() - old.keys(), key=_sort_key):
        wider.append(f"{_where(key)}: new in the matrix ({_counts(new[key])})")
    for key in sorted(old.keys() - new.keys(), key=_sort_key):
        other.append(f"{_where(key)}: no longer in the matrix (was {_counts(old[key])})")
    for key in sorted(old.keys() & new.keys(), key=_sort_key):
        for operation in _OPERATIONS:
            before, after = getattr(old[key], operation), getattr(new[key], operation)
            if before != after:
                sentence = f"{_where(key)}: {operation.upper()} {_shown(after)} rows, the snapshot says {_shown(before)}"
                (wider if _wider(before, after) else other).append(sentence + (" (WIDER)" if _wider(before, after) else ""))
    for field in ("settings", "key", "orgs", "roles", "tables"):
        if getattr(expected, field) != getattr(actual, field):
            other.append(f"{field}: {getattr(actual, field)!r}, the snapshot says {getattr(expected, field)!r}")
    return wider + other


def _wider(before: Any, after: Any) -> bool:
    if isinstance(after, int) and not isinstance(before, int):
        return after > 0  # a privilege or a statement that used to fail now touches rows
    return isinstance(after, int) and isinstance(before, int) and after > before


def _sort_key(key: tuple[str, str | None, str]) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2])


def _where(key: tuple[str, str | None, str]) -> str:
    role, org, table = key
    return f"{role} with {org or 'no organization'} set, on {table}"


def _counts(cell: Cell) -> str:
    return " · ".join(f"{op.upper()} {_shown(getattr(cell, op))}" for op in _OPERATIONS)


def _shown(value: Any) -> str:
    return "—" if value is None else str(value)
