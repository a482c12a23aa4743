"""`dbkit.seed()`: deterministic, realistic rows for every table of the registry's schemas, loaded fast.

Each schema's `dbkit.toml` names its generator module (`seed = "dbkit.seed.ibex"`), which defines
`generate(ctx) -> list[Table]` (parents before children). Loading replaces a schema's data in one
transaction of its own (binary COPY), so a failure leaves that schema, and the others, untouched, and
seeding twice with the same seed gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import registry
from ..db import database
from ..errors import SeedError, UsageError
from ._context import END, START, SeedContext, Table
from ._load import SeedRun, fingerprint, has_rows, load, seeded

__all__ = [
    "END",
    "MAX_SCALE",
    "MAX_SEED",
    "START",
    "SeedContext",
    "SeedError",
    "SeedRun",
    "Table",
    "has_rows",
    "schemas",
    "seed",
    "seeded",
]

MAX_SEED = 2**31 - 1  # dbkit.seed_runs.seed is an integer column
MAX_SCALE = 10_000


def schemas() -> list[str]:
    """The PostgreSQL schemas that have a generator, in the registry's order."""
    return [e.schema for e in registry.with_seed()]


def seed(
    url: Any = None,
    schemas: list[str] | None = None,
    *,
    scale: int = 1,
    seed: int = 42,
    progress: bool | Callable[..., Any] = False,
    if_needed: bool = False,
) -> dict[str, int]:
    """Seed the schemas (default: all that have a generator) and return the rows each one holds.

    Replaces existing rows: seeding a seeded database gives exactly what the same seed gives on an
    empty one. With `if_needed`, a schema already seeded with the same seed, scale and generator, and
    not emptied since, is left as it is (rows someone added stay). `progress=True` shows a bar per schema.
    """
    _check_number("scale", scale, 1, MAX_SCALE)
    _check_number("seed", seed, 0, MAX_SEED)
    db = database(url)
    if db.is_sqlite:
        raise UsageError(f"seeding needs PostgreSQL, and {db.masked} is SQLite; pass a postgresql:// URL")
    chosen = _choose(schemas)
    model = _LazyEmbedder(progress is True)
    loaded = {}
    with db.connect(application_name="dbkit seed") as conn:
        before = seeded(conn)
        for entry in chosen:
            module = entry.seed_module()
            version = fingerprint(module)
            run = before.get(entry.schema)
            if (
                if_needed
                and run
                and (run.seed, run.scale, run.generator) == (seed, scale, version)
                and has_rows(conn, entry.schema)
            ):
                loaded[entry.schema] = run.rows
                continue
            ctx = SeedContext(entry.schema, seed=seed, scale=scale, embed=model)
            tables = module.generate(ctx)
            report = _ProgressBar(entry.schema, tables) if progress is True else (progress or None)
            used = model.name if ctx.embedded else "none: no vectors in this schema"
            try:
                loaded[entry.schema] = load(
                    conn, entry.schema, tables, seed=seed, scale=scale, embedder=used, generator=version, progress=report
                )
            finally:
                if isinstance(report, _ProgressBar):
                    report.close()
    return loaded


def _check_number(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"--{name} must be a whole number from {low} to {high:,}, not {value!r}")


def _choose(names: list[str] | None) -> list[registry.Entry]:
    if not names:
        return registry.with_seed()
    chosen = registry.choose(names)
    without = [e.schema for e in chosen if not e.seed]
    if without:
        raise SeedError(f"schema {without[0]} has no generator (no `seed = ...` in its dbkit.toml); nothing to seed it with")
    return chosen


class _LazyEmbedder:
    """Load the model on the first text to embed: iris, orchestrator and syris never need it.

    With `progress`, a long embedding (tens of thousands of texts at `--scale 100`, minutes on a cold
    cache) shows a bar of its own; the vectors are the same, computed in chunks (a vector does not depend
    on its batch).
    """

    CHUNK = 2048

    def __init__(self, progress: bool = False) -> None:
        self.model: Any = None
        self.progress = progress

    def __call__(self, texts: Any) -> Any:
        if self.model is None:
            from ..embed import embedder

            self.model = embedder()
        if not self.progress or len(texts) <= self.CHUNK:
            return self.model.embed(texts)
        import numpy as np
        from tqdm import tqdm

        parts = []
        with tqdm(total=len(texts), desc="embed", unit="texts", leave=True, disable=None) as bar:
            for at in range(0, len(texts), self.CHUNK):
                parts.append(self.model.embed(texts[at : at + self.CHUNK]))
                bar.update(len(parts[-1]))
        return np.concatenate(parts)

    @property
    def name(self) -> str:
        return self.model.name if self.model else ""


class _ProgressBar:
    def __init__(self, schema: str, tables: list[Table]) -> None:
        from tqdm import tqdm

        rows = sum(len(t.rows) for t in tables)
        # disable=None: a bar on a terminal, silence when stderr is a file or a pipe (CI logs, tests)
        self.bar = tqdm(total=rows, desc=f"seed {schema}", unit="rows", leave=True, disable=None)

    def __call__(self, table: Table, rows: int) -> None:
        self.bar.set_postfix_str(table.name)
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()
