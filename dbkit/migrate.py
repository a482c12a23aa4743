"""Apply `sql/<folder>/NNNN_slug.sql` in order; each file and its ledger row commit together.

Rules (also in `sql/README.md`): folders by name, files by integer version; one transaction per file
unless it says `-- dbkit:no-transaction`; an advisory lock (PostgreSQL) or `BEGIN IMMEDIATE` (SQLite)
so concurrent runners apply each file once; an applied file whose checksum changed is refused;
`plan()`, `render()` and `state()` never write, not even the ledger table.

Every pending file is read and parsed (PostgreSQL's own parser, through pglast) before the first one
runs: a syntax error, transaction control in a transactional file, a file that is not UTF-8 or a name
that only looks like a migration stops the run with nothing applied.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import registry
from .errors import MigrationError, NotFoundError
from .registry import Entry
from .sqltext import SqlSyntaxError, Statement, split, transaction_control
from .url import Resolved, resolve

if TYPE_CHECKING:
    from ._targets import Ledger

__all__ = ["Migration", "discover", "migrate", "plan", "render", "state"]

_FILE = re.compile(r"^(?P<version>\d{4})_(?P<slug>[a-z0-9_]+?)(?:\.(?P<only>postgresql|sqlite))?\.sql$")
# Names a person meant as migrations: `0001_x.SQL`, `0001_x.sql.txt`, `1_x.sql`, `0001-x.sql`...
_LOOKS_LIKE = re.compile(r"(\.sql\b|^\d+[_-])", re.IGNORECASE)
_NO_TRANSACTION = re.compile(r"^\s*--\s*dbkit:no-transaction\b", re.MULTILINE)
_SQLITE_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Migration:
    """One migration file, as it would run on one engine."""

    folder: Entry
    version: int
    path: Path
    engine: str = "postgresql"

    @property
    def schema(self) -> str:
        return self.folder.schema

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def display(self) -> str:
        """The path to show: relative to the working directory when possible."""
        try:
            return str(self.path.relative_to(Path.cwd()))
        except ValueError:
            return str(self.path)

    @cached_property
    def raw(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise MigrationError(f"{self.display}: cannot be read ({exc.strerror}); check its permissions") from None

    @cached_property
    def text(self) -> str:
        try:
            return self.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self.raw.count(b"\n", 0, exc.start) + 1
            raise MigrationError(
                f"{self.display}:{line}: not UTF-8 (byte 0x{self.raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8"
            ) from None

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def transactional(self) -> bool:
        return not _NO_TRANSACTION.search(self.text)

    @cached_property
    def sql(self) -> str:
        """What runs: the file, translated when it is SQLite-authored and the engine is PostgreSQL."""
        match = _FILE.match(self.name)
        variant = match.group("only") if match else None
        if self.folder.dialect == "sqlite" and self.engine == "postgresql" and variant is None:
            from .translate import sqlite_to_postgres

            return sqlite_to_postgres(self.text)
        return self.text

    def statements(self) -> list[Statement]:
        """The statements that run, each with the file line it starts on (comment-only text yields none)."""
        return self._statements

    @cached_property
    def _statements(self) -> list[Statement]:
        if self.engine == "sqlite":
            return _sqlite_statements(self.sql)
        try:
            return split(self.sql)
        except SqlSyntaxError as exc:
            from ._targets import located

            raise located(self, exc.line, f"SQLSTATE 42601 (SyntaxError): {exc.message}", partial=False) from None

    def check(self) -> None:
        """Refuse, before anything runs, what cannot work: bad text, and transaction control in a transaction."""
        statements = self.statements()
        if not self.transactional:
            return
        if self.engine == "sqlite":
            control = [s for s in statements if _SQLITE_TRANSACTION.match(s.text)]
        else:
            control = transaction_control(statements)
        if control:
            first = control[0]
            word = " ".join(first.text.split()[:2]).rstrip(";")
            raise MigrationError(
                f"{self.display}:{first.line}: {word} would end the transaction the runner holds for this file, so a failure "
                "would leave it half-applied; remove it (each file already runs in one transaction) or mark the file "
                "`-- dbkit:no-transaction`"
            )


def discover(schemas: list[str] | None = None, *, root: Path | None = None, engine: str = "postgresql") -> list[Migration]:
    """Every migration of the chosen schemas (folder, schema names or aliases) that runs on `engine`, in order."""
    root = registry.sql_dir(root)
    chosen = _choose(root, schemas, engine)
    found: list[Migration] = []
    for folder in chosen:
        by_version: dict[int, Migration] = {}
        for path in sorted(p for p in folder.path.iterdir() if p.is_file()):
            match = _FILE.match(path.name)
            if not match:
                if _LOOKS_LIKE.search(path.name):
                    raise MigrationError(
                        f"{path}: looks like a migration but its name does not follow NNNN_slug.sql "
                        "(four digits, lowercase slug, `.sql` exactly); rename it, or move it out of the folder"
                    )
                continue
            if match.group("only") not in (None, engine):
                continue
            version = int(match.group("version"))
            if version in by_version:
                raise MigrationError(f"{path}: version {version:04d} is also {by_version[version].name}; renumber one")
            by_version[version] = Migration(folder, version, path, engine)
        if not by_version and not any(_FILE.match(p.name) for p in folder.path.iterdir()):
            raise MigrationError(f"{folder.path} holds no migration files (NNNN_slug.sql); add one, or remove the folder")
        found.extend(by_version[v] for v in sorted(by_version))  # integers: 0010 follows 0009
    return found


def plan(url: str | Resolved | None = None, schemas: list[str] | None = None, *, root: Path | None = None) -> list[Migration]:
    """The migrations not yet applied; reads the ledger in a READ ONLY transaction, writes nothing."""
    from ._targets import open_target, socket_ledger

    resolved = resolve(url)
    ledger = socket_ledger(resolved)
    if ledger is not None:
        return _pending(resolved.masked, discover(schemas, root=root), ledger)
    with open_target(resolved, write=False) as target:
        return _pending(target.display, discover(schemas, root=root, engine=target.engine), target.ledger())


def migrate(
    url: str | Resolved | None = None,
    schemas: list[str] | None = None,
    *,
    root: Path | None = None,
    on_applied: Callable[[Migration, int], None] | None = None,
) -> list[Migration]:
    """Apply what is pending, in order, under the lock; return what was applied (empty when up to date)."""
    from ._targets import open_target, socket_ledger

    resolved = resolve(url)
    ledger = socket_ledger(resolved)  # nothing pending: done, without psycopg or the lock
    if ledger is not None and not _pending(resolved.masked, discover(schemas, root=root), ledger):
        return []
    applied = []
    with open_target(resolved, write=True) as target, target.lock():
        pending = _pending(target.display, discover(schemas, root=root, engine=target.engine), target.ledger())
        for migration in pending:  # every file is checked before the first one runs
            migration.check()
        for migration in pending:
            duration_ms = target.apply(migration)
            if duration_ms is None:
                continue  # another runner applied it meanwhile (SQLite checks per file)
            applied.append(migration)
            if on_applied:
                on_applied(migration, duration_ms)
    return applied


def render(url: str | Resolved | None = None, schemas: list[str] | None = None, *, root: Path | None = None) -> str:
    """The SQL `migrate` would run now, each file under a `-- file:` marker; writes nothing."""
    from ._targets import open_target

    with open_target(resolve(url), write=False) as target:
        ledger = target.ledger()
        pending = _pending(target.display, discover(schemas, root=root, engine=target.engine), ledger)
        for migration in pending:
            migration.check()
        parts = [target.ledger_ddl()] if pending and not ledger.exists else []
        parts += [f"-- file: {m.display}\n{target.script(m)}" for m in pending]
        return "\n\n".join(parts)


def state(url: str | Resolved | None = None, *, root: Path | None = None) -> list[tuple[Entry, int, list[Migration]]]:
    """Per folder that runs on this database: (folder, files applied, files pending). Read-only."""
    from ._targets import open_target, socket_ledger

    root = registry.sql_dir(root)
    resolved = resolve(url, start=False)
    ledger = socket_ledger(resolved)
    if ledger is not None:
        return _state(root, "postgresql", resolved.masked, ledger)
    with open_target(resolved, write=False) as target:
        return _state(root, target.engine, target.display, target.ledger())


def _state(root: Path, engine: str, display: str, ledger: Ledger) -> list[tuple[Entry, int, list[Migration]]]:
    result = []
    for folder in _choose(root, None, engine):
        migrations = discover([folder.folder], root=root, engine=engine)
        pending = _pending(display, migrations, ledger)
        result.append((folder, len(migrations) - len(pending), pending))
    return result


def _choose(root: Path, schemas: list[str] | None, engine: str) -> list[Entry]:
    all_folders = registry.entries(root)
    if not all_folders:
        loose = sorted(p.name for p in root.glob("*.sql"))
        hint = f"; it holds {loose[0]} directly: pass its parent folder" if loose else ""
        raise MigrationError(f"no schema folders in {root} (expected {root}/<schema>/NNNN_slug.sql){hint}")
    if not schemas:
        return [f for f in all_folders if f.runs_on(engine)]
    chosen = []
    for wanted in schemas:
        try:
            folder = registry.find(wanted, root)
        except NotFoundError as exc:
            raise MigrationError(str(exc)) from None
        if not folder.runs_on(engine):
            raise MigrationError(f"{wanted} is written for PostgreSQL and cannot run on {engine}; pick a PostgreSQL URL")
        if folder not in chosen:
            chosen.append(folder)
    return sorted(chosen, key=lambda f: f.folder)


def _pending(display: str, migrations: list[Migration], ledger: Ledger) -> list[Migration]:
    pending = []
    for migration in migrations:
        row = ledger.rows.get((migration.schema, migration.version))
        if row is None:
            pending.append(migration)
        elif row.checksum != migration.checksum:
            raise MigrationError(
                f"{migration.display} was changed after it was applied to {display} on {row.applied_at:%Y-%m-%d} "
                f"(checksum {row.checksum[:12]} is now {migration.checksum[:12]}); restore it and put the change in a new file"
            )
    return pending


def _sqlite_statements(text: str) -> list[Statement]:
    """SQLite text split where sqlite3 itself sees a complete statement (triggers' BEGIN...END included)."""
    from sqlite3 import complete_statement as complete  # 3 ms to import: SQLite files only

    found: list[Statement] = []

    def add(chunk: str, at: int) -> None:
        code = _first_code(chunk)
        if code is not None:
            begin = at + code
            found.append(Statement(chunk[code:].strip(), begin, text.count("\n", 0, begin) + 1, "sqlite"))

    start = scan = 0
    while (semicolon := text.find(";", scan)) >= 0:
        scan = semicolon + 1
        if complete(text[start:scan]):
            add(text[start:scan], start)
            start = scan
    add(text[start:], start)
    return found


def _first_code(chunk: str) -> int | None:
    """Offset of the first character that is neither whitespace nor inside a `--` or `/* */` comment."""
    i = 0
    while i < len(chunk):
        if chunk[i].isspace():
            i += 1
        elif chunk.startswith("--", i):
            end = chunk.find("\n", i)
            i = len(chunk) if end < 0 else end + 1
        elif chunk.startswith("/*", i):
            end = chunk.find("*/", i + 2)
            i = len(chunk) if end < 0 else end + 2
        else:
            return i
    return None
