"""The results as files: `results.json` (everything measured), `README.md` (the tables people read)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from ._measure import Bench

MET = {True: "met", False: "**not met**", None: "reported"}


def write(bench: Bench, meta: dict[str, Any]) -> None:
    bench.out.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "targets": [dataclasses.asdict(t) for t in bench.targets], "areas": bench.results}
    (bench.out / "results.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (bench.out / "README.md").write_text(markdown(data))


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def readme_section(data: dict[str, Any]) -> str:
    """The README's performance section: how to run, the targets with their verdicts, the plot (written by a full run)."""
    meta = data["meta"]
    verdicts = [t["met"] for t in data["targets"] if t["met"] is not None]
    lines = [
        "`python -m bench` measures the kit against the limits beside it, on its own embedded server (under 15",
        "minutes on two cores; `--only AREA...` for some, `--quick` for a smoke run of a minute). Each figure is a",
        "median of repeated runs and each comparison a ratio measured in the same run; no test asserts a time.",
        f"The last full run ({meta['date'][:10]}, {meta['cores']} cores, commit {meta['commit']}): "
        f"{verdicts.count(True)} targets met, {verdicts.count(False)} not (the reason beside each). Every table: "
        "[`bench/results/README.md`](bench/results/README.md); raw figures: "
        "[`bench/results/results.json`](bench/results/results.json).",
        "",
    ]
    lines += _table(["area", "what", "measured", "target", "verdict"],
                    [[t["area"], t["what"], t["measured"], t["limit"], MET[t["met"]] + (f" ({t['note']})" if t["note"] else "")]
                     for t in data["targets"]])  # fmt: skip
    if (data["areas"].get("vectors") or {}).get("hnsw_schema_index"):
        lines += ["![recall@10 against latency of the HNSW and IVFFlat settings](bench/results/vectors.png)", ""]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(path: Path, data: dict[str, Any]) -> None:
    """Put `readme_section` between the README's bench markers."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    path.write_text(text[:start] + "\n" + readme_section(data) + text[end:], encoding="utf-8")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return [*lines, ""]


def markdown(data: dict[str, Any]) -> str:
    meta, areas = data["meta"], data["areas"]
    lines = [
        "# Benchmark results",
        "",
        f"`python -m bench{' --quick' if meta['quick'] else ''}` on {meta['date']}: {meta['cores']} cores ({meta['cpu']}), "
        f"{meta['memory_gb']} GB, {meta['platform']}; commit {meta['commit']}; {meta['total_s'] / 60:.1f} min in all.",
        f"Load average (1, 5, 15 min) at the start {meta['load_average']}, at the end {meta['load_average_end']}; "
        "the machine is shared, so each area's own is in `results.json`.",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; PostgreSQL {meta.get('postgresql', '?')}, "
        f"pgvector {meta.get('pgvector', '?')}.",
        "Every figure is a median of repeated runs; every comparison a ratio of two sides measured in this run. Raw figures: "
        "[`results.json`](results.json).",
        "",
        "## Targets",
        "",
    ]
    lines += _table(["area", "what", "measured", "target", "verdict"],
                    [[t["area"], t["what"], t["measured"], t["limit"], MET[t["met"]] + (f" ({t['note']})" if t["note"] else "")]
                     for t in data["targets"]])  # fmt: skip
    if "vectors" in areas and "hnsw_schema_index" in areas["vectors"]:
        v = areas["vectors"]
        lines += ["## Vector search", "", f"{v['live_rows']:,} live memories; exact (sequential scan) p50 {v['exact']['p50_ms']} ms, "
                  f"p95 {v['exact']['p95_ms']} ms. Server: " + ", ".join(f"{k} {s}" for k, s in v["server_settings"].items()) + ".",
                  "", "![recall@10 against latency](vectors.png)", ""]  # fmt: skip
        columns = ["setting", "recall@10 mean", "worst query", "p50 ms", "p95 ms", "x exact"]
        row = lambda f: [f["setting"], f["recall_mean"], f["recall_worst"], f["p50_ms"], f["p95_ms"], f["speedup_vs_exact"]]  # noqa: E731
        q = v["queries"]
        lines += [f"The schema's own partial HNSW index (`m = 16, ef_construction = 64`); {q['new']} new memories as queries "
                  f"(held out: another seed's texts the table does not hold; {q['candidates_already_stored']} of its texts it "
                  "did hold were left out):", ""]  # fmt: skip
        lines += _table(columns, [row(f) for f in v["hnsw_schema_index"]])
        lines += [f"The same index asked for {q['stored']} stored memories (a dedup lookup: the curated ones, each held three "
                  "times, and a sample):", ""]  # fmt: skip
        lines += _table(columns, [row(f) for f in v["hnsw_schema_index_stored"]])
        lines += ["Index builds on a copy of the live rows:", ""]
        lines += _table(["index", "build s", "size MB", "pgvector said"],
                        [[b["index"], b["build_s"], b["size_mb"], b.get("notice", "")] for b in v["builds"]])  # fmt: skip
        lines += ["Other HNSW builds and IVFFlat (on the copy):", ""]
        lines += _table(columns, [row(f) for f in v["hnsw_builds"] + v["ivfflat"]])
        f = v["filtered"]
        lines += [
            f"Filtered: `{f['predicate']}` ({f['share_of_live_rows']:.0%} of live rows), exact p50 {f['exact_p50_ms']} ms:",
            "",
        ]
        lines += _table([*columns, "rows returned"], [[*row(m), m["rows_mean"]] for m in f["modes"]])
    if "jsonb" in areas and "predicates" in areas["jsonb"]:
        j = areas["jsonb"]
        lines += ["## JSON containment", "", f"{j['rows']:,} documents ({j['table_mb']} MB); GIN jsonb_ops {j['index_mb']['jsonb_ops']} MB, "
                  f"jsonb_path_ops {j['index_mb']['jsonb_path_ops']} MB.", ""]  # fmt: skip
        cell = lambda r: r if isinstance(r, str) else f"{r['ms']} ms, {r['speedup_vs_seq']}x ({r['plan']})"  # noqa: E731
        lines += _table(["predicate", "rows", "sequential scan", "jsonb_ops", "jsonb_path_ops"],
                        [[name, f"{p['rows']:,} ({p['share']:.2%})", f"{p['seq_ms']} ms", cell(p["jsonb_ops"]), cell(p["jsonb_path_ops"])]
                         for name, p in j["predicates"].items()])  # fmt: skip
    if "loading" in areas and "rows_per_s" in areas["loading"]:
        lo = areas["loading"]
        lines += ["## Loading", "", f"{lo['rows']:,} memories with 384-d vectors, rows/s:", ""]
        lines += _table(["binary COPY", "executemany", "SQLAlchemy ORM add_all", "COPY / ORM"],
                        [[f"{lo['rows_per_s']['copy']:,}", f"{lo['rows_per_s']['executemany']:,}", f"{lo['rows_per_s']['orm']:,}",
                          f"{lo['copy_vs_orm']}x"]])  # fmt: skip
    if "startup" in areas and "cli" in areas["startup"]:
        cli = areas["startup"]["cli"]
        lines += ["## Start-up", "", "Milliseconds per command (a whole process):", ""]
        lines += _table(
            ["command", "bytecode cached", "no bytecode"],
            [[k, v, cli["no bytecode"][k]] for k, v in cli["bytecode cached"].items()],
        )
    if "notebooks" in areas and "each" in areas["notebooks"]:
        nb = areas["notebooks"]
        lines += ["## Notebooks", "", f"Shared seed {nb['shared_seed_s']} s; then each notebook on its own copy:", ""]
        lines += _table(["notebook", "wall s", "kernel start s", "cells s", "error"],
                        [[k, v["wall_s"], v["kernel_start_s"], v["cells_s"], v["error"]] for k, v in nb["each"].items()])  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"
