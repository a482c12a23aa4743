"""Row-level security, policies, and functions that run with someone else's rights (splinter's concerns)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from ..catalog import Function, Policy, Schema
from .context import Context
from .parsing import parse_expression, walk
from .rules import Hit, rule

_TEXTY = {"text", "varchar", "name", "bpchar"}


@rule(
    "rls-without-policies", "error",
    why="""Row-level security is enabled but no policy grants anything: every role that is not the owner, a superuser
        or BYPASSRLS reads no rows and can write none, which looks like an empty table rather than an error.""",
    fix="CREATE POLICY for the roles that use the table, or DISABLE ROW LEVEL SECURITY if nothing needs scoping.",
)  # fmt: skip
def _rls_without_policies(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        if table.rls_enabled and not table.policies:
            yield Hit(table.qualified, f"{table.qualified} has row-level security enabled and no policy")


@rule(
    "policies-without-rls", "error",
    why="""Policies exist but row-level security is not enabled on the table: PostgreSQL ignores them, and every role
        with a privilege on the table sees every row.""",
    fix="ALTER TABLE ... ENABLE ROW LEVEL SECURITY (and FORCE it if the owner must be bound too).",
)  # fmt: skip
def _policies_without_rls(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        if table.policies and not table.rls_enabled:
            names = ", ".join(p.name for p in table.policies)
            yield Hit(table.qualified, f"{table.qualified} has policies ({names}) but row-level security is not enabled")


@rule(
    "rls-not-forced", "warning",
    why="""In a schema scoped by row-level security, a table that does not FORCE it lets its owner (the role migrations
        and many applications connect as) read and write every tenant's rows.""",
    fix="ALTER TABLE ... FORCE ROW LEVEL SECURITY.",
)  # fmt: skip
def _rls_not_forced(ctx: Context) -> Iterator[Hit]:
    for live in ctx.schemas.values():
        if not _scoped(live):
            continue
        for table in live.tables:
            if table.rls_enabled and not table.rls_forced:
                yield Hit(table.qualified, f"{table.qualified} enables row-level security but does not force it")


@rule(
    "rls-missing-on-tenant-table", "warning",
    why="""The schema scopes its tables by row-level security, and this table has the column the policies filter on,
        but no row-level security of its own: every tenant reads every other tenant's rows here.""",
    fix="ALTER TABLE ... ENABLE and FORCE ROW LEVEL SECURITY, and CREATE POLICY like the schema's other tables.",
)  # fmt: skip
def _rls_missing_on_tenant_table(ctx: Context) -> Iterator[Hit]:
    for live in ctx.schemas.values():
        tenant_columns = _tenant_columns(live)
        for table in live.tables:
            if table.kind not in ("table", "partitioned table") or table.rls_enabled:
                continue
            shared = sorted(tenant_columns & {c.name for c in table.columns})
            if shared:
                yield Hit(table.qualified,
                          f"{table.qualified} has {', '.join(shared)}, which the schema's policies filter on, but no "
                          "row-level security")  # fmt: skip


