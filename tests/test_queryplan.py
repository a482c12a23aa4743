"""EXPLAIN ANALYZE (BUFFERS) as a readable tree, on real statements: times and rows per node, the slowest marked."""

from __future__ import annotations

import numpy as np
import pytest
from pgvector import Vector

from dbkit import ReadOnlyError, explore

NEAREST = "SELECT id FROM ibex_core.memories WHERE status = 'active' AND deleted_at IS NULL ORDER BY embedding <=> %s LIMIT 5"


def test_a_plan_has_times_rows_and_buffers_per_node_and_marks_the_slowest(seeded_db):
    plan = explore.plan(
        "SELECT c.domain, count(*) FROM iris.councils c JOIN iris.chains ch ON ch.council_id = c.id GROUP BY 1 ORDER BY 2 DESC",
        url=seeded_db,
    )
    assert plan.analyzed and plan.execution_ms > 0 and plan.planning_ms > 0
    kinds = [n.kind for n in plan.nodes]
    assert kinds[0] == "Sort" and "Hash Join" in kinds and kinds.count("Seq Scan") == 2
    assert all(n.total_ms is not None and n.rows is not None for n in plan.nodes)
    assert sum(n.shared_hit + n.shared_read for n in plan.nodes) > 0
    slowest = plan.slowest
    assert slowest is not None and slowest.self_ms == max(n.self_ms for n in plan.nodes)
    text = plan.text()
    assert text.splitlines()[0].startswith("execution ") and "◀ slowest" in text and "└─ " in text
    assert "Seq Scan on chains ch" in text and "Hash Cond: (ch.council_id = c.id)" in text
    assert '<b style="color:#b3261e">' in plan._repr_html_()


def test_the_ann_index_shows_in_the_plan_and_vectors_are_shortened(seeded_db, reads_every_row):
    reads_every_row(seeded_db)  # a reader bound by the policies would be planned by org first
    plan = explore.plan(NEAREST, [Vector(np.ones(384, dtype=np.float32))], url=seeded_db)
    assert plan.uses("memories_embedding_hnsw_idx")
    assert "[…384 values…]" in plan.text() and len(plan.text()) < 2000
    exact = explore.plan(NEAREST, [Vector(np.ones(384, dtype=np.float32))], url=seeded_db, settings={"enable_indexscan": "off"})
    assert not exact.uses("memories_embedding_hnsw_idx")


def test_an_estimate_runs_nothing(seeded_db):
    plan = explore.plan("SELECT * FROM iris.sprites", url=seeded_db, analyze=False)
    assert not plan.analyzed and plan.nodes[0].rows is None and plan.nodes[0].estimated_rows > 0
    assert plan.text().startswith("estimated plan")


def test_a_write_is_analyzed_only_when_asked_and_then_rolled_back(seeded_clone):
    with pytest.raises(ReadOnlyError, match="is not a read"):
        explore.plan("DELETE FROM iris.chains", url=seeded_clone)
    before = int(explore.query("SELECT count(*) FROM iris.chains", url=seeded_clone).iloc[0, 0])
    plan = explore.plan("DELETE FROM iris.chains", url=seeded_clone, rollback=True)
    assert plan.rolled_back and "rolled back: nothing changed" in plan.text() and plan.nodes[0].kind == "ModifyTable"
    assert int(explore.query("SELECT count(*) FROM iris.chains", url=seeded_clone).iloc[0, 0]) == before > 0
