"""The test suite (issue P6): the README's test command, and `pytest -m "not notebooks"`, by wall time.

`make test` is its install step (a no-op once installed, but it may reach the network when the lock
changed) and then these commands, run here as the Makefile runs them: ruff check, ruff format --check,
then mypy beside `pytest -n 2`. Reported, not asserted: the targets are <= 2 min and <= 45 s. A failing
run is timed too, and its outcome is recorded beside the figure.
"""

from __future__ import annotations

import sys
from typing import Any

from ._measure import ROOT, Bench, timed

VENV = ROOT / ".venv" / "bin"


def _command(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    import subprocess

    seconds, done = timed(lambda: subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800))
    lines = done.stdout.strip().splitlines() or [""]
    return {"command": " ".join(a.replace(str(ROOT) + "/", "") for a in args), "seconds": round(seconds, 2), "exit": done.returncode,
            "summary": lines[-1][-200:], "failed": [line[:300] for line in lines if line.startswith(("FAILED ", "ERROR "))]}  # fmt: skip


def measure(bench: Bench) -> None:
    with bench.area("suite") as found:
        env = {k: v for k, v in bench.env.items() if k not in ("DBKIT_DATA_DIR", "DATABASE_URL")}  # the suite's own server
        python = str(VENV / "python") if (VENV / "python").exists() else sys.executable
        if bench.quick:  # a smoke test of the plumbing: one gate (the suite itself takes minutes)
            found["quick"] = _command([str(VENV / "ruff"), "check", "bench"], env)
            bench.target("suite", "quick: `ruff check bench` only", f"{found['quick']['seconds']:.1f} s", "reported", None)
            return
        gates = [
            _command([str(VENV / "ruff"), "check", "dbkit", "tests", "bench"], env),
            _command([str(VENV / "ruff"), "format", "--check", "dbkit", "tests", "bench"], env),
        ]
        script = (
            f"{VENV / 'mypy'} & types=$!; {python} -m pytest -n 2 -q -rfE -p no:cacheprovider; tests=$?; wait $types; types=$?; "
        )
        script += "exit $((tests || types))"
        whole = _command(["bash", "-c", script], env)
        fast = _command([python, "-m", "pytest", "-n", "2", "-q", "-rfE", "-p", "no:cacheprovider", "-m", "not notebooks"], env)
        found.update(gates=gates, make_test_body=whole, not_notebooks=fast)
        total = sum(g["seconds"] for g in gates) + whole["seconds"]
        outcome = "passed" if not any(g["exit"] for g in gates) and not whole["exit"] else "FAILED: " + next(
            (r["summary"] for r in [*gates, whole] if r["exit"]), "")  # fmt: skip
        bench.target("suite", "`make test` (ruff, ruff format, mypy beside `pytest -n 2`)", f"{total:.0f} s ({outcome})",
                     "<= 2 min (reported)", total <= 120)  # fmt: skip
        bench.target("suite", '`pytest -n 2 -m "not notebooks"`', f"{fast['seconds']:.0f} s ({'passed' if not fast['exit'] else 'FAILED: ' + fast['summary']})",
                     "<= 45 s (reported)", fast["seconds"] <= 45)  # fmt: skip
