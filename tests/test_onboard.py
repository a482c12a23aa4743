"""`dbkit notebook`: a walkthrough of each of the five schemas, and of one with awkward names, executed without error.

The six walkthroughs run in one kernel, one after the other (each sets its own SCHEMA), on a clone of the
seeded database: a kernel start and the imports are paid once, not six times.
"""

from __future__ import annotations

import re

import nbformat
import psycopg
import pytest
from nbtools import executed

from dbkit import catalog, explore, onboard, registry

pytestmark = pytest.mark.notebooks

AWKWARD = """
CREATE SCHEMA "Odd Place";
COMMENT ON SCHEMA "Odd Place" IS 'A schema the kit has never seen.';
CREATE TABLE "Odd Place"."Weird ""Quoted"" Table" (
    "ID" int PRIMARY KEY,
    "Status" text NOT NULL CHECK ("Status" IN ('live', 'gone')),
    "Created At" timestamptz NOT NULL DEFAULT now(),
    "Meta Data" jsonb,
    "Embedding" vector(3),
    "select" text
);
CREATE INDEX "odd ann" ON "Odd Place"."Weird ""Quoted"" Table" USING hnsw ("Embedding" vector_l2_ops) WHERE "Status" = 'live';
CREATE TABLE "Odd Place"."child table" (id int PRIMARY KEY, parent int REFERENCES "Odd Place"."Weird ""Quoted"" Table");
CREATE TABLE "Odd Place".lonely (note text);
CREATE VIEW "Odd Place"."Live Rows" AS SELECT "ID", "Status" FROM "Odd Place"."Weird ""Quoted"" Table" WHERE "Status" = 'live';
INSERT INTO "Odd Place"."Weird ""Quoted"" Table" VALUES
    (1, 'live', now(), '{"a": 1, "b": 2}', '[1,0,0]', 'x'),
    (2, 'live', now() - interval '1 day', '[1, 2]', '[0,1,0]', 'y'),
    (3, 'gone', now() - interval '2 days', NULL, NULL, NULL);
"""
SCHEMAS = [entry.schema for entry in registry.entries()] + ["Odd Place"]


@pytest.fixture(scope="module")
def walked(seeded_clone, tmp_path_factory):
    """Every walkthrough, generated from the clone's catalog, then executed as one notebook."""
    with psycopg.connect(seeded_clone, autocommit=True) as conn:
        conn.execute(AWKWARD)
    parts, cells = {}, []
    for schema in SCHEMAS:
        notebook = onboard.walkthrough(schema, seeded_clone)
        for cell in notebook.cells:
            cell["id"] = f"s{len(parts)}-{cell['id']}"
        parts[schema] = (len(cells), len(cells) + len(notebook.cells))
        cells += notebook.cells
    combined = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
    path = tmp_path_factory.mktemp("walkthroughs") / "all.ipynb"
    nbformat.write(combined, str(path))
    with executed(path, seeded_clone, timeout=300) as tb:
        yield tb, parts, seeded_clone


def _cells(walked, schema):
    tb, parts, _ = walked
    start, end = parts[schema]
    return tb.nb.cells[start:end]


def _tagged(cells, tag):
    (cell,) = [c for c in cells if tag in c.metadata.get("tags", [])]
    return cell


def _text(cell) -> str:
    return "".join(o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values()) for o in cell.outputs)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_each_walkthrough_ran_with_the_kits_captions(walked, schema):
    cells = _cells(walked, schema)
    live = catalog.schema(schema, walked[2])
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown"]
    assert headings[1:3] == ["## What it is", "## Diagram"]
    assert not [o for c in cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    diagram = [
        o["data"]["text/vnd.mermaid"] for o in _tagged(cells, "diagram").outputs if "text/vnd.mermaid" in o.get("data", {})
    ]
    assert diagram and all(text.startswith("erDiagram") for text in diagram)
    for table in live.tables:
        slug = re.sub(r"[^A-Za-z0-9_-]", "_", table.name)
        assert f"**{table.qualified}**" in _text(_tagged(cells, f"describe-{slug}"))
        assert _tagged(cells, f"sample-{slug}").outputs
        queries = [c for c in cells if any(t.startswith(f"query-{slug}-") for t in c.metadata.get("tags", []))]
        assert queries and all(c.outputs for c in queries)
    assert "postgresql://" not in "".join(c.source for c in cells if c.cell_type == "code")  # the URL comes from DATABASE_URL


def test_the_awkward_schema_got_every_kind_of_query_and_right_answers(walked):
    cells = _cells(walked, "Odd Place")
    weird = "Weird__Quoted__Table"
    kinds = sorted(t.rsplit("-", 1)[1] if not t.endswith("json-keys") else "json-keys"
                   for c in cells for t in c.metadata.get("tags", []) if t.startswith(f"query-{weird}-"))  # fmt: skip
    assert kinds == ["counts", "json-keys", "latest", "nearest"]
    counts = _text(_tagged(cells, f"query-{weird}-counts"))
    assert "live" in counts and "gone" in counts
    keys = _text(_tagged(cells, f"query-{weird}-json-keys"))
    assert "a" in keys and "b" in keys  # the array row is skipped, not an error
    nearest = _tagged(cells, f"query-{weird}-nearest")
    assert "WHERE \"Status\" = 'live'::text" in nearest.source  # the ANN index's predicate, kept
    assert "<->" in nearest.source  # vector_l2_ops
    assert _tagged(cells, "relations-child_table").outputs
    assert "relations-lonely" not in {t for c in cells for t in c.metadata.get("tags", [])}  # no keys: no cell


def test_the_nearest_neighbour_query_can_use_the_ann_index(seeded_clone):
    memories = catalog.schema("ibex_core", seeded_clone).table("memories")
    (query,) = [q for q in onboard.queries(memories) if q.kind == "nearest"]
    assert "<=>" in query.sql and "deleted_at IS NULL" in query.sql
    plan = explore.explain(query.sql, url=seeded_clone, settings={"enable_seqscan": "off", "enable_sort": "off"})
    assert "Index Scan using memories_embedding_hnsw_idx" in plan


def test_the_command_writes_a_valid_notebook(cli, migrated_db, tmp_path):
    done = cli("notebook", "iris", "--url", migrated_db, "-o", str(tmp_path / "iris.ipynb"))
    assert done.code == 0, done.stderr
    notebook = nbformat.read(tmp_path / "iris.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].source.startswith("# IRIS: a walkthrough")
    assert [c.id for c in notebook.cells] == [f"cell-{n:03d}" for n in range(1, len(notebook.cells) + 1)]
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    bad = cli("notebook", "iris", "--url", migrated_db, "-o", str(tmp_path / "iris.txt"))
    assert bad.code == 1 and "name the notebook file with .ipynb" in bad.stderr
    missing = cli("notebook", "nosuch", "--url", migrated_db, "-o", str(tmp_path / "x.ipynb"))
    assert missing.code == 1 and "has no schema 'nosuch'" in missing.stderr
