"""Notebooks: each of `notebooks/` executed headlessly as the suite does, timed, with the kernel's start apart.

As in the test suite (`dbkit.testing`, `tests/nbtools.py`): one database is migrated and seeded once (the
shared seed, timed on its own), each notebook runs on its own copy of it (`CREATE DATABASE ... TEMPLATE`)
in a fresh kernel with DATABASE_URL pointing there, top to bottom (nbclient). The wall time of a notebook
is its kernel's start (to ready) plus its cells; the target is <= 10 s each after the shared seed.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from typing import Any

from ._measure import ROOT, Bench, run, timed
from .seeding import new_database

CLI = [sys.executable, "-m", "dbkit"]


def measure(bench: Bench) -> None:
    import nbformat
    import psycopg
    from nbclient import NotebookClient
    from psycopg import sql

    from dbkit.url import database_of, with_database

    with bench.area("notebooks") as found:
        template = new_database(bench, "bench_nb_template")
        seed_s, _ = timed(lambda: (run([*CLI, "migrate", "--url", template], env=bench.env),
                                   run([*CLI, "seed", "--url", template], env=bench.env)))  # fmt: skip
        found["shared_seed_s"] = round(seed_s, 1)
        folder = ROOT / "notebooks"
        paths = sorted(folder.glob("*.ipynb"))[: bench.times(99, 1)]
        each: dict[str, Any] = {}
        saved = os.environ.get("DATABASE_URL")
        try:
            for path in paths:
                name = f"bench_nb_{uuid.uuid4().hex[:6]}"
                with psycopg.connect(bench.url, autocommit=True) as conn:
                    conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                        sql.Identifier(name), sql.Identifier(database_of(template))))  # fmt: skip
                os.environ["DATABASE_URL"] = with_database(bench.url, name)  # the kernel inherits it
                nb = nbformat.read(path, as_version=4)
                client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
                error, kernel = "", 0.0
                started = time.perf_counter()
                try:
                    with client.setup_kernel():
                        kernel = time.perf_counter() - started
                        for index, cell in enumerate(nb.cells):
                            client.execute_cell(cell, index)
                except Exception as exc:  # a failing notebook is a figure too: say which and why, go on
                    error = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[-1][:200]}"
                wall = time.perf_counter() - started
                cells = wall - kernel
                each[path.stem] = {"wall_s": round(wall, 2), "kernel_start_s": round(kernel, 2), "cells_s": round(cells, 2),
                                   "kernel_share": round(kernel / wall, 2) if wall else 0, "error": error}  # fmt: skip
                with psycopg.connect(bench.url, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                bench.say(f"notebooks: {path.stem} {wall:.1f} s{' FAILED ' + error if error else ''}")
        finally:
            if saved is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = saved
        found["each"] = each
        total = sum(n["wall_s"] for n in each.values())
        found["sequential_total_s"] = round(total, 1)
        over = {k: v for k, v in each.items() if v["wall_s"] > 10 or v["error"]}
        bench.target("notebooks", f"each of {len(each)} notebooks headless, after the shared seed ({seed_s:.1f} s)",
                     f"max {max(n['wall_s'] for n in each.values()):.1f} s, total {total:.0f} s; kernel start "
                     f"{sum(n['kernel_start_s'] for n in each.values()) / total:.0%} of it",
                     "<= 10 s each", not over,
                     "over: " + ", ".join(f"{k} {v['wall_s']:.1f} s{' (' + v['error'] + ')' if v['error'] else ''}"
                                          for k, v in over.items()) if over else "")  # fmt: skip
