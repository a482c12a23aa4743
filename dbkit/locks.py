"""Waiting for locks, said plainly: a bounded wait, and who was in the way when it ran out.

A notebook that ran a query in a transaction and went quiet holds its locks until it commits; a seed
(TRUNCATE) or a migration (ALTER TABLE) behind it would wait forever. The kit's writers set
`lock_timeout` and, when it expires, name the sessions that hold locks on the relations concerned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Blocker", "blockers", "explain", "lock_timeout"]


@dataclass(frozen=True)
class Blocker:
    pid: int
    application: str
    user: str
    state: str
    since: datetime | None
    query: str

    def describe(self) -> str:
        since = f" since {self.since:%H:%M:%S}" if self.since else ""
        app = f"application {self.application!r}, " if self.application else ""
        return f"pid {self.pid} ({app}user {self.user}, {self.state or 'unknown state'}{since})"


def lock_timeout() -> str:
    """How long the kit's writers wait for a lock: `DBKIT_LOCK_TIMEOUT` (PostgreSQL units), else 5 s."""
    return os.environ.get("DBKIT_LOCK_TIMEOUT", "").strip() or "5s"


def blockers(conn: Any, schema: str) -> list[Blocker]:
    """Other sessions holding locks on relations of `schema` (read with the kit's own connection)."""
    rows = conn.execute(
        """
        SELECT DISTINCT a.pid, coalesce(a.application_name, ''), coalesce(a.usename, ''), coalesce(a.state, ''),
               coalesce(a.xact_start, a.state_change), left(coalesce(a.query, ''), 120)
        FROM pg_locks l
        JOIN pg_stat_activity a ON a.pid = l.pid
        JOIN pg_class c ON c.oid = l.relation
        WHERE l.granted AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) AND a.pid <> pg_backend_pid()
        ORDER BY 1
        """,
        [schema],
    ).fetchall()
    return [Blocker(*row) for row in rows]


def explain(what: str, waited: str, found: list[Blocker]) -> str:
    """One line: what waited, for whom, and what to do."""
    if not found:
        return f"{what} waited {waited} for a lock and gave up; another session is busy with it: retry in a moment"
    who = "; ".join(b.describe() for b in found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    pids = ", ".join(str(b.pid) for b in found[:3])
    return (
        f"{what} waited {waited} for a lock held by {who}; commit or close that session (a notebook: run "
        f"conn.rollback() or restart its kernel), or end it with SELECT pg_terminate_backend(pid) for {pids}; then retry"
    )
