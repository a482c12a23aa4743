"""The differences between two live databases, schema by schema, in words a person can act on.

`compare(a, b)` is a pure function of two catalog `Schema` records: tables, columns (type, nullability,
default, identity, generated expression, order, comment), constraints, indexes (method, uniqueness, key
columns and opclasses, INCLUDE, options, partial predicate), row-level security (enabled, forced,
policies), triggers and functions. `databases(url_a, url_b)` reads both catalogs and compares each schema;
`render()` lists the result grouped by table, unified-diff style: `-` only in A, `+` only in B, `~` changed.

Schemas may be compared under different names (`renames={"iris": "iris_v2"}`): whatever A's definitions
say about its own schema (`REFERENCES iris.councils`, `nextval('iris.x_seq')`) is read as B's before the
texts are compared, so a renamed schema with the same objects gives no difference. Objects are matched by
name; a constraint or index only in A and one only in B with the same definition are one renamed object.
Partial-index predicates are compared as `dbkit check` compares them (`check.normalise_predicate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import catalog, registry
from .catalog import Column, Constraint, Function, Index, Policy, Schema, Table, Trigger
from .check import normalise_predicate
from .db import database
from .errors import NotFoundError, UsageError
from .sqltext import quote_identifier

__all__ = ["Difference", "Report", "compare", "databases", "parse_renames", "render"]

_MARKS = {"removed": "-", "added": "+", "changed": "~"}


@dataclass(frozen=True)
class Difference:
    """One difference: an object only in A (`removed`), only in B (`added`), or in both but not the same (`changed`)."""

    schema: str  # the schema's name in A (in B when it exists only there)
    table: str | None  # None for what belongs to the schema itself (its comment, functions, its existence)
    kind: str  # schema, table, column, constraint, index, policy, trigger, function
    name: str
    change: str  # removed, added, changed
    detail: str = ""  # changed: what, as `A → B`; removed / added: the object's definition

    @property
    def where(self) -> str:
        return f"{self.schema}.{self.table}" if self.table is not None else self.schema

    def __str__(self) -> str:
        mark = _MARKS[self.change]
        if self.change == "changed":
            return f"{mark} {self.kind} {self.name}: {self.detail}"
        side = "A" if self.change == "removed" else "B"
        return f"{mark} {self.kind} {self.name} only in {side}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Report:
    """What `databases()` compared, and what differs."""

    a: str  # the masked URLs
    b: str
    pairs: tuple[tuple[str, str], ...]  # (schema in A, schema in B), in order
    differences: tuple[Difference, ...] = ()
    tables: int = 0  # tables compared (those in both)

    def __bool__(self) -> bool:
        return bool(self.differences)


# -- two databases -------------------------------------------------------------------------------


def databases(url_a: Any, url_b: Any, schemas: Sequence[str] | None = None, *, renames: Mapping[str, str] | None = None,
              comments: bool = True) -> Report:  # fmt: skip
    """Compare the schemas named (registry names or schema names, as in A; default: every schema of either) of two databases."""
    db_a, db_b = database(url_a), database(url_b)
    renames = dict(renames or {})
    in_a = {s.name for s in catalog.schemas(db_a)}
    in_b = {s.name for s in catalog.schemas(db_b)}
    if schemas:
        names = list(dict.fromkeys(_schema_name(name, in_a | in_b) for name in schemas))
        pairs = [(name, renames.get(name, name)) for name in names]
        for name, other in pairs:
            if name not in in_a and other not in in_b:
                known = ", ".join(sorted(in_a | in_b)) or "none"
                raise NotFoundError(f"neither database has a schema {name!r}; their schemas: {known}")
    else:
        targets = {renames.get(name, name) for name in in_a}
        pairs = [(name, renames.get(name, name)) for name in sorted(in_a)] + [(name, name) for name in sorted(in_b - targets)]
    found: list[Difference] = []
    tables = 0
    for name, other in pairs:
        if name not in in_a:
            found.append(Difference(other, None, "schema", other, "added", f"{len(catalog.schema(other, db_b).tables)} table(s)"))
            continue
        if other not in in_b:
            found.append(Difference(name, None, "schema", name, "removed", f"{len(catalog.schema(name, db_a).tables)} table(s)"))
            continue
        a, b = catalog.schema(name, db_a), catalog.schema(other, db_b)
        tables += len({t.name for t in a.tables} & {t.name for t in b.tables})
        found += compare(a, b, renames=renames, comments=comments)
    return Report(db_a.masked, db_b.masked, tuple(pairs), tuple(found), tables)


def parse_renames(values: Iterable[str]) -> dict[str, str]:
    """`["a=b", ...]` (schema a in A is schema b in B) as a mapping; UsageError on anything else."""
    found = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise UsageError(
                f"--rename takes A_NAME=B_NAME (schema A_NAME in the first database is B_NAME in the second), not {value!r}"
            )
        found[old.strip()] = new.strip()
    return found


def _schema_name(name: str, present: set[str]) -> str:
    if name in present:
        return name
    try:
        return registry.find(name).schema
    except NotFoundError:
        return name


# -- two schemas ---------------------------------------------------------------------------------


def compare(a: Schema, b: Schema, *, renames: Mapping[str, str] | None = None, comments: bool = True) -> list[Difference]:
    """Every difference between schema `a` and schema `b`, grouped by table in name order. Pure."""
    mapping = dict(renames or {})
    if a.name != b.name:
        mapping.setdefault(a.name, b.name)
    same = _Requalify(mapping)
    out: list[Difference] = []
    if comments and a.comment != b.comment:
        out.append(Difference(a.name, None, "schema", a.name, "changed", f"comment {_show(a.comment)} → {_show(b.comment)}"))
    tables_a, tables_b = {t.name: t for t in a.tables}, {t.name: t for t in b.tables}
    for name in sorted(tables_a.keys() | tables_b.keys()):
        if name not in tables_b:
            out.append(Difference(a.name, name, tables_a[name].kind, name, "removed", f"{len(tables_a[name].columns)} column(s)"))
        elif name not in tables_a:
            out.append(Difference(a.name, name, tables_b[name].kind, name, "added", f"{len(tables_b[name].columns)} column(s)"))
        else:
            out += _table(a.name, tables_a[name], tables_b[name], same, comments)
    out += _functions(a, b, same, comments)
    return out


def _table(schema: str, a: Table, b: Table, same: _Requalify, comments: bool) -> list[Difference]:
    out: list[Difference] = []

    def changed(kind: str, name: str, what: str, before: Any, after: Any) -> None:
        out.append(Difference(schema, a.name, kind, name, "changed", f"{what} {_show(before)} → {_show(after)}"))

    if a.kind != b.kind:
        changed("table", a.name, "kind", a.kind, b.kind)
    if a.rls_enabled != b.rls_enabled:
        changed("table", a.name, "row-level security", _on(a.rls_enabled), _on(b.rls_enabled))
    if a.rls_forced != b.rls_forced:
        changed("table", a.name, "FORCE ROW LEVEL SECURITY", _on(a.rls_forced), _on(b.rls_forced))
    if comments and a.comment != b.comment:
        changed("table", a.name, "comment", a.comment, b.comment)
    out += _columns(schema, a, b, same, comments)
    out += _matched(schema, a.name, "constraint", a.constraints, b.constraints, lambda c: c.name,
                    lambda c: (c.kind, same(c.definition)), lambda x, y: _constraint(x, y, same),
                    lambda c: c.definition)  # fmt: skip
    out += _matched(schema, a.name, "index", a.indexes, b.indexes, lambda i: i.name,
                    lambda i: _index_signature(i, same), lambda x, y: _index(x, y, same), lambda i: i.definition)  # fmt: skip
    out += _matched(schema, a.name, "policy", a.policies, b.policies, lambda p: p.name, None,
                    lambda x, y: _policy(x, y, same), _policy_text)  # fmt: skip
    out += _matched(schema, a.name, "trigger", a.triggers, b.triggers, lambda g: g.name, None,
                    lambda x, y: _trigger(x, y, same), lambda g: g.definition)  # fmt: skip
    return out


def _columns(schema: str, a: Table, b: Table, same: _Requalify, comments: bool) -> list[Difference]:
    out: list[Difference] = []
    cols_a, cols_b = {c.name: c for c in a.columns}, {c.name: c for c in b.columns}
    for column in a.columns:
        if column.name not in cols_b:
            out.append(Difference(schema, a.name, "column", column.name, "removed", _column_text(column)))
    for column in b.columns:
        if column.name not in cols_a:
            out.append(Difference(schema, a.name, "column", column.name, "added", _column_text(column)))
    for column in a.columns:
        other = cols_b.get(column.name)
        if other is None:
            continue
        for what, before, after in (
            ("type", column.type, other.type),
            ("nullability", _null(column.nullable), _null(other.nullable)),
            ("default", same(column.default), other.default),
            ("identity", column.identity or None, other.identity or None),
            ("generated expression", same(column.generated), other.generated),
            ("comment", column.comment if comments else None, other.comment if comments else None),
        ):
            if before != after:
                shown_before = column.default if what == "default" else before
                detail = f"{what} {_show(shown_before)} → {_show(after)}"
                out.append(Difference(schema, a.name, "column", column.name, "changed", detail))
    order_a = [c.name for c in a.columns if c.name in cols_b]
    order_b = [c.name for c in b.columns if c.name in cols_a]
    if order_a != order_b:
        out.append(Difference(schema, a.name, "column", "order", "changed", f"{', '.join(order_a)} → {', '.join(order_b)}"))
    return out


def _matched(schema: str, table: str, kind: str, items_a: Sequence[Any], items_b: Sequence[Any], key: Callable[[Any], str],
             signature: Callable[[Any], Any] | None, fields: Callable[[Any, Any], list[tuple[str, Any, Any]]],
             text: Callable[[Any], str]) -> list[Difference]:  # fmt: skip
    """Objects matched by name; what is left on both sides with the same signature is one object renamed."""
    by_a, by_b = {key(x): x for x in items_a}, {key(x): x for x in items_b}
    only_a = [by_a[n] for n in sorted(by_a.keys() - by_b.keys())]
    only_b = [by_b[n] for n in sorted(by_b.keys() - by_a.keys())]
    out: list[Difference] = []
    if signature is not None:
        for x in list(only_a):
            twin = next((y for y in only_b if signature(y) == signature(x)), None)
            if twin is not None:
                only_a.remove(x)
                only_b.remove(twin)
                out.append(Difference(schema, table, kind, key(x), "changed", f"renamed to {key(twin)} (same definition)"))
    out += [Difference(schema, table, kind, key(x), "removed", text(x)) for x in only_a]
    out += [Difference(schema, table, kind, key(y), "added", text(y)) for y in only_b]
    for name in sorted(by_a.keys() & by_b.keys()):
        for what, before, after in fields(by_a[name], by_b[name]):
            out.append(Difference(schema, table, kind, name, "changed", f"{what} {_show(before)} → {_show(after)}"))
    return out


def _constraint(a: Constraint, b: Constraint, same: _Requalify) -> list[tuple[str, Any, Any]]:
    found = []
    if a.kind != b.kind:
        found.append(("kind", a.kind, b.kind))
    elif same(a.definition) != b.definition:
        found.append(("definition", a.definition, b.definition))
    if a.validated != b.validated:
        found.append(("validated", _yes(a.validated), _yes(b.validated)))
    return found


def _index(a: Index, b: Index, same: _Requalify) -> list[tuple[str, Any, Any]]:
    found: list[tuple[str, Any, Any]] = []
    if a.method != b.method:
        found.append(("method", a.method, b.method))
    if (a.unique, a.primary) != (b.unique, b.primary):
        found.append(("uniqueness", _uniqueness(a), _uniqueness(b)))
    if a.columns != b.columns:
        found.append(("key columns", ", ".join(a.columns), ", ".join(b.columns)))
    elif a.opclasses != b.opclasses:
        found.append(("opclasses", _opclasses(a), _opclasses(b)))
    if a.include != b.include:
        found.append(("INCLUDE columns", ", ".join(a.include) or None, ", ".join(b.include) or None))
    if a.options != b.options:
        found.append(("options", _options(a) or None, _options(b) or None))
    if normalise_predicate(same(a.predicate)) != normalise_predicate(b.predicate):
        found.append(("predicate", a.predicate or "none (a full index)", b.predicate or "none (a full index)"))
    if a.valid != b.valid:
        found.append(("validity", "valid" if a.valid else "INVALID", "valid" if b.valid else "INVALID"))
    if not found and _index_body(a, same) != _index_body(b, _Requalify({})):
        found.append(("definition", a.definition, b.definition))  # what the fields above do not say: DESC, NULLS FIRST...
    return found


def _index_signature(index: Index, same: _Requalify) -> tuple[Any, ...]:
    return (_index_body(index, same), normalise_predicate(same(index.predicate)), index.unique, index.primary)


def _index_body(index: Index, same: _Requalify) -> str:
    """The definition after `ON`, without its WHERE: the part that does not name the index."""
    body = index.definition.split(" ON ", 1)[-1]
    return same(re.sub(r"\s+WHERE\s+.*$", "", body, flags=re.S)) or ""


def _policy(a: Policy, b: Policy, same: _Requalify) -> list[tuple[str, Any, Any]]:
    found: list[tuple[str, Any, Any]] = []
    if a.command != b.command:
        found.append(("command", a.command, b.command))
    if a.permissive != b.permissive:
        found.append(("type", _permissive(a), _permissive(b)))
    if a.roles != b.roles:
        found.append(("roles", ", ".join(a.roles), ", ".join(b.roles)))
    if same(a.using) != b.using:
        found.append(("USING", a.using, b.using))
    if same(a.with_check) != b.with_check:
        found.append(("WITH CHECK", a.with_check, b.with_check))
    return found


def _policy_text(p: Policy) -> str:
    text = f"{_permissive(p)} FOR {p.command} TO {', '.join(p.roles)}"
    text += f" USING ({p.using})" if p.using else ""
    return text + (f" WITH CHECK ({p.with_check})" if p.with_check else "")


def _trigger(a: Trigger, b: Trigger, same: _Requalify) -> list[tuple[str, Any, Any]]:
    found: list[tuple[str, Any, Any]] = []
    fires_a, fires_b = _fires(a), _fires(b)
    if fires_a != fires_b:
        found.append(("fires", fires_a, fires_b))
    if same(a.function) != b.function:
        found.append(("function", a.function, b.function))
    if a.enabled != b.enabled:
        found.append(("enabled", _yes(a.enabled), _yes(b.enabled)))
    if not found and same(a.definition) != b.definition:
        found.append(("definition", a.definition, b.definition))  # WHEN (...), UPDATE OF columns
    return found


def _functions(a: Schema, b: Schema, same: _Requalify, comments: bool) -> list[Difference]:
    def key(f: Function) -> str:
        return f"{f.name}({f.arguments})"

    by_a = {same(key(f)) or "": f for f in a.functions}
    by_b = {key(f): f for f in b.functions}
    out = [Difference(a.name, None, "function", key(f), "removed", f"returns {f.returns}") for n, f in sorted(by_a.items())
           if n not in by_b]  # fmt: skip
    out += [
        Difference(a.name, None, "function", n, "added", f"returns {f.returns}") for n, f in sorted(by_b.items()) if n not in by_a
    ]
    for name in sorted(by_a.keys() & by_b.keys()):
        x, y = by_a[name], by_b[name]
        for what, before, after in (
            ("returns", same(x.returns), y.returns),
            ("kind", x.kind, y.kind),
            ("language", x.language, y.language),
            ("volatility", x.volatility, y.volatility),
            ("security", _security(x), _security(y)),
            ("settings", ", ".join(same(c) or "" for c in x.config) or None, ", ".join(y.config) or None),
            ("comment", x.comment if comments else None, y.comment if comments else None),
        ):
            if before != after:
                out.append(Difference(a.name, None, "function", name, "changed", f"{what} {_show(before)} → {_show(after)}"))
    return out


# -- reading A's texts as B's --------------------------------------------------------------------


class _Requalify:
    """A's texts with A's schema names written as B's (`iris.councils` → `iris_v2.councils`), quoted as the server would."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.rules = []
        for old, new in mapping.items():
            if old == new:
                continue
            spellings = sorted({quote_identifier(old), old}, key=len, reverse=True)  # the quoted form first
            pattern = re.compile(r'(?<![\w$."])(?:' + "|".join(map(re.escape, spellings)) + r")(?=\.)")
            self.rules.append((pattern, quote_identifier(new)))

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for pattern, new in self.rules:
            text = pattern.sub(new.replace("\\", "\\\\"), text)  # a replacement string: backslashes doubled
        return text