@rule(
    "policy-current-setting-not-missing-ok", "warning",
    why="""current_setting('x') without missing_ok raises an error when the setting was never set: a connection that
        forgot to set its tenant gets errors on some paths and, where a policy is skipped, rows on others.""",
    fix="current_setting('x', true), wrapped in NULLIF(..., '') before any cast: unset then means no rows, not an error.",
)  # fmt: skip
def _policy_current_setting_not_missing_ok(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for policy in table.policies:
            if any(not missing_ok for missing_ok, _cast in _settings_read(policy)):
                yield Hit(f"{table.qualified}.{policy.name}",
                          f"policy {policy.name} on {table.qualified} calls current_setting() without missing_ok")  # fmt: skip


@rule(
    "policy-setting-cast-without-nullif", "warning",
    why="""current_setting('x', true) returns '' (not NULL) once a transaction-local setting has ended on a reused
        connection, and ''::uuid raises: the next transaction on that pooled connection fails instead of seeing no rows.""",
    fix="NULLIF(current_setting('x', true), '')::uuid.",
)  # fmt: skip
def _policy_setting_cast_without_nullif(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for policy in table.policies:
            casts = sorted({cast for missing_ok, cast in _settings_read(policy) if missing_ok and cast})
            if casts:
                yield Hit(f"{table.qualified}.{policy.name}",
                          f"policy {policy.name} on {table.qualified} casts current_setting(..., true) to {casts[0]} "
                          "without NULLIF(..., '')")  # fmt: skip


@rule(
    "policy-always-true", "warning",
    why="""A permissive policy whose expressions are just `true` grants every row to its roles, and permissive policies
        are OR-ed: it cancels every other policy for the same command.""",
    fix="Give it the condition it was meant to have, make it RESTRICTIVE, or drop it (and accept it if all rows are the point).",
)  # fmt: skip
def _policy_always_true(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for policy in table.policies:
            expressions = [e for e in (policy.using, policy.with_check) if e is not None]
            if policy.permissive and expressions and all(e.strip().lower() == "true" for e in expressions):
                yield Hit(f"{table.qualified}.{policy.name}",
                          f"policy {policy.name} on {table.qualified} lets {', '.join(policy.roles)} {policy.command} every row")  # fmt: skip


@rule(
    "security-definer-search-path", "error",
    why="""A SECURITY DEFINER function runs with its owner's rights and resolves names through the caller's search_path:
        a caller who creates a table, function or operator of the same name earlier on the path runs code as the owner.""",
    fix="ALTER FUNCTION ... SET search_path = pg_catalog, pg_temp (and schema-qualify the names the body uses).",
)  # fmt: skip
def _security_definer_search_path(ctx: Context) -> Iterator[Hit]:
    for function in _functions(ctx):
        if function.security_definer and not _pins_search_path(function):
            yield Hit(function.signature, f"SECURITY DEFINER function {function.signature} does not set search_path")


@rule(
    "function-search-path-mutable", "warning",
    why="""A function without its own search_path resolves names through whatever path the caller has: the same trigger
        or call does different things (or fails) depending on who runs it and where.""",
    fix="ALTER FUNCTION ... SET search_path = pg_catalog, pg_temp (plus the schemas its body names unqualified).",
)  # fmt: skip
def _function_search_path_mutable(ctx: Context) -> Iterator[Hit]:
    for function in _functions(ctx):
        if not function.security_definer and function.language not in ("c", "internal") and not _pins_search_path(function):
            yield Hit(function.signature, f"{function.kind} {function.signature} does not set search_path")


@rule(
    "security-definer-public-execute", "warning",
    why="""New functions are executable by PUBLIC: a SECURITY DEFINER function nobody revoked that from lets every role,
        present and future, run it with its owner's rights.""",
    fix="REVOKE EXECUTE ON FUNCTION ... FROM PUBLIC, then GRANT EXECUTE to the roles that need it.",
)  # fmt: skip
def _security_definer_public_execute(ctx: Context) -> Iterator[Hit]:
    for function in _functions(ctx):
        if function.security_definer and function.public_execute:
            yield Hit(function.signature, f"SECURITY DEFINER function {function.signature} is executable by PUBLIC")


@rule(
    "trigger-disabled", "warning",
    why="""A disabled trigger looks like a guarantee in the schema (an audit row, an updated_at, a refusal) and does
        nothing: whatever it was meant to enforce is not enforced.""",
    fix="ALTER TABLE ... ENABLE TRIGGER ..., or DROP TRIGGER if it is no longer meant to run.",
)  # fmt: skip
def _trigger_disabled(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables():
        for trigger in table.triggers:
            if not trigger.enabled:
                yield Hit(f"{table.qualified}.{trigger.name}", f"trigger {trigger.name} on {table.qualified} is disabled")


# -- helpers -------------------------------------------------------------------------------------


def _functions(ctx: Context) -> Iterator[Function]:
    for live in ctx.schemas.values():
        yield from (f for f in live.functions if f.kind in ("function", "procedure"))


def _pins_search_path(function: Function) -> bool:
    return any(setting.startswith("search_path=") for setting in function.config)


def _scoped(live: Schema) -> bool:
    """A schema scoped by row-level security: some table enables it and has policies."""
    return any(t.rls_enabled and t.policies for t in live.tables)


def _tenant_columns(live: Schema) -> set[str]:
    """Columns the schema's policies filter on in more than one table (`org_id`), not one table's own key."""
    per_table: Counter[str] = Counter()
    for table in live.tables:
        named: set[str] = set()
        for policy in table.policies:
            for expression in (policy.using, policy.with_check):
                named |= _column_names(expression)
        per_table.update(named & {c.name for c in table.columns})
    return {name for name, tables in per_table.items() if tables > 1}


def _column_names(expression: str | None) -> set[str]:
    from pglast import ast as nodes

    found = set()
    for node in walk(parse_expression(expression)):
        if isinstance(node, nodes.ColumnRef) and node.fields and hasattr(node.fields[-1], "sval"):
            found.add(node.fields[-1].sval)
    return found


def _settings_read(policy: Policy) -> list[tuple[bool, str | None]]:
    """Each current_setting() call in the policy: (whether missing_ok is true, the type it is cast to directly)."""
    from pglast import ast as nodes

    found = []
    for expression in (policy.using, policy.with_check):
        casts: dict[int, str] = {}
        for node in walk(parse_expression(expression)):
            if isinstance(node, nodes.TypeCast):
                inner = node.arg
                while isinstance(inner, nodes.TypeCast) and _type_name(inner) in _TEXTY:
                    inner = inner.arg
                if _type_name(node) not in _TEXTY:
                    casts[id(inner)] = _type_name(node)
            if isinstance(node, nodes.FuncCall) and _function_name(node) == "current_setting":
                found.append((_missing_ok(node), casts.get(id(node))))
    return found


def _type_name(cast: Any) -> str:
    names = cast.typeName.names if cast.typeName is not None else None
    return str(names[-1].sval) if names else ""


def _function_name(call: Any) -> str:
    return str(call.funcname[-1].sval) if call.funcname else ""


def _missing_ok(call: Any) -> bool:
    from pglast import ast as nodes

    args: tuple[Any, ...] = tuple(call.args or ())
    if len(args) < 2:
        return False
    flag = args[1]
    while isinstance(flag, nodes.TypeCast):
        flag = flag.arg
    value: Any = getattr(flag, "val", None)
    if hasattr(value, "boolval"):
        return bool(value.boolval)
    return str(getattr(value, "sval", "")).lower() in ("true", "t", "on", "yes", "1")
