"""The data dictionary (`dbkit docs`) and comment coverage (`dbkit coverage`): fresh, deterministic, parseable, escaped."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from dbkit import catalog, db, docs

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "schema"
_MERMAID = re.compile(r"^```mermaid\n(.*?)^```$", re.S | re.M)


@pytest.fixture(scope="module")
def odd_db(pg_url):
    """A schema no one has seen: awkward names, comments with Markdown and HTML in them, RLS, a trigger, a view."""
    from conftest import create_database, drop_database

    url = create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            CREATE SCHEMA "Odd Schema";
            COMMENT ON SCHEMA "Odd Schema" IS 'A schema | with a pipe, <b>HTML</b> and
            two lines.';
            CREATE TABLE "Odd Schema"."Weird ""Quoted"" Table" (
                "First Name" text PRIMARY KEY,
                "Status" text NOT NULL DEFAULT 'new' CHECK ("Status" IN ('new', 'done')),
                "select" int GENERATED ALWAYS AS IDENTITY,
                "back`tick" text
            );
            """
        )
        conn.execute(
            """
            COMMENT ON TABLE "Odd Schema"."Weird ""Quoted"" Table" IS 'Rows | with `code` and a <script>.';
            COMMENT ON COLUMN "Odd Schema"."Weird ""Quoted"" Table"."First Name" IS 'Who, | exactly.';
            CREATE TABLE "Odd Schema".child (id int PRIMARY KEY, parent text REFERENCES "Odd Schema"."Weird ""Quoted"" Table");
            CREATE TABLE "Odd Schema"."Tables" (id int PRIMARY KEY);
            CREATE INDEX child_parent_partial ON "Odd Schema".child (parent) WHERE id > 10;
            ALTER TABLE "Odd Schema".child ENABLE ROW LEVEL SECURITY;
            CREATE POLICY "who | sees" ON "Odd Schema".child USING (current_setting('x.y', true) = parent);
            CREATE FUNCTION "Odd Schema".touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER touch BEFORE UPDATE ON "Odd Schema".child FOR EACH ROW EXECUTE FUNCTION "Odd Schema".touch();
            CREATE VIEW "Odd Schema".names AS SELECT "First Name" FROM "Odd Schema"."Weird ""Quoted"" Table";
            """
        )
    yield url
    db.forget()
    drop_database(url)


def test_the_committed_docs_are_what_the_migrations_give(migrated_db, tmp_path):
    written = docs.write(tmp_path / "schema", url=migrated_db)
    fresh = {p.name: p.read_bytes() for p in written}
    committed = {p.name: p.read_bytes() for p in COMMITTED.glob("*.md")} if COMMITTED.is_dir() else {}
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert stale == [], f"docs/schema/ is stale ({', '.join(stale)}): run `dbkit docs -o docs/schema/` and commit it"


def test_every_committed_diagram_parses_with_mermaid(mermaid_parse):
    texts = [block for page in sorted(COMMITTED.glob("*.md")) for block in _MERMAID.findall(page.read_text())]
    assert len(texts) >= 5
    results = mermaid_parse(texts)
    failed = [(text.splitlines()[1:3], r["error"]) for text, r in zip(texts, results, strict=True) if not r["ok"]]
    assert failed == [] and all(r["type"] == "er" for r in results)


def test_a_page_holds_every_fact_the_issue_names(migrated_db):
    ((live, entry),) = docs.schemas(["ibex"], migrated_db)
    page = docs.page(live, entry)
    memories = page[page.index("### `memories`") : page.index("### `memory_relationships`")]
    assert "| 7 | `embedding` | `vector(384)` | NOT NULL |  |  | 384-dimension embedding" in memories
    assert "| `source` | `varchar(32)` | NOT NULL | `'extracted'::character varying` |" in memories
    assert "`memories_content_hash_org` | btree | unique | `status::text = 'active'::text AND deleted_at IS NULL`" in memories
    assert "`memories_embedding_hnsw_idx` | hnsw |" in memories and "vector_cosine_ops" in memories
    assert "[`organizations`](#organizations) (`id`) | CASCADE | NO ACTION |" in memories  # out
    assert "| `memory_tags_memory_id_fkey` | [`memory_tags`](#memory_tags) | `memory_id` | `id` | CASCADE |" in memories  # in
    assert "**Row-level security**: enabled and forced" in memories
    assert "| `memories_tenant_only` | ALL | restrictive | `ibex_tenant` | `org_id = ibex_core.bound_org()` |" in memories
    assert "| `memories_set_updated_at` | BEFORE UPDATE, FOR EACH ROW | `ibex_core.set_updated_at` | yes |" in memories
    assert "## Functions" in page and "`bound_org()`" in page
    assert page.startswith(docs.MARKER + "\n# `ibex_core`\n\n**IBEX**: ")


