"""Benchmark `dbkit seed`: the default scale against its 15 s budget, and a large scale for the memories.

Runs on its own embedded server in a temp dir (never the user's), prints a table and writes
bench/results/seed.json. Timings on a shared 2-core machine are noisy: each figure is the median of
`--repeat` runs, and the verdict is a ratio measured in this one run (elapsed / budget).

    .venv/bin/python bench/seed.py               # default scale, 3 runs
    .venv/bin/python bench/seed.py --large 100   # also --scale 100 (>= 100,000 memories), once
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

BUDGET_S = 15.0  # the target for the default scale, all five schemas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", type=int, default=0, help="also time this scale once (e.g. 100)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="dbkit-bench-"))
    workdir.chmod(0o755)
    os.environ["DBKIT_DATA_DIR"] = str(workdir / "pg")
    os.environ.pop("DATABASE_URL", None)
    from dbkit import connect, migrate, server
    from dbkit.embed import embedder
    from dbkit.seed import seed

    try:
        server.up()
        migrate()
        name = embedder().name
        seed(schemas=["iris"])  # warm-up: model load, imports, first COPY
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            rows = seed()
            runs.append(time.perf_counter() - started)
        median = statistics.median(runs)
        results = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "embedder": name,
            "default_scale": {
                "runs_s": [round(r, 2) for r in runs],
                "median_s": round(median, 2),
                "budget_s": BUDGET_S,
                "ratio_to_budget": round(median / BUDGET_S, 3),
                "rows": rows,
                "rows_per_s": round(sum(rows.values()) / median),
            },
        }
        print(
            f"default scale: median {median:.2f} s over {args.repeat} runs = {median / BUDGET_S:.2f} of the {BUDGET_S:.0f} s budget"
        )
        if args.large:
            started = time.perf_counter()
            rows = seed(schemas=["ibex_core"], scale=args.large)
            elapsed = time.perf_counter() - started
            with connect() as conn:
                memories = conn.execute("SELECT count(*) FROM ibex_core.memories").fetchone()[0]
            results["large_scale"] = {"scale": args.large, "seconds": round(elapsed, 1), "memories": memories, "rows": rows}
            print(f"--scale {args.large}: {memories} memories, {sum(rows.values())} ibex rows in {elapsed:.1f} s")
        out = Path(__file__).resolve().parent / "results" / "seed.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"written to {out}")
    finally:
        server.down()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
