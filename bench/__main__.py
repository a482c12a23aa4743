"""`python -m bench`: the kit measured against the limits beside it; results in bench/results/.

    python -m bench                      # every area, under 15 minutes on 2 cores; writes bench/results/
    python -m bench --quick              # a smoke test (small sizes, single runs, < 1 min); bench/results/quick/
    python -m bench --only vectors jsonb # some areas (the scaled database is seeded when none was)

Everything runs on the bench's own embedded server (DBKIT_DATA_DIR in a temp dir), stopped at the end,
on error too. Check `uptime` first: on a shared machine, a load average above ~1.5 skews every figure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import _report
from ._measure import ROOT, Bench, load, machine

AREAS = ["startup", "migrations", "embeddings", "seeding", "loading", "vectors", "jsonb", "notebooks", "suite"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: small sizes, one run each (figures not judged)")
    parser.add_argument("--only", nargs="+", choices=AREAS, metavar="AREA", help=f"run only these: {', '.join(AREAS)}")
    parser.add_argument("--skip", nargs="+", choices=AREAS, default=[], metavar="AREA", help="leave these out")
    parser.add_argument("--out", type=Path, help="where to write (default bench/results/, or bench/results/quick/ with --quick)")
    args = parser.parse_args(argv)
    chosen = [a for a in (args.only or AREAS) if a not in args.skip]
    out = args.out or ROOT / "bench" / "results" / ("quick" if args.quick else "")

    work = Path(tempfile.mkdtemp(prefix="dbkit-bench-"))
    work.chmod(0o755)  # as root the server runs as another user, who must traverse it
    os.environ["DBKIT_DATA_DIR"] = str(work / "pg")
    os.environ.pop("DATABASE_URL", None)
    if args.quick:  # plumbing, not figures: the hashing embedder seeds in seconds (the embeddings area loads MiniLM itself)
        os.environ["DBKIT_EMBEDDER"] = "hashing"
    # Bytecode of the bench's own (a fresh cache: the first start compiles, as an installed kit's does once). A
    # quick run judges nothing: its processes use the bytecode already there instead of compiling it again (~1 s).
    env = {**os.environ} if args.quick else {**os.environ, "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed kit runs from bytecode after its first start
    bench = Bench(quick=args.quick, out=out, work=work, env=env)
    out.mkdir(parents=True, exist_ok=True)
    meta = {**machine(), "quick": args.quick, "areas": chosen}
    started = time.perf_counter()
    failed = []
    from dbkit import server

    try:
        bench.url = server.up().url
        meta.update(_server_versions(bench.url))
        for name in chosen:
            try:
                importlib.import_module(f"bench.{name}").measure(bench)
            except Exception as exc:  # one broken area must not lose the others' figures
                failed.append(name)
                bench.results.setdefault(name, {})["error"] = f"{type(exc).__name__}: {exc}"
                bench.say(f"{name} FAILED: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    finally:
        server.down()
        shutil.rmtree(work, ignore_errors=True)
        meta.update(total_s=round(time.perf_counter() - started, 1), load_average_end=load(), failed=failed)
        _report.write(bench, meta)
        if not args.quick and not args.only and not args.skip and args.out is None:  # a full run: the README shows it
            _report.update_readme(ROOT / "README.md", json.loads((out / "results.json").read_text()))
        bench.say(f"written to {out} in {meta['total_s'] / 60:.1f} min" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _server_versions(url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        vector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return {"postgresql": version[0] if version else "?", "pgvector": vector[0] if vector else "?"}


if __name__ == "__main__":
    sys.exit(main())
