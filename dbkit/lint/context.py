"""What a rule reads: the linted schemas as catalog records, the queries seen, the settings, the database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .. import catalog
from ..catalog import Column, Schema, Table
from ..db import Database
from ..errors import NotFoundError
from .evidence import Use

__all__ = ["Context", "TABLE_KINDS"]

TABLE_KINDS = ("table", "partitioned table")


@dataclass
class Context:
    db: Database
    schemas: dict[str, Schema]
    uses: list[Use] = field(default_factory=list)
    max_columns: int = 30
    _by_name: dict[str, dict[str, Table]] = field(default_factory=dict)  # schema → table name → table, filled on demand

    def tables(self, kinds: Iterable[str] = TABLE_KINDS) -> Iterator[Table]:
        """The linted schemas' tables of these kinds (plain and partitioned tables by default)."""
        wanted = set(kinds)
        for live in self.schemas.values():
            yield from (t for t in live.tables if t.kind in wanted)

    def columns(self, kinds: Iterable[str] = TABLE_KINDS) -> Iterator[tuple[Table, Column]]:
        for table in self.tables(kinds):
            yield from ((table, column) for column in table.columns)

    def table(self, schema: str, name: str) -> Table | None:
        """Any table of the database (a foreign key may point outside the linted schemas), or None."""
        if schema not in self._by_name:
            live = self.schemas.get(schema)
            if live is None:
                try:
                    live = catalog.schema(schema, self.db)
                except NotFoundError:
                    live = None
            self._by_name[schema] = {t.name: t for t in live.tables} if live else {}
        return self._by_name[schema].get(name)

    def uses_of(self, table: Table, column: str, operators: Iterable[str] | None = None) -> list[Use]:
        """The queries seen applying one of `operators` (default: any) to `table.column`, once per source."""
        wanted = set(operators) if operators is not None else None
        names = [c.name for c in table.columns]
        found: dict[tuple[str, str, frozenset[str]], Use] = {}
        for use in self.uses:
            if column == use.column and (wanted is None or use.operator in wanted) and use.on(table.schema, table.name, names):
                found.setdefault((use.operator, use.source, use.where), use)
        return list(found.values())
