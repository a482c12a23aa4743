"""Which database the kit talks to: explicit URL, then `DATABASE_URL`, then the embedded server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from . import server
from .errors import ConfigError

__all__ = ["Resolved", "resolve", "mask", "sqlalchemy_url", "with_database", "database_of"]

_SCHEMES = ("postgresql", "postgres", "sqlite")  # plus SQLAlchemy's `+driver` forms


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
    parts = urlsplit(url)
    if not parts.password:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{host}"))


def sqlalchemy_url(url: str, *, driver: str = "psycopg") -> str:
    """`postgresql://…` as SQLAlchemy's `postgresql+psycopg://…` (other schemes pass through)."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(scheme=f"postgresql+{driver}"))
    return url


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def database_of(url: str) -> str:
    """The database name a URL points to."""
    return urlsplit(url).path.lstrip("/")


def _checked(url: str, where: str) -> str:
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme not in _SCHEMES:
        shown = mask(url)[:60] if "://" in url else "a string without scheme://"
        raise ConfigError(
            f"{where} is not a PostgreSQL URL ({shown}); expected e.g. postgresql://user:password@host:5432/db"
        )
    return url
