"""Read a PostgreSQL schema from pg_catalog: one query per kind of object for the whole schema."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .records import (
    ACTIONS,
    Column,
    Constraint,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    Role,
    Schema,
    SchemaSummary,
    Table,
    Trigger,
)

__all__ = ["extensions", "roles", "schema", "schemas"]

_KINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table"}
_CONSTRAINTS = {"p": "primary key", "u": "unique", "c": "check", "f": "foreign key", "x": "exclude"}
_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_FUNCTION_KINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window"}
_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
# format_type()'s long names, as people write them.
_SHORT_TYPES = (
    ("timestamp with time zone", "timestamptz"),
    ("timestamp without time zone", "timestamp"),
    ("time with time zone", "timetz"),
    ("time without time zone", "time"),
    ("character varying", "varchar"),
    ("bit varying", "varbit"),
    ("character", "char"),
)

_USER_SCHEMAS = """
SELECT n.nspname, obj_description(n.oid, 'pg_namespace'), pg_get_userbyid(n.nspowner),
       count(c.oid) FILTER (WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')),
       sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relkind IN ('r', 'p', 'm'))
FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
GROUP BY n.oid ORDER BY n.nspname
"""

_TABLES = """
SELECT c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class'), pg_get_userbyid(c.relowner),
       c.relrowsecurity, c.relforcerowsecurity, c.reltuples::bigint,
       CASE WHEN c.relkind IN ('r', 'p', 'm') THEN pg_total_relation_size(c.oid) END
FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid, true) END,
       col_description(a.attrelid, a.attnum), a.attidentity,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid, true) END
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# Constraints of the schema's tables, and foreign keys from anywhere that point into the schema.
_CONSTRAINTS_SQL = """
SELECT k.conrelid, k.conname, k.contype, pg_get_constraintdef(k.oid, true), k.convalidated,
       CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid, true) END,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i)::text[],
       (SELECT nspname FROM pg_namespace WHERE oid = src.relnamespace), src.relname,
       (SELECT nspname FROM pg_namespace WHERE oid = ref.relnamespace), ref.relname, ref.oid,
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)::text[],
       k.confdeltype, k.confupdtype, k.condeferrable
FROM pg_constraint k
JOIN pg_class src ON src.oid = k.conrelid
LEFT JOIN pg_class ref ON ref.oid = k.confrelid
WHERE k.contype IN ('p', 'u', 'c', 'f', 'x')
  AND (src.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s) OR ref.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s))
ORDER BY k.conrelid, k.contype, k.conname
"""

_INDEXES = """
SELECT x.indrelid, i.relname, am.amname, x.indisunique, x.indisprimary,
       pg_get_expr(x.indpred, x.indrelid, true), pg_get_indexdef(x.indexrelid),
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnatts) k)::text[],
       x.indnkeyatts,
       ARRAY(SELECT CASE WHEN o.opcdefault THEN '' ELSE o.opcname END
             FROM unnest(x.indclass) WITH ORDINALITY u(c, n) JOIN pg_opclass o ON o.oid = u.c ORDER BY u.n)::text[],
       coalesce(i.reloptions, '{}'), x.indisvalid, pg_relation_size(x.indexrelid),
       (SELECT conname FROM pg_constraint WHERE conindid = x.indexrelid AND conrelid = x.indrelid LIMIT 1),
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i)
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n AND k.n > 0 ORDER BY k.i)::text[],
       coalesce((to_jsonb(x) ->> 'indnullsnotdistinct')::boolean, false),  -- the column exists from PostgreSQL 15 on
       age(i.xmin)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s)
ORDER BY x.indrelid, x.indisprimary DESC, i.relname
"""

_TRIGGERS = """
SELECT g.tgrelid, g.tgname, g.tgtype, g.tgfoid::regproc::text, pg_get_triggerdef(g.oid, true), g.tgenabled <> 'D'
FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s) AND NOT g.tgisinternal
ORDER BY g.tgrelid, g.tgname
"""

_POLICIES = """
SELECT p.polrelid, p.polname, p.polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) r ORDER BY 1)::text[],
       pg_get_expr(p.polqual, p.polrelid, true), pg_get_expr(p.polwithcheck, p.polrelid, true)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s)
ORDER BY p.polrelid, p.polname
"""

_FUNCTIONS = """
SELECT p.proname, pg_get_function_identity_arguments(p.oid), coalesce(pg_get_function_result(p.oid), ''), l.lanname,
       p.prokind, p.prosecdef, coalesce(p.proconfig, '{}'), p.provolatile, obj_description(p.oid, 'pg_proc'),
       p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) g WHERE g.grantee = 0 AND g.privilege_type = 'EXECUTE')
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY p.proname, 2
"""

# The ACL of each table, one privilege per row (aclexplode: grantee 0 is PUBLIC).
_GRANTS = """
SELECT c.oid, CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable
FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.oid, 2, 3
"""

_ROLES = """
SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolcanlogin,
       ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid ORDER BY 1)::text[]
FROM pg_roles r WHERE r.rolname !~ '^pg_' AND (%(names)s::text[] IS NULL OR r.rolname = ANY(%(names)s::text[]))
ORDER BY r.rolname
"""

_EXTENSIONS = """
SELECT e.extname, n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1
"""

_SCHEMA = (
    "SELECT obj_description(n.oid, 'pg_namespace'), pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.nspname = %(schema)s"
)


def extensions(reader: Any) -> list[Extension]:
    return [Extension(*row) for row in reader.query(_EXTENSIONS).rows]


def schemas(reader: Any) -> list[SchemaSummary]:
    rows = reader.query(_USER_SCHEMAS).rows
    return [
        SchemaSummary(name, comment, owner, int(n or 0), int(size) if size is not None else None)
        for name, comment, owner, n, size in rows
    ]