def test_the_output_does_not_depend_on_the_order_the_catalog_lists_things(migrated_db):
    live = catalog.schema("syris", migrated_db)
    shuffled = list(live.tables)
    random.Random(7).shuffle(shuffled)
    shuffled = [replace(t, constraints=tuple(random.Random(7).sample(t.constraints, len(t.constraints))),
                        referenced_by=tuple(reversed(t.referenced_by))) for t in shuffled]  # fmt: skip
    assert docs.page(replace(live, tables=tuple(shuffled))) == docs.page(live)


def test_awkward_names_are_escaped_and_still_parse(odd_db, mermaid_parse):
    ((live, entry),) = docs.schemas(["Odd Schema"], odd_db)
    assert entry is None
    page = docs.page(live)
    assert "# `Odd Schema`" in page
    assert "A schema \\| with a pipe" not in page.split("## Diagram")[0]  # prose outside tables keeps its pipe
    assert "&lt;b&gt;HTML&lt;/b&gt;" in page and "<script>" not in page
    assert '### `Weird "Quoted" Table`' in page
    assert "| 1 | `First Name` | `text` | NOT NULL |  | PK | Who, \\| exactly. |" in page
    assert "| 4 | ``back`tick`` |" in page  # a fence longer than the backtick inside
    assert "identity, generated always" in page
    assert "| `who \\| sees` | ALL | permissive | `public` |" in page
    assert "`child_parent_partial` | btree |  | `id > 10` |" in page
    # GitHub's anchors: the table called "Tables" comes after the "## Tables" heading, so it gets -1
    assert "[`Tables`](#tables-1)" in page and '[`Weird "Quoted" Table`](#weird-quoted-table)' in page
    assert "A view." in page
    rows = [line for line in page.splitlines() if line.startswith("|")]
    assert all(line.endswith("|") for line in rows)
    headers = {}
    for line in page.splitlines():  # every row of a table has as many cells as its header
        if line.startswith("|"):
            cells = len(re.findall(r"(?<!\\)\|", line)) - 1
            headers.setdefault("current", cells)
            assert cells == headers["current"], line
        else:
            headers.clear()
    (result,) = mermaid_parse(_MERMAID.findall(page))
    assert result == {"ok": True, "type": "er"}


def test_writing_replaces_stale_generated_pages_and_leaves_other_files(odd_db, tmp_path, cli):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "gone.md").write_text(docs.MARKER + "\n# gone\n")
    (out / "notes.md").write_text("# written by hand\n")
    done = cli("docs", "Odd Schema", "--url", odd_db, "-o", str(out))
    assert done.code == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Odd_Schema.md", "README.md", "notes.md"]
    assert "1 schema page(s) and the index (README.md)" in done.stdout
    index = (out / "README.md").read_text()
    assert "| [`Odd Schema`](Odd_Schema.md) |  | 3 | 1 | 16.7% (2/12) |" in index
    done = cli("docs", "nosuch", "--url", odd_db, "-o", str(out))
    assert done.code == 1 and done.lines == [done.lines[0]] and "has no schema 'nosuch'" in done.stderr


def test_coverage_counts_table_and_column_comments_as_tbls_does(odd_db, cli):
    ((live, _),) = docs.schemas(["Odd Schema"], odd_db)
    rows = {r.table: r for r in docs.coverage(live)}
    weird = rows['Weird "Quoted" Table']
    assert (weird.commented, weird.total, weird.table_comment, weird.columns_commented) == (2, 5, True, 1)
    assert (rows["child"].commented, rows["child"].total) == (0, 3)
    assert (rows[None].commented, rows[None].total) == (2, 12)  # 2 of 4 tables + 8 columns
    done = cli("coverage", "Odd Schema", "--url", odd_db)
    assert done.code == 0
    lines = done.stdout.splitlines()
    assert lines[1].split() == ["Odd", "Schema", "16.7%", "(2/12)"]
    assert any(line.split()[-3:] == ["yes", "1/4", "40.0%"] for line in lines)
    assert lines[-1].split() == ["total", "16.7%", "(2/12)"]
    below = cli("coverage", "Odd Schema", "--url", odd_db, "--min", "50")
    assert below.code == 1 and "coverage 16.7% is below --min 50%" in below.stderr
    assert cli("coverage", "iris", "--url", odd_db).code == 1  # not in that database: one line, exit 1
