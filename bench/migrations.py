"""Migrations: `dbkit migrate` of all five schemas on an empty database against psql on the same files.

The files are the runner's (SQLite-authored syris as it translates them), each after the schema and
search_path the runner sets; psql runs them without a ledger, checksums or parse-first checks, in two ways:

- per file: `psql --single-transaction -f FILE` once per file, so each file commits alone, as the runner
  guarantees (a `-- dbkit:no-transaction` file, CREATE INDEX CONCURRENTLY, without `--single-transaction`);
- one process: consecutive transactional files in one `psql --single-transaction -f ... -f ...`, the
  floor (one process, one commit for all, which the runner's per-file atomicity rules out).

Both sides are whole processes, run interleaved on new empty databases. The no-op re-run is set beside
`import dbkit.cli`, its floor.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

from ._measure import Bench, median, ms, ratio, run, side_by_side

CLI = [sys.executable, "-m", "dbkit"]


def measure(bench: Bench) -> None:
    import psycopg
    from psycopg import sql

    from dbkit import _pgctl
    from dbkit.migrate import discover
    from dbkit.url import with_database

    with bench.area("migrations") as found:
        folder = bench.work / "psql-files"
        folder.mkdir(exist_ok=True)
        files: list[Path] = []
        calls: list[tuple[bool, list[Path]]] = []  # consecutive transactional files share one --single-transaction
        with psycopg.connect(bench.url) as conn:
            for n, migration in enumerate(discover()):
                schema = sql.Identifier(migration.schema).as_string(conn)
                scope = "SET LOCAL" if migration.transactional else "SET"
                path = folder / f"{n:03d}_{migration.schema}_{migration.name}"
                path.write_text(
                    f"CREATE SCHEMA IF NOT EXISTS {schema};\n{scope} search_path TO {schema}, public;\n{migration.sql}\n"
                )
                files.append(path)
                if migration.transactional and calls and calls[-1][0]:
                    calls[-1][1].append(path)
                else:
                    calls.append((migration.transactional, [path]))
        base = [str(_pgctl.bin_dir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]

        def one_process(url: str) -> None:
            for transactional, paths in calls:
                one = ["--single-transaction"] if transactional else []
                run([*base, *one, *(arg for path in paths for arg in ("-f", str(path))), "-d", url], env=bench.env)

        def per_file(url: str) -> None:
            for transactional, paths in calls:
                for path in paths:
                    run([*base, *(["--single-transaction"] if transactional else []), "-f", str(path), "-d", url], env=bench.env)

        made: list[str] = []

        def empty() -> str:
            name = f"bench_migrate_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(bench.url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            made.append(name)
            return with_database(bench.url, name)

        sides = {"kit": lambda url: run([*CLI, "migrate", "--url", url], env=bench.env), "psql per file": per_file,
                 "psql, one process": one_process}  # fmt: skip
        warmup = bench.times(1, 0)  # a quick run checks the plumbing: no warm-up
        targets = {side: [empty() for _ in range(bench.times(5) + warmup)] for side in sides}
        runs = side_by_side({side: (lambda s=side: sides[s](targets[s].pop())) for side in sides}, bench.times(5), warmup=warmup)
        kit_s, per_file_s, one_s = (median(runs[side]) for side in sides)
        found["files"] = len(files)
        found["empty_database"] = {"kit_s": round(kit_s, 3), "psql_per_file_s": round(per_file_s, 3),
                                   "psql_one_process_s": round(one_s, 3), "ratio_per_file": round(ratio(kit_s, per_file_s), 3),
                                   "ratio_one_process": round(ratio(kit_s, one_s), 3)}  # fmt: skip
        bench.target("migrations", f"`dbkit migrate`, all five schemas ({len(files)} files), empty database", f"{kit_s:.2f} s",
                     "<= 1 s", kit_s <= 1.0)  # fmt: skip
        bench.target("migrations", "... against `psql --single-transaction -f FILE` per file (each file commits alone)",
                     f"{kit_s:.2f} s vs {per_file_s:.2f} s = {ratio(kit_s, per_file_s):.2f}x", "<= 1.5x",
                     ratio(kit_s, per_file_s) <= 1.5)  # fmt: skip
        bench.target("migrations", "... against one psql process for all files (one commit: the floor)",
                     f"{kit_s:.2f} s vs {one_s:.2f} s = {ratio(kit_s, one_s):.2f}x", "<= 1.5x", ratio(kit_s, one_s) <= 1.5,
                     "" if ratio(kit_s, one_s) <= 1.5 else "imports (psycopg, pglast) ~0.15 s, the parse-first check, a commit per file")  # fmt: skip

        done = with_database(bench.url, made[0])  # the kit's databases come first: all migrated
        noop = side_by_side(
            {
                "no-op migrate": lambda: run([*CLI, "migrate", "--url", done], env=bench.env),
                "import dbkit.cli": lambda: run([sys.executable, "-c", "import dbkit.cli"], env=bench.env),
            },
            bench.times(7, 1),
            warmup=warmup,
        )
        found["no_op"] = {name: ms(median(times)) for name, times in noop.items()}
        seconds = found["no_op"]["no-op migrate"] / 1000
        bench.target("migrations", "`dbkit migrate` with nothing to do", f"{seconds:.2f} s (import dbkit.cli: "
                     f"{found['no_op']['import dbkit.cli'] / 1000:.2f} s)", "<= 0.3 s", seconds <= 0.3)  # fmt: skip
        found["error_line"] = _error_line(bench, empty())
        with psycopg.connect(bench.url, autocommit=True) as conn:
            for name in made:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _error_line(bench: Bench, url: str) -> Any:
    """What a failing file says, so the results show that the one-round-trip path kept file:line:SQLSTATE."""
    folder = bench.work / "bad-sql" / "alpha"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0001_bad.sql").write_text(
        "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);\n\nINSERT INTO t VALUES (1);\n"
    )
    done = run([*CLI, "migrate", "--url", url, "--dir", str(folder.parent)], env=bench.env, check=False)
    return done.stderr.strip()
