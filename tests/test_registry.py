"""The one schema registry: read from sql/<folder>/dbkit.toml; a sixth schema is a folder and its modules."""

from __future__ import annotations

import sys
import textwrap

import pytest

from dbkit import ConfigError, NotFoundError, registry


def test_the_kit_registry():
    entries = {e.schema: e for e in registry.entries()}
    assert entries["ibex_core"].folder == "ibex" and "ibex" in entries["ibex_core"].aliases
    assert entries["syris"].dialect == "sqlite"
    assert all(e.models and e.seed and e.notebook for e in entries.values())
    assert registry.find("ibex") is not None and registry.find("ibex_core").folder == "ibex"


def test_unknown_names_list_the_known_ones():
    with pytest.raises(NotFoundError, match=r"unknown schema 'nosuch'; known: .*ibex \(ibex_core\)"):
        registry.find("nosuch")


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("schema = 5", "schema must be a non-empty string, not 5"),
        ('schema = ""', "schema must be a non-empty string"),
        ('dialect = "oracle"', "dialect must be one of postgresql, sqlite"),
        ("aliases = 'x'", "aliases must be a list of names"),
        ('shcema = "x"', "unknown key 'shcema'"),
        ("schema = [", "fix the TOML"),
    ],
)
def test_a_bad_dbkit_toml_is_one_line(sql_dir, toml, says):
    sql_dir.write("zoo/0001_zoo.sql", "SELECT 1;")
    sql_dir.write("zoo/dbkit.toml", toml)
    with pytest.raises(ConfigError, match=says) as caught:
        registry.entries(sql_dir.root)
    assert str(caught.value).startswith(str(sql_dir.root / "zoo" / "dbkit.toml"))


def test_two_folders_may_not_claim_one_name(sql_dir):
    sql_dir.write("a/0001_a.sql", "SELECT 1;")
    sql_dir.write("a/dbkit.toml", 'schema = "shared"')
    sql_dir.write("b/0001_b.sql", "SELECT 1;")
    sql_dir.write("b/dbkit.toml", 'aliases = ["shared"]')
    with pytest.raises(ConfigError, match="'shared' names both sql/a and sql/b"):
        registry.entries(sql_dir.root)


def test_a_models_module_that_does_not_import_is_named(sql_dir):
    sql_dir.write("zoo/0001_zoo.sql", "SELECT 1;")
    sql_dir.write("zoo/dbkit.toml", 'models = "no_such_module_zz"')
    with pytest.raises(ConfigError, match="models module 'no_such_module_zz' cannot be imported"):
        registry.find("zoo", sql_dir.root).models_module()


def test_a_sixth_schema_is_a_folder_and_its_modules(sql_dir, tmp_path, fresh_db, monkeypatch, cli):
    """Migrate, seed, check, diagram and the CLI pick up a schema nothing else in the kit names."""
    sql_dir.write(
        "zoo/0001_animals.sql",
        textwrap.dedent("""
        CREATE TABLE keepers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE animals (id int PRIMARY KEY, keeper_id int NOT NULL REFERENCES keepers (id), species text NOT NULL);
        CREATE INDEX animals_keeper_id_idx ON animals (keeper_id);
        COMMENT ON TABLE keepers IS 'People who feed the animals.';
        COMMENT ON COLUMN keepers.id IS 'Keeper id.';
        COMMENT ON COLUMN keepers.name IS 'Full name.';
        COMMENT ON TABLE animals IS 'Animals of the zoo.';
        COMMENT ON COLUMN animals.id IS 'Animal id.';
        COMMENT ON COLUMN animals.keeper_id IS 'Who feeds it.';
        COMMENT ON COLUMN animals.species IS 'Latin name.';
    """),
    )
    sql_dir.write("zoo/dbkit.toml", 'title = "Zoo"\nmodels = "zoo_models"\nseed = "zoo_seed"\n')
    (tmp_path / "zoo_models.py").write_text(
        textwrap.dedent("""
        from sqlalchemy import ForeignKey, Index, MetaData, Text
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            metadata = MetaData(schema="zoo")
            type_annotation_map = {str: Text()}

        class Keeper(Base):
            __tablename__ = "keepers"
            id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
            name: Mapped[str]

        class Animal(Base):
            __tablename__ = "animals"
            __table_args__ = (Index("animals_keeper_id_idx", "keeper_id"),)
            id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
            keeper_id: Mapped[int] = mapped_column(ForeignKey("zoo.keepers.id"))
            species: Mapped[str]
    """)
    )
    (tmp_path / "zoo_seed.py").write_text(
        textwrap.dedent("""
        from dbkit.seed import Table

        def generate(ctx):
            keepers, animals = Table("keepers"), Table("animals")
            for k in range(3):
                keepers.add(id=k, name=ctx.fake.name())
            for a in range(10 * ctx.scale):
                animals.add(id=a, keeper_id=ctx.random.randrange(3), species=ctx.choice(["Panthera leo", "Ursus arctos"]))
            return [keepers, animals]
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DBKIT_SQL_DIR", str(sql_dir.root))
    try:
        from dbkit import diagram
        from dbkit.check import differences
        from dbkit.migrate import migrate
        from dbkit.seed import seed

        assert [m.name for m in migrate(fresh_db)] == ["0001_animals.sql"]
        assert seed(fresh_db) == {"zoo": 13}
        assert differences(fresh_db) == {"zoo": []}
        assert 'keepers ||..o{ animals : "keeper_id"' in diagram.mermaid("zoo", fresh_db)
        done = cli("status", "--url", fresh_db)
        assert "zoo            up to date (1 applied)" in done.stdout
    finally:
        for name in ("zoo_models", "zoo_seed"):
            sys.modules.pop(name, None)
