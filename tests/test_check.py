"""`dbkit check`: clean on all five schemas, and each kind of drift is reported in plain words."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, Text

import dbkit
from dbkit.check import compare, differences
from dbkit.migrate import migrate
from dbkit.models import iris


def test_every_schema_is_clean(migrated_db):
    assert differences(migrated_db) == {name: [] for name in ("iris", "ibex_core", "orchestrator", "myloware", "syris")}


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


def test_each_kind_of_drift_is_reported(migrated_db):
    engine = dbkit.engine(migrated_db)
    try:
        with engine.connect() as connection:
            found = compare(connection, _drifted(), "iris")
    finally:
        engine.dispose()
    assert "column iris.sprites.nickname is in the models but missing from the database" in found
    assert "column iris.sprites.version has type VARCHAR in the database but INTEGER in the models" in found
    assert "index idx_sprites_role on iris.sprites (sprites.role) is in the models but missing from the database" in found
    assert any(s.startswith("index idx_chains_council_id on iris.chains") and s.endswith("not in the models") for s in found)
    assert len(found) == 4, found


def test_unmigrated_schema_says_what_to_do(fresh_db):
    assert differences(fresh_db, ["iris"]) == {"iris": ["schema iris does not exist in the database: run `dbkit migrate iris`"]}


@pytest.mark.parametrize("drop", ["ALTER TABLE iris.councils DROP COLUMN rules", "DROP INDEX iris.idx_councils_domain"])
def test_cli_exits_nonzero_on_drift(fresh_db, drop):
    migrate(fresh_db, ["iris"])
    with dbkit.connect(fresh_db, autocommit=True) as conn:
        conn.execute(drop)
    done = subprocess.run(
        [sys.executable, "-m", "dbkit", "check", "iris", "--url", fresh_db], capture_output=True, text=True, env=os.environ
    )
    assert done.returncode == 1 and "iris           1 difference(s)" in done.stdout
    assert "is in the models but missing from the database" in done.stdout