# -- words ---------------------------------------------------------------------------------------


def render(report: Report) -> str:
    """The report as text: the two databases, then the differences grouped by schema and table, then a count."""
    lines = [f"--- A: {report.a}", f"+++ B: {report.b}"]
    groups: dict[str, list[Difference]] = {}
    for difference in report.differences:
        groups.setdefault(difference.where, []).append(difference)
    for where, found in groups.items():
        lines.append(where if found[0].table is not None else f"{where} (schema)")
        lines += [f"  {d}" for d in found]
    names = ", ".join(a if a == b else f"{a} → {b}" for a, b in report.pairs) or "none"
    if report.differences:
        lines.append(
            f"{len(report.differences)} difference(s) in {len(groups)} table(s) or schema(s); compared: {names} "
            "(- only in A, + only in B, ~ changed: A → B)"
        )
    else:
        lines.append(f"no differences: {names} ({report.tables} table(s) compared)")
    return "\n".join(lines)


def _column_text(column: Column) -> str:
    text = f"{column.type} {_null(column.nullable)}"
    if column.default is not None:
        text += f" DEFAULT {column.default}"
    return text


def _show(value: Any) -> str:
    return "none" if value is None or value == "" else str(value)


def _null(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _uniqueness(index: Index) -> str:
    return "primary key" if index.primary else "unique" if index.unique else "not unique"


def _opclasses(index: Index) -> str:
    return ", ".join(f"{c} {o or 'default'}" for c, o in zip(index.columns, index.opclasses))


def _options(index: Index) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(index.options.items()))


def _permissive(policy: Policy) -> str:
    return "permissive" if policy.permissive else "restrictive"


def _fires(trigger: Trigger) -> str:
    return f"{trigger.timing} {' OR '.join(trigger.events)} FOR EACH {trigger.level}"


def _security(function: Function) -> str:
    return "SECURITY DEFINER" if function.security_definer else "SECURITY INVOKER"
