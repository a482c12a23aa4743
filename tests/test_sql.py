"""What sql/ promises, checked on a migrated database: every table of the registry, each table and column
described (the notebooks and `dbkit docs` read these comments), the vector extension in public."""

from __future__ import annotations

import psycopg

from dbkit import registry

# What the five seeds define: a change here is a change to the schemas, made on purpose.
TABLES_PER_SCHEMA = {"iris": 4, "ibex_core": 11, "orchestrator": 6, "myloware": 10, "syris": 15}


def _rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, {"schemas": [e.schema for e in registry.entries()]}).fetchall()


def test_the_registry_has_the_five_schemas_and_46_tables(migrated_db):
    assert sorted(e.schema for e in registry.entries()) == sorted(TABLES_PER_SCHEMA)
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
    assert _rows(migrated_db, "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'") == [
        ("public",)
    ]
