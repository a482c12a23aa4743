"""JSON containment on every memory of the `--scale 100` database: sequential scan vs GIN `jsonb_ops` vs `jsonb_path_ops`.

Each memory becomes one document: its metadata (extractor, turn, via, batch, evidence_count) with its
category, source, status, agent, organization and tags, in `bench_json.docs`. Predicates run from
selective (one agent of one organization) to broad (a category, an extractor); `?` (key exists) only
`jsonb_ops` can serve. Each predicate is timed with index scans off (the sequential scan), then with
each GIN index alone, as the planner chooses (it rightly keeps a sequential scan for broad ones).
"""

from __future__ import annotations

from typing import Any

from ._measure import Bench, median, ms, ratio, repeat
from .seeding import scaled_database

_DOCS = """
CREATE TABLE bench_json.docs AS
SELECT m.id, m.metadata || jsonb_build_object(
    'category', m.category, 'source', m.source, 'status', m.status, 'agent', a.slug, 'org', o.slug,
    'tags', coalesce((SELECT jsonb_agg(t.tag ORDER BY t.tag) FROM ibex_core.memory_tags t WHERE t.memory_id = m.id), '[]')
) AS doc
FROM ibex_core.memories m JOIN ibex_core.agents a ON a.id = m.agent_id JOIN ibex_core.organizations o ON o.id = m.org_id
"""


def measure(bench: Bench) -> None:
    from psycopg.types.json import Jsonb

    import dbkit

    with bench.area("jsonb") as found:
        url = scaled_database(bench)
        with dbkit.connect(url) as conn:
            conn.prepare_threshold = None  # each run planned under its own settings (see bench/vectors.py)
            conn.execute("DROP SCHEMA IF EXISTS bench_json CASCADE")
            conn.execute("CREATE SCHEMA bench_json")
            conn.execute(_DOCS)
            conn.execute("ALTER TABLE bench_json.docs ADD PRIMARY KEY (id)")
            conn.execute("VACUUM ANALYZE bench_json.docs")
            rows = conn.execute("SELECT count(*) FROM bench_json.docs").fetchone()[0]
            agent, org = conn.execute("SELECT doc->>'agent', doc->>'org' FROM bench_json.docs ORDER BY id LIMIT 1").fetchone()
            predicates: dict[str, tuple[str, Any]] = {
                "selective: one agent of one org": ("doc @> %s", Jsonb({"agent": agent, "org": org})),
                "selective: a tag and a source": ("doc @> %s", Jsonb({"tags": ["compliance"], "source": "imported"})),
                "medium: one tag": ("doc @> %s", Jsonb({"tags": ["billing"]})),
                "broad: a category": ("doc @> %s", Jsonb({"category": "episodic"})),
                "broad: the extractor": ("doc @> %s", Jsonb({"extractor": "ibex-extract-v2"})),
                "key exists: evidence_count": ("doc ? %s", "evidence_count"),
            }
            times = bench.times(15, 2)
            results: dict[str, dict[str, Any]] = {}
            for name, (where, value) in predicates.items():
                query = f"SELECT id FROM bench_json.docs WHERE {where}"
                matched = len(conn.execute(query, (value,)).fetchall())
                results[name] = {"rows": matched, "share": round(matched / rows, 4),
                                 "seq_ms": ms(_timed(conn, query, value, times, {"enable_bitmapscan": "off", "enable_indexscan": "off"}))}  # fmt: skip
            sizes = {}
            for opclass in ("jsonb_ops", "jsonb_path_ops"):
                conn.execute(f"CREATE INDEX docs_gin ON bench_json.docs USING gin (doc {opclass})")
                sizes[opclass] = round(conn.execute("SELECT pg_relation_size('bench_json.docs_gin')").fetchone()[0] / 1024**2, 1)
                conn.execute("ANALYZE bench_json.docs")
                for name, (where, value) in predicates.items():
                    if where.startswith("doc ?") and opclass == "jsonb_path_ops":
                        results[name][opclass] = "not supported (? needs jsonb_ops)"
                        continue
                    query = f"SELECT id FROM bench_json.docs WHERE {where}"
                    seconds = _timed(conn, query, value, times, {})
                    plan = " ".join(r[0] for r in conn.execute("EXPLAIN (COSTS OFF) " + query, (value,)))
                    results[name][opclass] = {"ms": ms(seconds), "plan": "index (bitmap)" if "docs_gin" in plan else "sequential scan",
                                              "speedup_vs_seq": round(ratio(results[name]["seq_ms"], seconds * 1000), 1)}  # fmt: skip
                conn.execute("DROP INDEX bench_json.docs_gin")
            table_mb = round(conn.execute("SELECT pg_relation_size('bench_json.docs')").fetchone()[0] / 1024**2, 1)
            conn.execute("DROP SCHEMA bench_json CASCADE")
        found.update(rows=rows, table_mb=table_mb, index_mb=sizes, predicates=results)
        selective = [r for name, r in results.items() if name.startswith("selective")]
        worst = min(min(r["jsonb_ops"]["speedup_vs_seq"], r["jsonb_path_ops"]["speedup_vs_seq"]) for r in selective)
        bench.target("jsonb", f"`@>` on {rows:,} documents, selective predicates: GIN vs sequential scan",
                     f"at least {worst:.0f}x (jsonb_ops {sizes['jsonb_ops']} MB, jsonb_path_ops {sizes['jsonb_path_ops']} MB)",
                     ">= 20x", worst >= 20)  # fmt: skip


def _timed(conn: Any, query: str, value: Any, times: int, settings: dict[str, str]) -> float:
    def once() -> None:
        with conn.transaction():
            for name, setting in settings.items():
                conn.execute("SELECT set_config(%s, %s, true)", (name, setting))
            conn.execute(query, (value,)).fetchall()

    return median(repeat(once, times, warmup=1))
