"""`dbkit lint --migrations`: migration safety, static (squawk) and measured (a throwaway copy), side by side.

"Pending" is relative to the target database's ledger: the files `dbkit migrate` would apply there now
(`all_files=True` lints every file statically; only pending files can be measured, since the others are
already in the copy). What was measured becomes findings too, so they can be accepted like any other:

- `measured-failure` (error): the migration fails on a copy of the database (a NOT NULL the rows break...);
- `measured-table-rewrite` (warning): a table that existed before was rewritten (its relfilenode changed),
  under an ACCESS EXCLUSIVE lock for the whole rewrite;
- `measured-access-exclusive-lock` (info): an ACCESS EXCLUSIVE lock on a table that existed before, even a
  brief one: it waits behind every running query and blocks every query that comes after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db import database
from ..errors import UsageError
from ..migrate import Migration, discover, plan
from . import config as lint_config
from . import squawk
from .findings import Finding, Findings
from .measure import Measurement, measure
from .rules import all_rules

__all__ = ["MEASURED_RULES", "MigrationReport", "label", "lint_migrations"]

# id: (severity, why, fix)
MEASURED_RULES = {
    "measured-failure": (
        "error",
        "The migration fails when it meets this database's schema and rows: it would fail the same way in production.",
        "Fix the file (backfill before SET NOT NULL, deduplicate before a UNIQUE, ...) and lint again.",
    ),
    "measured-table-rewrite": (
        "warning",
        "PostgreSQL wrote the whole table anew under an ACCESS EXCLUSIVE lock: nobody reads or writes it until the "
        "rewrite ends, and it takes twice the disk space meanwhile.",
        "Add a nullable column and backfill it in batches, or change the type through a new column and a swap; "
        "if the table is small, accept it with the reason.",
    ),
    "measured-access-exclusive-lock": (
        "info",
        "An ACCESS EXCLUSIVE lock, however brief, queues behind every running query on the table and blocks every "
        "query that arrives after it until it is granted and released.",
        "SET lock_timeout (and retry) so the migration gives up instead of stalling the table behind a long query.",
    ),
}


@dataclass
class MigrationReport:
    """What `lint_migrations` found: the files linted, the findings (static and measured), the measurements."""

    files: list[str]
    pending: list[str]
    findings: Findings
    measurements: list[Measurement] = field(default_factory=list)
    measured_on: str | None = None

    def measured(self) -> Any:
        """The measurements as a DataFrame: migration, ms, rewrites, locks, error."""
        from ..display import Result

        return Result(
            [
                {"migration": m.migration, "ms": m.duration_ms,
                 "rewritten": ", ".join(f"{r.relation} ({r.kind})" for r in m.rewrites) or None,
                 "locks": ", ".join(f"{lock.mode} {lock.relation}{' (new)' if lock.new else ''}" for lock in m.locks) or None,
                 "error": m.error}
                for m in self.measurements
            ],
            columns=["migration", "ms", "rewritten", "locks", "error"],
        )  # fmt: skip

    def _repr_html_(self) -> str:
        from ..display import render

        where = f"<p>measured on {self.measured_on}</p>" if self.measured_on else ""
        return render(self.findings) + where + (render(self.measured()) if self.measurements else "")


def label(migration: Migration) -> str:
    """How findings name a migration file: `folder/NNNN_slug.sql`, whatever the working directory."""
    return f"{migration.folder.folder}/{migration.name}"


def lint_migrations(
    url: Any = None,
    schemas: list[str] | None = None,
    *,
    root: Path | str | None = None,
    all_files: bool = False,
    measured: bool = True,
    config: Path | str | None = None,
) -> MigrationReport:
    """Lint the migrations pending on the database at `url` (all files with `all_files`): squawk, then measured."""
    db = database(url)
    if db.is_sqlite:
        raise UsageError(f"migration safety is measured on PostgreSQL, and {db.masked} is SQLite; pass a postgresql:// URL")
    folder = Path(root) if root else None
    known = [r.id for r in all_rules()] + list(MEASURED_RULES)
    settings = lint_config.load(config, known_rules=known)
    pending = plan(db.target, schemas, root=folder)
    files = discover(schemas, root=folder, engine="postgresql") if all_files else pending
    for migration in files:
        migration.check()  # the runner's own refusals (syntax, transaction control) come first, in its words
    version = _server_version(db)
    found: list[Finding] = []
    for migration in files:
        found += squawk.lint_text(migration.sql, label(migration), in_transaction=migration.transactional, pg_version=version)
    measurements: list[Measurement] = []
    where = None
    if measured and pending:
        everything = discover(None, root=folder, engine="postgresql")
        waiting = {(m.schema, m.version) for m in plan(db.target, None, root=folder)}
        applied = [m for m in everything if (m.schema, m.version) not in waiting]
        measurements, where = measure(db, pending, applied)
        found += _measured_findings(measurements, where)
    labels = [label(m) for m in files]
    findings = Findings.of(settings.apply(found, labels, migrations=True))
    return MigrationReport(labels, [label(m) for m in pending], findings, measurements, where)


def _measured_findings(measurements: list[Measurement], where: str) -> list[Finding]:
    found = []

    def add(rule: str, obj: str, message: str) -> None:
        severity, why, fix = MEASURED_RULES[rule]
        found.append(Finding(rule, severity, obj, message, why, fix))

    for m in measurements:
        if m.skipped:
            continue
        if m.error:
            add("measured-failure", m.migration, f"fails on {where}: {m.error}")
            continue
        rewritten = {r.relation for r in m.rewrites if r.kind in ("table", "materialized view")}
        for rewrite in m.rewrites:
            if rewrite.relation in rewritten:
                modes = "/".join(m.mode_on(rewrite.relation)) or "a lock"
                add("measured-table-rewrite", f"{m.migration}:{rewrite.relation}",
                    f"rewrote {rewrite.relation} ({rewrite.rows or 0:,} rows; relfilenode {rewrite.before} → {rewrite.after}) "
                    f"under {modes} in {m.duration_ms} ms")  # fmt: skip
        for lock in m.locks:
            if lock.mode == "AccessExclusiveLock" and not lock.new and lock.kind == "table" and lock.relation not in rewritten:
                add(
                    "measured-access-exclusive-lock",
                    f"{m.migration}:{lock.relation}",
                    f"held AccessExclusiveLock on {lock.relation}",
                )
    return found


def _server_version(db: Any) -> str | None:
    with db.reading() as reader:
        text = str(reader.query("SHOW server_version").rows[0][0])
    match = re.match(r"\d+(\.\d+)?", text)
    return match.group(0) if match else None
