"""Open SQLite databases the way SYRIS (seed 004) requires: its four PRAGMAs on every connection.

PRAGMAs are per connection (only journal_mode=WAL is remembered in the file), so both ways in
apply all of `PRAGMAS` each time a connection opens (the seed's four, and `recursive_triggers`, so
that the append-only audit log refuses REPLACE as it refuses DELETE):

- `connect(path)`: a `sqlite3.Connection` in autocommit mode (`isolation_level=None`); the
  migration runner issues BEGIN/COMMIT itself, one transaction per file.
- `engine(path_or_url)`: a SQLAlchemy engine whose `connect` event runs the same PRAGMAs.
"""

from __future__ import annotations

import sqlite3
from os import PathLike
from typing import Any

from sqlalchemy import Engine, create_engine, event

__all__ = ["PRAGMAS", "connect", "engine"]

PRAGMAS: tuple[tuple[str, str], ...] = (
    ("journal_mode", "WAL"),  # concurrent readers while one writer writes
    ("synchronous", "NORMAL"),  # safe with WAL, which already provides crash safety
    ("foreign_keys", "ON"),  # SQLite ignores REFERENCES unless this is on
    ("busy_timeout", "5000"),  # ms to wait for a lock instead of "database is locked"
    ("recursive_triggers", "ON"),  # REPLACE's implicit delete fires DELETE triggers (append-only tables)
)


def connect(path: str | PathLike[str]) -> sqlite3.Connection:
    """Open the SQLite file at `path` in autocommit mode with the SYRIS PRAGMAs applied."""
    conn = sqlite3.connect(path, isolation_level=None)
    _apply_pragmas(conn)
    return conn


def engine(path_or_url: str | PathLike[str], **kwargs: Any) -> Engine:
    """Create a SQLAlchemy engine for a SQLite file (or `sqlite://` URL) with the SYRIS PRAGMAs."""
    url = str(path_or_url)
    if not url.startswith("sqlite"):
        url = f"sqlite:///{url}"
    eng = create_engine(url, **kwargs)
    event.listen(eng, "connect", _on_connect)
    return eng


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    _apply_pragmas(dbapi_connection)


def _apply_pragmas(conn: sqlite3.Connection) -> None:
    # journal_mode cannot change inside a transaction; a fresh connection is never in one.
    for name, value in PRAGMAS:
        conn.execute(f"PRAGMA {name} = {value}").fetchall()
