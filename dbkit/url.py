"""Which database the kit talks to: explicit URL, then `DATABASE_URL`, then the embedded server."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from . import server
from .errors import ConfigError

__all__ = ["Resolved", "resolve", "mask", "sqlalchemy_url", "with_database"]


@dataclass(frozen=True)
class Resolved:
    """A URL and where it came from (`argument`, `DATABASE_URL` or `embedded`)."""

    url: str
    source: str

    @property
    def masked(self) -> str:
        return mask(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def resolve(url: str | Resolved | None = None, *, start: bool = True) -> Resolved:
    """Pick the database URL; with `start`, bring the embedded server up when it is the one chosen."""
    if isinstance(url, Resolved):
        return url
    if url:
        return Resolved(_checked(url, "the URL given"), "argument")
    env = os.environ.get("DATABASE_URL", "").strip()
    if env:
        return Resolved(_checked(env, "DATABASE_URL"), "DATABASE_URL")
    current = server.up() if start else server.status()
    return Resolved(current.url, "embedded")


def mask(url: str) -> str:
    """The URL with its password replaced by `***`, for anything shown to a person."""
    if not url:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def sqlalchemy_url(url: str, *, driver: str = "psycopg") -> str:
    """`postgresql://…` as SQLAlchemy's `postgresql+psycopg://…` (other schemes pass through)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=f"postgresql+{driver}")
    return parsed.render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _checked(url: str, where: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"{where} is not a database URL ({url[:40]!r}); expected e.g. postgresql://user:password@host:5432/db"
        ) from None
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(f"{where} points to {parsed.get_backend_name()}; the kit speaks PostgreSQL (and SQLite for syris)")
    return url
