"""ER diagrams drawn from the catalog: truthful on any catalog order, parsed by the real Mermaid parser."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from dbkit import UsageError, catalog, diagram, registry
from dbkit.migrate import migrate


def _entities(markup: str) -> list[str]:
    return re.findall(r"^    (\w+)(?: \{)?$", markup, re.M)


def _edges(markup: str) -> set[tuple[str, str, str]]:
    return {(p, c, label) for p, c, label in re.findall(r'^    (\w+) \S+ (\w+) : "([^"]+)"$', markup, re.M)}


@pytest.mark.parametrize("entry", registry.entries(), ids=lambda e: e.schema)
def test_every_table_once_under_its_own_name_and_every_foreign_key_once(migrated_db, entry):
    live = catalog.schema(entry.schema, migrated_db)
    markup = diagram.mermaid(entry.schema, migrated_db)
    assert markup.startswith("erDiagram\n")
    assert sorted(_entities(markup)) == sorted(t.name for t in live.tables)
    expected = {(fk.ref_table, fk.table, ", ".join(fk.columns)) for t in live.tables for fk in t.foreign_keys}
    assert _edges(markup) == expected
    for table in live.tables:  # each entity carries its own columns, in order, with its real types
        block = re.search(rf"^    {table.name} \{{\n(.*?)\n    \}}", markup, re.S | re.M).group(1)
        names = [line.split()[1] for line in block.splitlines()]
        assert names == [c.name for c in table.columns]


@pytest.mark.parametrize("seed", range(8))
def test_the_diagram_does_not_depend_on_the_order_the_catalog_lists_things(migrated_db, seed):
    """The orchestrator merge: `agents` and `orchestrator_agents` must stay two tables on any order."""
    live = catalog.schema("orchestrator", migrated_db)
    shuffled = list(live.tables)
    random.Random(seed).shuffle(shuffled)
    shuffled = [replace(t, columns=tuple(t.columns), constraints=tuple(random.Random(seed).sample(t.constraints, len(t.constraints))))
                for t in shuffled]  # fmt: skip
    markup = diagram.mermaid_of(replace(live, tables=tuple(shuffled)))
    assert markup == diagram.mermaid_of(live)
    assert {"agents", "orchestrator_agents"} <= set(_entities(markup))
    assert ("orchestrator_agents", "agents", "orchestrator_agent_id") in _edges(markup)
    assert not any(parent == child for parent, child, _ in _edges(markup))  # no self-loop appeared


def test_types_markers_and_cardinality_tell_the_truth(migrated_db, tmp_path):
    markup = diagram.mermaid("ibex_core", migrated_db)
    memories = re.search(r"^    memories \{\n(.*?)\n    \}", markup, re.S | re.M).group(1)
    assert "        uuid id PK" in memories
    assert '        uuid org_id FK "NOT NULL"' in memories
    assert '        vector(384) embedding "NOT NULL"' in memories
    assert "        numeric(4-3) confidence" in memories and '        timestamptz created_at "NOT NULL"' in memories
    assert "        uuid superseded_by FK\n" in memories + "\n"  # nullable: no NOT NULL marker
    assert '    organizations ||..o{ memories : "org_id"' in markup  # NOT NULL key: exactly one parent
    assert '    memories |o..o{ memories : "superseded_by"' in markup  # nullable self-reference
    assert '    memories ||--o{ memory_tags : "memory_id"' in markup  # part of the child's key: identifying
    agents = diagram.mermaid("iris", migrated_db)
    assert '        varchar name UK "NOT NULL"' in agents
    lite = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(lite)
    syris = diagram.mermaid(None, lite)
    assert '    tool_calls ||--o| tool_results : "tool_call_id"' in syris  # the key is the child's PK: one to one


def test_focus_mode_draws_a_table_and_its_neighbours(migrated_db):
    markup = diagram.mermaid("ibex_core", migrated_db, around="memory_tags", depth=1)
    assert sorted(_entities(markup)) == ["memories", "memory_tags", "organizations"]
    wider = diagram.mermaid("ibex_core", migrated_db, around="memory_tags", depth=2)
    assert {"agents", "sessions"} <= set(_entities(wider))
    with pytest.raises(Exception, match="has no table 'nope'"):
        diagram.mermaid("ibex_core", migrated_db, around="nope")


def test_keys_only_keeps_only_key_columns(migrated_db):
    markup = diagram.mermaid("ibex_core", migrated_db, columns="keys")
    assert "embedding" not in markup and "content " not in markup and "uuid org_id FK" in markup
    with pytest.raises(UsageError, match="columns must be 'all' or 'keys'"):
        diagram.mermaid("ibex_core", migrated_db, columns="some")


def test_a_big_schema_is_drawn_in_readable_parts(migrated_db):
    parts = diagram.parts("syris", migrated_db)
    assert len(parts) > 1
    seen = [name for part in parts for name in _entities(part)]
    assert sorted(seen) == sorted(t.name for t in catalog.schema("syris", migrated_db).tables)  # each table once
    assert all(len(_entities(part)) <= diagram.PART_SIZE for part in parts)


def test_every_generated_diagram_parses_with_mermaid(migrated_db, mermaid_parse):
    texts = []
    for entry in registry.entries():
        texts.append(diagram.mermaid(entry.schema, migrated_db))
        texts.append(diagram.mermaid(entry.schema, migrated_db, columns="keys"))
        texts += diagram.parts(entry.schema, migrated_db)
    texts.append(diagram.mermaid("ibex_core", migrated_db, around="memories", depth=1))
    results = mermaid_parse(texts)
    failed = [(text.splitlines()[1:3], r["error"]) for text, r in zip(texts, results, strict=True) if not r["ok"]]
    assert failed == [] and all(r["type"] == "er" for r in results)


def test_the_parser_check_can_fail(mermaid_parse):
    (result,) = mermaid_parse(["erDiagram\n    a {\n        numeric(4,3) x\n    }\n"])  # a comma Mermaid refuses
    assert result["ok"] is False and "Parse error" in result["error"]


def test_awkward_names_and_types_still_parse(pg_url, mermaid_parse):
    import psycopg
    from conftest import create_database, drop_database

    url = create_database()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                'CREATE SCHEMA odd; CREATE TABLE odd."Weird Table" ("first name" text PRIMARY KEY, "char" "char", '
                "d double precision, t time with time zone, b bit varying(4), n numeric(10,2));"
                'CREATE TABLE odd.child (id int PRIMARY KEY, parent text REFERENCES odd."Weird Table");'
            )
        markup = diagram.mermaid("odd", url)
        assert mermaid_parse([markup]) == [{"ok": True, "type": "er"}]
        assert 'Weird_Table["Weird Table"]' in markup
    finally:
        from dbkit import db

        db.forget()
        drop_database(url)


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_images(migrated_db, tmp_path, suffix, magic):
    path = diagram.image("iris", tmp_path / f"iris{suffix}", migrated_db)
    assert path.read_bytes().startswith(magic) and path.stat().st_size > 5_000


def test_export_as_mmd_and_markdown(migrated_db, tmp_path):
    mmd = diagram.save("iris", tmp_path / "iris.mmd", migrated_db)
    assert mmd.read_text() == diagram.mermaid("iris", migrated_db)
    md = diagram.save("iris", tmp_path / "iris.md", migrated_db)
    assert md.read_text().startswith("```mermaid\nerDiagram\n")
    with pytest.raises(UsageError, match="pick a .mmd, .md, .svg or .png"):
        diagram.save("iris", tmp_path / "iris.gif", migrated_db)