def schema(reader: Any, name: str) -> Schema | None:
    """The whole schema, or None when there is no schema of that name."""
    params = {"schema": name}
    # One round trip for the nine questions (a schema of the kit took 9 of them, most of a describe())
    found = reader.queries(
        [(q, params) for q in (_SCHEMA, _TABLES, _COLUMNS, _CONSTRAINTS_SQL, _INDEXES, _TRIGGERS, _GRANTS, _POLICIES, _FUNCTIONS)]
    )
    head, table_rows, column_rows, constraint_rows, index_rows, trigger_rows, grant_rows, policy_rows, function_rows = (
        r.rows for r in found
    )
    if not head:
        return None
    comment, owner = head[0]
    tables = {row[0]: row for row in table_rows}
    columns = defaultdict(list)
    for rel, col, num, typ, nullable, default, col_comment, identity, generated in column_rows:
        identity_kind = {"a": "always", "d": "by default"}.get(identity, "")
        columns[rel].append(Column(col, num, short_type(typ), nullable, default, col_comment, identity_kind, generated))
    constraints, referenced_by = _constraints(constraint_rows, set(tables))
    indexes = defaultdict(list)
    for row in index_rows:
        indexes[row[0]].append(_index(row))
    triggers = defaultdict(list)
    for rel, tg_name, tg_type, function, definition, enabled in trigger_rows:
        triggers[rel].append(_trigger(tg_name, tg_type, function, definition, enabled))
    grants = defaultdict(list)
    for rel, grantee, privilege, grantable in grant_rows:
        grants[rel].append(Grant(grantee, privilege, grantable))
    policies = defaultdict(list)
    for rel, pol, cmd, permissive, roles, using, check in policy_rows:
        policies[rel].append(Policy(pol, _COMMANDS[cmd], permissive, tuple(roles), using, check))
    built = tuple(
        Table(
            schema=name, name=rel_name, kind=_KINDS[kind], comment=rel_comment, owner=rel_owner,
            columns=tuple(columns[oid]), constraints=tuple(constraints[oid]), indexes=tuple(indexes[oid]),
            triggers=tuple(triggers[oid]), policies=tuple(policies[oid]), referenced_by=tuple(referenced_by[oid]),
            rls_enabled=rls, rls_forced=forced, rows_estimate=max(int(estimate), 0) if estimate is not None else None,
            size_bytes=size, grants=tuple(grants[oid]),
        )
        for oid, rel_name, kind, rel_comment, rel_owner, rls, forced, estimate, size in tables.values()
    )  # fmt: skip
    functions = tuple(
        Function(name, fn, args, returns, lang, _FUNCTION_KINDS.get(kind, kind), secdef, tuple(config), _VOLATILITY[vol],
                 fn_comment, public)
        for fn, args, returns, lang, kind, secdef, config, vol, fn_comment, public in function_rows
    )  # fmt: skip
    return Schema(name, comment, owner, built, functions)


def roles(reader: Any, names: list[str] | None = None) -> list[Role]:
    """The server's roles (all but the built-in `pg_*` ones, or those named), with what RLS asks of them."""
    rows = reader.query(_ROLES, {"names": list(names) if names is not None else None}).rows
    return [Role(name, superuser, bypass, login, tuple(member_of)) for name, superuser, bypass, login, member_of in rows]


def short_type(name: str) -> str:
    for long, short in _SHORT_TYPES:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _constraints(rows: list[tuple], own: set[int]) -> tuple[dict[int, list[Constraint]], dict[int, list[ForeignKey]]]:
    constraints: dict[int, list[Constraint]] = defaultdict(list)
    referenced_by: dict[int, list[ForeignKey]] = defaultdict(list)
    for (
        rel,
        con,
        kind,
        definition,
        validated,
        expression,
        cols,
        src_schema,
        src_table,
        ref_schema,
        ref_table,
        ref_oid,
        ref_cols,
        on_delete,
        on_update,
        deferrable,
    ) in rows:
        fk = None
        if kind == "f":
            fk = ForeignKey(con, src_schema, src_table, tuple(cols), ref_schema, ref_table, tuple(ref_cols),
                            ACTIONS.get(on_delete, on_delete), ACTIONS.get(on_update, on_update), deferrable, validated)  # fmt: skip
            if ref_oid in own:
                referenced_by[ref_oid].append(fk)
        if rel in own:
            constraints[rel].append(Constraint(con, _CONSTRAINTS[kind], tuple(cols), definition, expression, validated, fk))
    return constraints, referenced_by


def _index(row: tuple) -> Index:
    (_rel, name, method, unique, primary, predicate, definition, columns, keys, opclasses, options, valid, size, constraint,
     names, nulls_not_distinct, built_age) = row  # fmt: skip
    parsed = dict(option.split("=", 1) for option in options)
    return Index(
        name, tuple(columns[:keys]), method, unique, primary, predicate, definition, tuple(opclasses[:keys]), parsed,
        tuple(columns[keys:]), valid, size, constraint, tuple(names[:keys]), nulls_not_distinct, built_age,
    )  # fmt: skip


def _trigger(name: str, tg_type: int, function: str, definition: str, enabled: bool) -> Trigger:
    # pg_trigger.tgtype bits: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32, INSTEAD 64
    timing = "INSTEAD OF" if tg_type & 64 else "BEFORE" if tg_type & 2 else "AFTER"
    events = tuple(event for bit, event in ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE")) if tg_type & bit)
    return Trigger(name, timing, events, "ROW" if tg_type & 1 else "STATEMENT", function, definition, enabled)
