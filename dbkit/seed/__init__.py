"""`dbkit.seed()`: deterministic, realistic rows for every table of the five schemas, loaded fast.

Each schema has a generator module here (`iris.py`, `ibex.py`, ...) with `generate(ctx) -> list[Table]`
(parents before children). Loading replaces a schema's data in one transaction (binary COPY), so a
failure leaves the previous data untouched, and seeding twice with the same seed gives the same rows.
"""

from __future__ import annotations

import importlib
from typing import Callable

from ..connect import connect
from ..url import resolve
from ._context import END, START, SeedContext, Table
from ._load import SeedError, load, seeded

__all__ = ["seed", "seeded", "SeedContext", "Table", "SeedError", "GENERATORS", "START", "END"]

GENERATORS = {
    "iris": "iris",
    "ibex_core": "ibex",
    "orchestrator": "orchestrator",
    "myloware": "myloware",
    "syris": "syris",
}
"""PostgreSQL schema -> generator module in dbkit.seed."""


def seed(
    url: str | None = None,
    schemas: list[str] | None = None,
    *,
    scale: int = 1,
    seed: int = 42,
    progress: bool | Callable = False,
) -> dict[str, int]:
    """Seed the schemas (default: all five) and return rows loaded per schema.

    Replaces existing rows: seeding a seeded database gives exactly what the same seed gives on an
    empty one. `progress=True` shows a progress bar per schema.
    """
    if scale < 1:
        raise SeedError(f"--scale must be 1 or more, not {scale}")
    chosen = _choose(schemas)
    model = _LazyEmbedder()
    loaded = {}
    with connect(resolve(url)) as conn:
        for schema in chosen:
            ctx = SeedContext(schema, seed=seed, scale=scale, embed=model)
            tables = importlib.import_module(f".{GENERATORS[schema]}", __name__).generate(ctx)
            report = _progress_bar(schema, tables) if progress is True else (progress or None)
            used = model.name if ctx.embedded else "none: no vectors in this schema"
            try:
                loaded[schema] = load(conn, schema, tables, seed=seed, scale=scale, embedder=used, progress=report)
            finally:
                if progress is True and report is not None:
                    report.close()
    return loaded


def _choose(schemas: list[str] | None) -> list[str]:
    if not schemas:
        return list(GENERATORS)
    aliases = {"ibex": "ibex_core"}
    chosen = [aliases.get(s, s) for s in schemas]
    unknown = [s for s in chosen if s not in GENERATORS]
    if unknown:
        raise SeedError(f"unknown schema {unknown[0]!r}; known: {', '.join(GENERATORS)}")
    return list(dict.fromkeys(chosen))


class _LazyEmbedder:
    """Load the model on the first text to embed: iris, orchestrator and syris never need it."""

    def __init__(self) -> None:
        self.model = None

    def __call__(self, texts):
        if self.model is None:
            from ..embed import embedder

            self.model = embedder()
        return self.model.embed(texts)

    @property
    def name(self) -> str:
        return self.model.name if self.model else ""


class _progress_bar:
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
