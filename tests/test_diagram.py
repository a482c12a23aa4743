"""ER diagrams read from the live database: Mermaid text for every schema, PNG/SVG from graphviz."""

from __future__ import annotations

import re

import pytest
from test_catalog import TABLES_PER_SCHEMA

from dbkit import diagram
from dbkit.migrate import migrate


@pytest.mark.parametrize("schema", sorted(TABLES_PER_SCHEMA))
def test_mermaid_has_every_table_and_foreign_key(migrated_db, schema):
    import psycopg

    markup = diagram.mermaid(schema, migrated_db)
    assert markup.startswith("erDiagram\n")
    entities = re.findall(r"^(\w+) \{$", markup, re.M)
    with psycopg.connect(migrated_db) as conn:
        fks = conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = to_regnamespace(%s)", (schema,)
        ).fetchone()[0]
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    assert sorted(entities) == sorted(t for (t,) in tables) and len(entities) == TABLES_PER_SCHEMA[schema]
    assert len(re.findall(r" : has$", markup, re.M)) == fks
    assert ",_" not in markup
    if schema == "orchestrator":  # a column that starts with the schema's name keeps it
        assert "UUID orchestrator_agent_id FK" in markup


def test_sqlite_diagram(tmp_path):
    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    markup = diagram.mermaid("syris", url)
    assert len(re.findall(r"^(\w+) \{$", markup, re.M)) == 15 and "dbkit_schema_migrations" not in markup


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_images(migrated_db, tmp_path, suffix, magic):
    path = diagram.image("iris", tmp_path / f"iris{suffix}", migrated_db)
    assert path.read_bytes().startswith(magic) and path.stat().st_size > 5_000


def test_image_needs_a_known_suffix(migrated_db, tmp_path):
    with pytest.raises(ValueError, match="pick a .png or .svg"):
        diagram.image("iris", tmp_path / "iris.gif", migrated_db)
