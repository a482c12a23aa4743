"""Read a SQLite database into the same records: `sqlite_schema` plus the table-valued pragmas.

SQLite has one schema per file (called `main`), no comments, no policies and no functions in SQL.
CHECK constraints are not exposed by any pragma: they are read from the CREATE TABLE text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..registry import SQLITE_LEDGER
from .records import ACTIONS, Column, Constraint, ForeignKey, Index, Schema, SchemaSummary, Table, Trigger

__all__ = ["KIT_TABLES", "schema", "schemas"]

KIT_TABLES = (SQLITE_LEDGER,)  # the runner's ledger sits beside the schema's tables
_ACTION_WORDS = {v: v for v in ACTIONS.values()}
_TRIGGER = re.compile(r"\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def schemas(reader: Any) -> list[SchemaSummary]:
    count = reader.query("SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'").rows[
        0
    ][0]
    return [SchemaSummary("main", None, None, int(count) - _kit_tables(reader))]


def schema(reader: Any, name: str = "main") -> Schema | None:
    rows = reader.query(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    ).rows
    objects = [(kind, obj, table, text) for kind, obj, table, text in rows if table not in KIT_TABLES]
    tables = []
    for kind, table_name, _owner, create in objects:
        if kind not in ("table", "view"):
            continue
        triggers = tuple(_trigger(obj, text) for k, obj, t, text in objects if k == "trigger" and t == table_name)
        tables.append(_table(reader, table_name, "table" if kind == "table" else "view", create, triggers))
    referenced = {t.name: tuple(fk for other in tables for fk in other.foreign_keys if fk.ref_table == t.name) for t in tables}
    finished = tuple(_with_referenced(t, referenced[t.name]) for t in tables)
    return Schema(name, None, None, finished, (), engine="sqlite")


def _kit_tables(reader: Any) -> int:
    marks = ", ".join("?" for _ in KIT_TABLES)
    return int(reader.query(f"SELECT count(*) FROM sqlite_schema WHERE name IN ({marks})", list(KIT_TABLES)).rows[0][0])


def _table(reader: Any, name: str, kind: str, create: str, triggers: tuple[Trigger, ...]) -> Table:
    info = reader.query('SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)', [name]).rows
    columns = tuple(
        Column(col, cid + 1, (typ or "").lower(), not notnull and not pk, default, None, "", None if hidden != 2 else "generated")
        for cid, col, typ, notnull, default, pk, hidden in info
        if hidden != 1
    )
    pk = tuple(col for _cid, col, _t, _n, _d, pk, _h in sorted(info, key=lambda r: r[5]) if pk)
    constraints: list[Constraint] = []
    if pk:
        constraints.append(Constraint(f"{name}_pkey", "primary key", pk, f"PRIMARY KEY ({', '.join(pk)})"))
    constraints += _foreign_keys(reader, name)
    constraints += [
        Constraint(f"{name}_check{n}", "check", (), f"CHECK ({expr})", expr) for n, expr in enumerate(_checks(create), 1)
    ]
    indexes = tuple(_indexes(reader, name, pk))
    constraints += [
        Constraint(i.name, "unique", i.columns, f"UNIQUE ({', '.join(i.columns)})") for i in indexes if i.constraint == "unique"
    ]
    return Table("", name, kind, None, None, columns, tuple(constraints), indexes, triggers)


def _foreign_keys(reader: Any, table: str) -> list[Constraint]:
    rows = reader.query(
        'SELECT id, seq, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?)', [table]
    ).rows
    grouped: dict[int, list[tuple]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    found = []
    for fk_id, parts in sorted(grouped.items()):
        parts.sort(key=lambda r: r[1])
        ref_table = parts[0][2]
        cols = tuple(p[3] for p in parts)
        ref_cols = tuple(p[4] or "" for p in parts)
        name = f"{table}_{'_'.join(cols)}_fkey"
        fk = ForeignKey(name, "", table, cols, "", ref_table, ref_cols, _ACTION_WORDS.get(parts[0][6], parts[0][6]),
                        _ACTION_WORDS.get(parts[0][5], parts[0][5]))  # fmt: skip
        definition = f"FOREIGN KEY ({', '.join(cols)}) REFERENCES {ref_table}({', '.join(ref_cols)})"
        found.append(Constraint(name, "foreign key", cols, definition, None, True, fk))
        del fk_id
    return found


def _indexes(reader: Any, table: str, pk: tuple[str, ...]) -> Iterator[Index]:
    listed = reader.query('SELECT name, "unique", origin, partial FROM pragma_index_list(?)', [table]).rows
    sql_of = dict(reader.query("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?", [table]).rows)
    if pk:  # an INTEGER PRIMARY KEY is the rowid and has no index row: show it as the table's key
        yield Index(f"{table}_pkey", pk, "btree", True, True, None, f"PRIMARY KEY ({', '.join(pk)})", constraint=f"{table}_pkey",
                    column_names=pk)  # fmt: skip
    for name, unique, origin, partial in sorted(listed):
        if origin == "pk":
            continue
        cols = tuple(
            col if col is not None else "<expression>"
            for _seq, _cid, col in reader.query("SELECT seqno, cid, name FROM pragma_index_info(?) ORDER BY seqno", [name]).rows
        )
        text = sql_of.get(name) or ""
        where = re.search(r"\bWHERE\b", text, re.IGNORECASE) if partial else None
        predicate = text[where.end() :].strip() if where else None
        yield Index(name, cols, "btree", bool(unique), False, predicate, text or f"UNIQUE ({', '.join(cols)})",
                    constraint="unique" if origin == "u" else None,
                    column_names=tuple(None if c == "<expression>" else c for c in cols))  # fmt: skip


def _checks(create: str) -> list[str]:
    """The expressions of every CHECK (...) in a CREATE TABLE text, parentheses balanced, comments skipped."""
    text = re.sub(r"--[^\n]*", "", create)
    found = []
    for match in re.finditer(r"\bCHECK\s*\(", text, re.IGNORECASE):
        depth, start = 1, match.end()
        for i in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                found.append(" ".join(text[start:i].split()))
                break
    return found


def _trigger(name: str, text: str) -> Trigger:
    match = _TRIGGER.search(text)
    timing, event = (" ".join(match[1].upper().split()), match[2].upper()) if match else ("", "")
    return Trigger(name, timing, (event,) if event else (), "ROW", "", " ".join(text.split()))


def _with_referenced(table: Table, referenced: tuple[ForeignKey, ...]) -> Table:
    from dataclasses import replace

    return replace(table, referenced_by=referenced)
