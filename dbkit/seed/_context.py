"""What every schema's generator gets: seeded randomness, fixed time bounds, ids, embeddings."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from faker import Faker

__all__ = ["END", "START", "SeedContext", "Table"]

# Fixed, time-zone-aware bounds: relative ones ("-30d") would change the data every day.
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)


@dataclass
class Table:
    """Rows for one table, each a mapping from column name to value (the loader orders them by the catalog).

    Values are Python types psycopg dumps for the column's type: numeric takes `Decimal`; jsonb/json take
    dicts or lists; vector takes numpy float32 arrays; arrays take lists; timestamptz takes aware
    datetimes. The loader reads the column types from the catalog, so generators never name them.
    """

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, **values: Any) -> dict[str, Any]:
        """Append a row and return it (a generator may adjust it later, by column name)."""
        self.rows.append(values)
        return values

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []


class SeedContext:
    """Deterministic sources for one schema: the same `seed` gives the same rows, in any process."""

    def __init__(self, schema: str, *, seed: int = 42, scale: int = 1, embed=None) -> None:
        self.schema = schema
        self.seed = seed
        self.scale = scale
        salt = sum(map(ord, schema))  # each schema its own stream: seeding one never shifts another
        self.random = random.Random(seed * 1_000_003 + salt)
        self.rng = np.random.default_rng([seed, salt])
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed * 1_000_003 + salt)
        self._embed = embed
        self._embedded: dict[str, np.ndarray] = {}

    def uuid(self) -> uuid.UUID:
        """A version-4 UUID from the seeded stream (never `gen_random_uuid()`: determinism)."""
        return uuid.UUID(int=self.random.getrandbits(128), version=4)

    def timestamp(self, start: datetime = START, end: datetime = END) -> datetime:
        """A UTC timestamp between `start` and `end`, to the millisecond."""
        span = max(int((end - start).total_seconds() * 1000), 0)
        return start + timedelta(milliseconds=self.random.randint(0, span))

    def after(self, moment: datetime, *, max_seconds: float) -> datetime:
        """A moment up to `max_seconds` after `moment` (for updated_at, completed_at, ...)."""
        return moment + timedelta(milliseconds=self.random.randint(0, int(max_seconds * 1000)))

    def choice(self, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        return self.random.choices(options, weights=weights)[0] if weights else self.random.choice(options)

    @property
    def embedded(self) -> bool:
        """Whether this schema's rows needed embeddings at all."""
        return bool(self._embedded)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """384-d L2-normalised float32 embeddings (`dbkit.embed`), each distinct text computed once."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._embedded))
        if todo:
            if self._embed is None:
                from ..embed import embed as default_embed

                self._embed = default_embed
            for text, vector in zip(todo, self._embed(todo)):
                self._embedded[text] = vector
        return np.stack([self._embedded[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)
