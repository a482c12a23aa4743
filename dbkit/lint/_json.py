"""jsonb (and array) columns queried by containment: the GIN index they need, the type they need."""

from __future__ import annotations

from collections.abc import Iterator

from .context import Context
from .rules import Hit, rule

_CONTAINMENT = {"jsonb": {"@>"}, "array": {"@>", "<@", "&&"}}


@rule(
    "jsonb-containment-without-gin", "warning",
    why="""`col @> '{...}'` on jsonb (and @>, <@, && on arrays) can only use a GIN index; without one every query reads
        and decompresses every row's document.""",
    fix="CREATE INDEX CONCURRENTLY ... USING gin (col jsonb_path_ops) (smaller, @> only) or gin (col) (jsonb_ops: also ?).",
)  # fmt: skip
def _jsonb_containment_without_gin(ctx: Context) -> Iterator[Hit]:
    for table, column in ctx.columns():
        kind = "jsonb" if column.type == "jsonb" else "array" if column.type.endswith("[]") else None
        if kind is None:
            continue
        uses = [u for u in ctx.uses_of(table, column.name, _CONTAINMENT[kind]) if u.cast in (None, "jsonb")]
        if uses and not any(i.method == "gin" and i.valid and column.name in i.column_names for i in table.indexes):
            sources = sorted({u.source for u in uses})
            yield Hit(f"{table.qualified}.{column.name}",
                      f"{table.qualified}.{column.name} is queried with {'/'.join(sorted({u.operator for u in uses}))} "
                      f"(seen in {', '.join(sources[:3])}) and has no GIN index")  # fmt: skip


@rule(
    "json-containment-needs-jsonb", "error",
    why="""`json` has no containment or existence operators: `col @> ...` fails on it, and `col::jsonb @> ...` converts
        every row on every query, which no index can serve.""",
    fix="ALTER COLUMN ... TYPE jsonb USING col::jsonb, then index it with GIN.",
)  # fmt: skip
def _json_containment_needs_jsonb(ctx: Context) -> Iterator[Hit]:
    for table, column in ctx.columns():
        if column.type != "json":
            continue
        uses = ctx.uses_of(table, column.name, {"@>", "<@", "?", "?|", "?&", "@?", "@@"})
        if uses:
            sources = sorted({u.source for u in uses})
            yield Hit(f"{table.qualified}.{column.name}",
                      f"{table.qualified}.{column.name} is json, and queried with {'/'.join(sorted({u.operator for u in uses}))} "
                      f"(seen in {', '.join(sources[:3])})")  # fmt: skip
