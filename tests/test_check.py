"""`dbkit check`: clean on every schema of the registry, and each kind of drift reported in plain words:
alembic's (columns, types, indexes), the index methods and predicates alembic does not compare, and comments."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, Text

import dbkit
from dbkit import DriftError, registry
from dbkit.check import check, compare, differences, normalise_predicate
from dbkit.migrate import migrate
from dbkit.models import iris


def test_every_schema_is_clean(migrated_db):
    assert differences(migrated_db) == {e.schema: [] for e in registry.with_models()}
    check(migrated_db)  # raises nothing


def test_syris_is_clean_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    assert differences(url) == {"syris": []}


def _drifted() -> MetaData:
    metadata = MetaData(schema="iris")
    for table in iris.Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    sprites = metadata.tables["iris.sprites"]
    sprites.append_column(Column("nickname", Text))  # a column the database lacks
    sprites.c.version.type = Integer()  # a wrong type
    Index("idx_sprites_role", sprites.c.role)  # an index the database lacks
    chains = metadata.tables["iris.chains"]
    chains.indexes.discard(next(i for i in chains.indexes if i.name == "idx_chains_council_id"))  # one it has
    return metadata


def test_each_kind_of_alembic_drift_is_reported(migrated_db):
    with dbkit.engine(migrated_db).connect() as connection:
        found = compare(connection, _drifted(), "iris")
    assert "column iris.sprites.nickname is in the models but missing from the database" in found
    assert "column iris.sprites.version has type VARCHAR in the database but INTEGER in the models" in found
    assert "index idx_sprites_role on iris.sprites (sprites.role) is in the models but missing from the database" in found
    assert any(s.startswith("index idx_chains_council_id on iris.chains") and s.endswith("not in the models") for s in found)
    assert len(found) == 4, found


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("DROP INDEX ibex_core.memories_embedding_hnsw_idx; CREATE INDEX memories_embedding_hnsw_idx ON ibex_core.memories "
         "USING ivfflat (embedding vector_cosine_ops) WHERE status = 'active' AND deleted_at IS NULL",
         "index memories_embedding_hnsw_idx on ibex_core.memories uses ivfflat in the database but hnsw in the models"),
        ("DROP INDEX ibex_core.memories_embedding_hnsw_idx; CREATE INDEX memories_embedding_hnsw_idx ON ibex_core.memories "
         "USING hnsw (embedding vector_l2_ops) WHERE status = 'active' AND deleted_at IS NULL",
         "column embedding has opclass vector_l2_ops in the database but vector_cosine_ops in the models"),
        ("DROP INDEX ibex_core.memories_embedding_hnsw_idx; CREATE INDEX memories_embedding_hnsw_idx ON ibex_core.memories "
         "USING hnsw (embedding vector_cosine_ops) WHERE status = 'active'",
         "is partial on status::text = 'active'::text in the database but status = 'active' AND deleted_at IS NULL in the models"),
        ("DROP INDEX ibex_core.memories_embedding_hnsw_idx; CREATE INDEX memories_embedding_hnsw_idx ON ibex_core.memories "
         "USING hnsw (embedding vector_cosine_ops)",
         "is partial on no WHERE (a full index) in the database"),
        ("COMMENT ON COLUMN iris.sprites.role IS NULL", "column iris.sprites.role has no comment: add COMMENT ON COLUMN"),
        ("COMMENT ON TABLE iris.chains IS NULL", "table iris.chains has no comment: add COMMENT ON TABLE"),
    ],
)  # fmt: skip
def test_what_alembic_does_not_compare_is_compared_from_the_catalog(migrated_clone, change, says):
    with dbkit.connect(migrated_clone) as conn:
        conn.execute(change)
    with pytest.raises(DriftError) as caught:  # check() is differences() that raises: one comparison, not two
        check(migrated_clone, ["iris", "ibex"])
    found = [s for diffs in caught.value.differences.values() for s in diffs]
    assert any(says in s for s in found), found
    assert "run `dbkit check` to list them" in str(caught.value)


def test_predicates_compare_by_meaning_not_spelling():
    assert normalise_predicate("((status)::text = 'active'::text) AND (deleted_at IS NULL)") == normalise_predicate(
        "status = 'active' AND deleted_at IS NULL"
    )
    assert normalise_predicate("enabled = true") == normalise_predicate("enabled = 1")
    assert normalise_predicate("a = 1") != normalise_predicate("a = 2")


def test_unmigrated_schema_says_what_to_do(fresh_db):
    assert differences(fresh_db, ["iris"]) == {"iris": ["schema iris does not exist in the database: run `dbkit migrate iris`"]}


@pytest.mark.parametrize("drop", ["ALTER TABLE iris.councils DROP COLUMN rules", "DROP INDEX iris.idx_councils_domain"])
def test_cli_exits_nonzero_on_drift(cli, migrated_clone, drop):
    with dbkit.connect(migrated_clone) as conn:
        conn.execute(drop)
    done = cli("check", "iris", "--url", migrated_clone)
    assert done.code == 1 and "iris           1 difference(s)" in done.stdout
    assert "is in the models but missing from the database" in done.stdout
