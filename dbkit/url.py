"""Which database the kit talks to: explicit URL, then `DATABASE_URL`, then the embedded server.

URLs are checked with libpq's own parser (through psycopg), so a malformed one is refused here, in
one line, rather than deep inside a connection attempt. Passwords never reach a person: `mask()`
hides them in the userinfo and in query parameters, and `sqlalchemy_url()` moves a `?password=` into
the userinfo, where SQLAlchemy's reprs mask it too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from .errors import ConfigError

__all__ = [
    "Resolved",
    "checked",
    "database_of",
    "libpq_url",
    "mask",
    "mask_text",
    "resolve",
    "sqlalchemy_url",
    "sqlite_path",
    "with_database",
    "with_user",
]

_SCHEMES = ("postgresql", "postgres", "sqlite")  # plus SQLAlchemy's `+driver` forms
_SECRET_PARAMS = {"password", "sslpassword"}
# A URL inside free text (an error message, a log line): scheme://userinfo@...
_URL_IN_TEXT = re.compile(r"\b(postgres(?:ql)?(?:\+\w+)?://)([^\s/@:]*):([^\s/@]*)@")
_PARAM_IN_TEXT = re.compile(r"((?:^|[?&\s])(?:ssl)?password=)([^&\s'\"]+)", re.IGNORECASE)


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

    def __repr__(self) -> str:  # reprs end up in notebooks and logs
        return f"Resolved(url={self.masked!r}, source={self.source!r})"


def resolve(url: str | Resolved | None = None, *, start: bool = True) -> Resolved:
    """Pick the database URL; with `start`, bring the embedded server up when it is the one chosen."""
    if isinstance(url, Resolved):
        return url
    if url is not None and not isinstance(url, str | os.PathLike):
        raise ConfigError(f"a database URL must be a string, not {type(url).__name__}")
    if url:
        return Resolved(checked(str(url), "the URL given"), "argument")
    env = os.environ.get("DATABASE_URL", "").strip()
    if env:
        return Resolved(checked(env, "DATABASE_URL"), "DATABASE_URL")
    from . import server

    current = server.up() if start else server.status()
    return Resolved(current.url, "embedded")


def checked(url: str, where: str) -> str:
    """`url` if it is a PostgreSQL or SQLite URL that parses; a one-line ConfigError saying why not."""
    scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else ""
    if scheme not in _SCHEMES:
        shown = mask(url)[:60] if "://" in url else "a string without scheme://"
        raise ConfigError(f"{where} is not a PostgreSQL URL ({shown}); expected e.g. postgresql://user:password@host:5432/db")
    if scheme == "sqlite":
        sqlite_path(url, where=where)
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  raises ValueError on a port that is not a number in 0-65535
        parse_qsl(parts.query, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise ConfigError(f"{where} is not a valid PostgreSQL URL ({mask(url)}): {mask_text(str(exc))}") from None
    return url


def mask(url: str) -> str:
    """The URL with its password replaced by `***` (userinfo and `?password=`), for anything a person sees."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="/*:")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def mask_text(text: str) -> str:
    """Any URL passwords or `password=` settings inside free text, masked (for error messages and logs)."""
    text = _URL_IN_TEXT.sub(lambda m: f"{m[1]}{m[2]}:***@", text)
    return _PARAM_IN_TEXT.sub(lambda m: f"{m[1]}***", text)


def sqlalchemy_url(url: str, *, driver: str = "psycopg") -> str:
    """`postgresql://…` as SQLAlchemy's `postgresql+psycopg://…`, a `?password=` moved into the userinfo."""
    parts = urlsplit(url)
    if parts.scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = next((v for k, v in pairs if k == "password"), None)
    netloc = parts.netloc
    if secret is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0] or next((v for k, v in pairs if k == "user"), "")
        netloc = f"{quote(user, safe='')}:{quote(secret, safe='')}@{host}"
        pairs = [(k, v) for k, v in pairs if k not in ("password", "user")]
    return urlunsplit(parts._replace(scheme=f"postgresql+{driver}", netloc=netloc, query=urlencode(pairs, safe="/")))


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{quote(database, safe='')}"))


def with_user(url: str, user: str, password: str | None) -> str:
    """The same server and database as another role (a password given replaces the URL's)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    userinfo = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("user", "password")]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}", query=urlencode(pairs, safe="/")))


def database_of(url: str) -> str:
    """The database name a URL points to."""
    return urlsplit(url).path.lstrip("/")


def sqlite_path(url: str, *, where: str = "the URL") -> Path:
    """The file of a `sqlite:///path` URL."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        raise ConfigError(f"{where} ({url}) names no file; use sqlite:///path/to/file.db")
    return Path(path.split("?", 1)[0])


def libpq_url(url: str) -> str:
    """The URL as libpq takes it: SQLAlchemy's `postgresql+psycopg://` is not a scheme libpq knows."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"
