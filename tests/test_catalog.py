"""Across all five schemas: 46 tables, each table and column described (the notebooks read these comments)."""

from __future__ import annotations

import psycopg

SCHEMAS = ("iris", "ibex_core", "orchestrator", "myloware", "syris")
TABLES_PER_SCHEMA = {"iris": 4, "ibex_core": 11, "orchestrator": 6, "myloware": 10, "syris": 15}


def _rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, {"schemas": list(SCHEMAS)}).fetchall()


def test_46_tables(migrated_db):
    counts = dict(
        _rows(
            migrated_db,
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_schema = ANY(%(schemas)s) AND table_type = 'BASE TABLE' GROUP BY 1",
        )
    )
    assert counts == TABLES_PER_SCHEMA and sum(counts.values()) == 46


def test_every_table_and_column_has_a_comment(migrated_db):
    missing = _rows(
        migrated_db,
        """
        SELECT c.relnamespace::regnamespace::text || '.' || c.relname || coalesce('.' || a.attname, '')
        FROM pg_class c
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind = 'r' AND c.relnamespace::regnamespace::text = ANY(%(schemas)s)
          AND (obj_description(c.oid, 'pg_class') IS NULL OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))
        """,
    )
    assert missing == []


def test_vector_extension_lives_in_public(migrated_db):
    assert _rows(migrated_db, "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'") == [("public",)]
