"""Start-up: `dbkit up` (cold and warm) against the same binaries driven directly, and the CLI's own start.

Cold: a new data directory each time. The kit runs `python -m dbkit up` then `down`; the direct drive
runs initdb, `pg_ctl start -w`, createdb and `pg_ctl stop` with the kit's options (the same initdb
flags, the same `-c` settings, as the same system user when root), so the ratio is what the kit adds:
Python, its checks, its files. Warm: the data directory exists and the server is stopped.

The CLI figures are with bytecode cached (PYTHONPYCACHEPREFIX, as an installed package runs after its
first start) and, beside them, without any (PYTHONDONTWRITEBYTECODE, how this machine's shells run).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from ._measure import Bench, load, median, ms, ratio, run, side_by_side

CLI = [sys.executable, "-m", "dbkit"]


def measure(bench: Bench) -> None:
    with bench.area("startup") as found:
        found["cold"] = _cold(bench)
        found["warm"] = _warm(bench)
        found["cli"] = _cli(bench)


def _direct(directory: Path, what: str) -> None:
    """The embedded binaries driven as the kit drives them, without the kit."""
    from dbkit import _pgctl, _platform, server

    bin_dir = _pgctl.bin_dir()
    kwargs = _platform.run_kwargs(_pgctl.run_as())
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(directory)]
    options = [f"-p {server.DEFAULT_PORT}", "-c listen_addresses=''", f"-k {directory}"]
    options += [f"-c {name}={value}" for name, value in server.settings().items()]
    if what in ("cold", "start"):
        if what == "cold":
            directory.mkdir(mode=0o700)
            _platform.chown(directory, _pgctl.run_as())
            with tempfile.TemporaryDirectory(prefix="bench-initdb-") as scratch:
                pwfile = Path(scratch) / "pw"
                _pgctl.write_private(pwfile, "bench-password")
                for path in (Path(scratch), pwfile):
                    _platform.chown(path, _pgctl.run_as())
                initdb = [str(bin_dir / "initdb"), "-D", str(directory), "-U", "postgres", f"--pwfile={pwfile}"]
                initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"]
                run(initdb, **kwargs)
        run([*pg_ctl, "-w", "-t", "60", "-l", str(directory / "server.log"), "-o", " ".join(options), "start"], **kwargs)
        if what == "cold":
            run([str(bin_dir / "createdb"), "-h", str(directory), "-U", "postgres", "dbkit"])
    if what in ("cold", "stop"):
        run([*pg_ctl, "-m", "fast", "-w", "-t", "60", "stop"], **kwargs)


def _fresh(bench: Bench, name: str) -> Path:
    parent = bench.work / name
    if parent.exists():
        shutil.rmtree(parent)
    parent.mkdir()
    parent.chmod(0o755)
    return parent / "pg"


def _cold(bench: Bench) -> dict[str, Any]:
    count = bench.times(5) + bench.times(1, 0)
    fresh = {side: [_fresh(bench, f"cold-{side}-{n}") for n in range(count)] for side in ("kit", "direct")}  # made untimed

    def kit() -> None:
        env = {**bench.env, "DBKIT_DATA_DIR": str(fresh["kit"].pop())}
        run([*CLI, "up"], env=env)
        run([*CLI, "down"], env=env)

    def direct() -> None:
        _direct(fresh["direct"].pop(), "cold")

    runs = side_by_side({"kit": kit, "direct": direct}, bench.times(5), warmup=bench.times(1, 0))
    for n in range(count):
        for side in ("kit", "direct"):
            shutil.rmtree(bench.work / f"cold-{side}-{n}", ignore_errors=True)
    kit_s, direct_s = median(runs["kit"]), median(runs["direct"])
    factor = ratio(kit_s, direct_s)
    bench.target("startup", "cold `dbkit up` + `down` vs initdb, pg_ctl start, createdb, pg_ctl stop", f"{kit_s:.2f} s vs "
                 f"{direct_s:.2f} s = {factor:.2f}x", "<= 1.2x", factor <= 1.2,
                 "" if factor <= 1.2 else f"two Python processes (`up`, `down`) where the direct side runs binaries only: "
                 f"{kit_s - direct_s:.2f} s more, on a machine at load {load()[0]}")  # fmt: skip
    return {"kit_s": [round(x, 3) for x in runs["kit"]], "direct_s": [round(x, 3) for x in runs["direct"]],
            "kit_median_s": round(kit_s, 3), "direct_median_s": round(direct_s, 3), "ratio": round(factor, 3)}  # fmt: skip


def _warm(bench: Bench) -> dict[str, Any]:
    kit_dir, direct_dir = _fresh(bench, "warm-kit"), _fresh(bench, "warm-direct")
    kit_env = {**bench.env, "DBKIT_DATA_DIR": str(kit_dir)}
    run([*CLI, "up"], env=kit_env)
    run([*CLI, "down"], env=kit_env)
    _direct(direct_dir, "cold")

    def kit() -> None:
        run([*CLI, "up"], env=kit_env)

    def direct() -> None:
        _direct(direct_dir, "start")

    ups: dict[str, list[float]] = {"kit": [], "direct": []}
    for _ in range(bench.times(5)):
        one = side_by_side({"kit": kit, "direct": direct}, 1, warmup=0)
        for side in ups:
            ups[side] += one[side]
        run([*CLI, "down"], env=kit_env)
        _direct(direct_dir, "stop")
    kit_s, direct_s = median(ups["kit"]), median(ups["direct"])
    bench.target("startup", "warm `dbkit up` (data kept, server stopped) vs `pg_ctl start -w`",
                 f"{kit_s:.2f} s vs {direct_s:.2f} s = {ratio(kit_s, direct_s):.2f}x", "reported", None)  # fmt: skip
    return {"kit_median_s": round(kit_s, 3), "direct_median_s": round(direct_s, 3), "ratio": round(ratio(kit_s, direct_s), 3)}


def _cli(bench: Bench) -> dict[str, Any]:
    import dbkit

    dbkit.migrate(bench.url)  # `status` reads a ledger: give it one
    cached = bench.env
    uncached = {k: v for k, v in bench.env.items() if k != "PYTHONPYCACHEPREFIX"} | {"PYTHONDONTWRITEBYTECODE": "1"}
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "dbkit url": [*CLI, "url"], "dbkit status": [*CLI, "status"],
                "dbkit --help": [*CLI, "--help"]}  # fmt: skip
    found: dict[str, Any] = {}
    for label, env in (("bytecode cached", cached), ("no bytecode", uncached)):
        runs = side_by_side({name: (lambda a=args, e=env: run(a, env=e)) for name, args in commands.items()}, bench.times(7, 1),
                            warmup=bench.times(1, 0) if label == "no bytecode" else 1)  # fmt: skip
        found[label] = {name: ms(median(times)) for name, times in runs.items()}
    for name in ("dbkit status", "dbkit url"):
        imports = run([sys.executable, "-X", "importtime", *CLI[1:], name.split()[1]], env=cached).stderr
        found.setdefault("imports psycopg", {})[name] = "psycopg" in imports
    for name in ("dbkit status", "dbkit url"):
        seconds = found["bytecode cached"][name] / 1000
        bare = found["no bytecode"][name] / 1000
        bench.target("startup", f"`{name}`", f"{seconds:.2f} s ({bare:.2f} s without bytecode); imports psycopg: "
                     f"{'yes' if found['imports psycopg'][name] else 'no'}", "<= 0.3 s", seconds <= 0.3)  # fmt: skip
    return found
