"""Catalog answers and reads as DataFrames, on the kit's schemas and on SQLite."""

from __future__ import annotations

import numpy as np
import pytest
from kit_fixtures import bypasses_rls
from pgvector import Vector

from dbkit import NotFoundError, QueryError, explore


def test_tables_columns_indexes(migrated_db):
    # the explorer has BYPASSRLS where the kit's role may grant it (the embedded server's superuser): nothing is
    # hidden, nothing to say under the table; an ordinary kit role's explorer is told what it does not see
    assert ("note" in explore.tables("ibex_core", url=migrated_db).attrs) is not bypasses_rls(migrated_db)
    listing = explore.tables("iris", url=migrated_db)
    assert list(listing["table"]) == ["chains", "councils", "execution_history", "sprites"]
    assert listing["description"].notna().all() and list(listing["rows"]) == [0, 0, 0, 0]
    columns = explore.columns("iris", "sprites", url=migrated_db)
    assert columns.loc[columns["column"] == "capabilities", "type"].item() == "jsonb"
    assert columns.loc[columns["column"] == "id", "key"].item() == "PK"
    assert columns["description"].notna().all()
    memories = explore.columns("ibex_core", "memories", url=migrated_db).set_index("column")
    assert memories.at["embedding", "type"] == "vector(384)" and memories.at["created_at", "type"] == "timestamptz"
    assert memories.at["agent_id", "key"] == "FK → ibex_core.agents"
    indexes = explore.indexes("ibex_core", "memories", url=migrated_db).set_index("index")
    assert (
        bool(indexes.at["memories_content_hash_org", "unique"])
        and "status" in indexes.at["memories_content_hash_org", "partial_where"]
    )
    assert indexes.at["memories_embedding_hnsw_idx", "method"] == "hnsw"
    assert indexes.at["memories_embedding_hnsw_idx", "opclass"] == "vector_cosine_ops"
    assert indexes.at["memories_embedding_hnsw_idx", "options"] == "m=16, ef_construction=64"
    assert indexes.at["memories_embedding_hnsw_idx", "definition"].startswith(
        "CREATE INDEX memories_embedding_hnsw_idx ON ibex_core.memories USING hnsw"
    )


def test_constraints_and_foreign_keys_both_ways(migrated_db):
    constraints = explore.constraints("iris", "sprites", url=migrated_db)
    checks = constraints[constraints["kind"] == "check"]
    assert len(checks) >= 4 and checks["check"].notna().all()
    out = explore.references("ibex_core", "memories", url=migrated_db)
    assert {"ibex_core.organizations", "ibex_core.agents", "ibex_core.memories"} <= set(out["to"])
    assert set(out.loc[out["columns"] == "session_id", "on_delete"]) == {"SET NULL"}
    into = explore.referenced_by("ibex_core", "memories", url=migrated_db)
    assert {"ibex_core.memory_versions", "ibex_core.memory_relationships", "ibex_core.memory_tags"} <= set(into["from"])


def test_triggers_policies_functions(migrated_db):
    triggers = explore.triggers("orchestrator", url=migrated_db)
    assert set(triggers["table"]) == {"agents", "orchestrator_agents"} and set(triggers["timing"]) == {"BEFORE"}
    policies = explore.policies("ibex_core", "memories", url=migrated_db)
    assert set(policies["policy"]) == {"memories_org_isolation", "memories_tenant", "memories_tenant_only"}
    assert policies["rls_forced"].all()
    functions = explore.functions("ibex_core", url=migrated_db).set_index("function")
    assert functions.at["bound_org", "returns"] == "uuid" and functions.at["set_updated_at", "language"] == "plpgsql"


def test_search_finds_names_and_comments_everywhere(migrated_db):
    found = explore.search("embedding", url=migrated_db)
    names = set(found["schema"] + "." + found["name"])
    assert {"ibex_core.memories.embedding", "myloware.kb_embeddings", "ibex_core.memories_embedding_hnsw_idx"} <= names
    by_comment = explore.search("dead-letter", url=migrated_db)
    assert "webhook_dlq" in set(by_comment["name"])
    assert set(explore.search("embedding", schema="iris", url=migrated_db)["schema"]) <= {"iris"}


def test_schemas(migrated_db):
    listing = explore.schemas(url=migrated_db).set_index("schema")
    assert listing.at["ibex_core", "tables"] == 11 and listing.at["syris", "tables"] == 15


def test_query_is_read_only(migrated_db):
    with pytest.raises(QueryError, match="is not a read"):
        explore.query("DELETE FROM iris.sprites", url=migrated_db)


def test_identifiers_are_quoted_and_unknown_names_are_named(migrated_db):
    with pytest.raises(NotFoundError, match="has no table 'sprites\"; DROP TABLE iris.chains; --'"):
        explore.sample("iris", 'sprites"; DROP TABLE iris.chains; --', url=migrated_db)
    assert "chains" in set(explore.tables("iris", url=migrated_db)["table"])


def test_sample_is_ordered_by_primary_key(seeded_db):
    rows = explore.sample("iris", "sprites", 3, url=seeded_db)
    assert len(rows) == 3 and list(rows["id"]) == sorted(rows["id"])
    with pytest.raises(Exception, match="limit must be"):
        explore.sample("iris", "sprites", -1, url=seeded_db)


def test_explain_applies_settings_to_the_transaction_only(migrated_db):
    statement = "SELECT * FROM iris.sprites WHERE capabilities @> %s::jsonb"
    params = ['[{"name": "generate_code"}]']
    assert "idx_sprites_capabilities" in explore.explain(statement, params, url=migrated_db, settings={"enable_seqscan": "off"})
    assert "Seq Scan" in explore.explain(statement, params, url=migrated_db)


def test_explain_shortens_vector_literals(migrated_db):
    query = np.ones(384, dtype=np.float32) / np.sqrt(384)
    plan = explore.explain(
        "SELECT id FROM ibex_core.memories ORDER BY embedding <=> %s LIMIT 3", [Vector(query)], url=migrated_db
    )
    assert "[…384 values…]" in plan and len(plan) < 2000


def test_the_same_questions_on_sqlite(tmp_path):
    from dbkit.migrate import migrate

    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    assert len(explore.tables(url=url)) == 15
    columns = explore.columns(None, "tool_results", url=url)
    assert list(columns["column"])[:2] == ["tool_call_id", "status"]
    assert set(explore.references(None, "steps", url=url)["to"]) == {"tasks"}
    assert "audit_events_no_update" in set(explore.triggers(None, url=url)["trigger"])
    assert "steps.idempotency_key" in set(explore.search("idempotency", url=url)["name"])
    assert explore.sample(None, "events", url=url).empty
