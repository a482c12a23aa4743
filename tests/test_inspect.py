"""Catalog DataFrames and read-only queries."""

from __future__ import annotations

import psycopg
import pytest

from dbkit import inspect


def test_tables_columns_indexes(migrated_db):
    listing = inspect.tables("iris", url=migrated_db)
    assert list(listing["table"]) == ["chains", "councils", "execution_history", "sprites"]
    assert listing["description"].notna().all()
    columns = inspect.columns("iris", "sprites", url=migrated_db)
    assert columns.loc[columns["column"] == "capabilities", "type"].item() == "jsonb"
    assert columns["description"].notna().all()
    indexes = inspect.indexes("ibex_core", "memories", url=migrated_db)
    partial = indexes.set_index("index").loc["memories_content_hash_org"]
    assert bool(partial["unique"]) and "status" in partial["partial_where"]
    assert indexes.loc[indexes["method"] == "hnsw", "index"].tolist() != []


def test_query_is_read_only(migrated_db):
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        inspect.query("DELETE FROM iris.sprites", url=migrated_db)


def test_identifiers_are_quoted(migrated_db):
    with pytest.raises(psycopg.errors.UndefinedTable):
        inspect.sample("iris", 'sprites"; DROP TABLE iris.chains; --', url=migrated_db)
    assert "chains" in set(inspect.tables("iris", url=migrated_db)["table"])


def test_explain_applies_settings_to_the_transaction_only(migrated_db):
    statement = "SELECT * FROM iris.sprites WHERE capabilities @> %s::jsonb"
    params = ['[{"name": "generate_code"}]']
    assert "idx_sprites_capabilities" in inspect.explain(statement, params, url=migrated_db, settings={"enable_seqscan": "off"})
    assert "Seq Scan" in inspect.explain(statement, params, url=migrated_db)


def test_explain_shortens_vector_literals(migrated_db):
    import numpy as np
    from pgvector import Vector

    query = np.ones(384, dtype=np.float32) / np.sqrt(384)
    plan = inspect.explain(
        "SELECT id FROM ibex_core.memories ORDER BY embedding <=> %s LIMIT 3", [Vector(query)], url=migrated_db
    )
    assert "[…384 values…]" in plan and len(plan) < 2000
