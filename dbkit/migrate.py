"""Apply `sql/<folder>/NNNN_slug.sql` in order; each file and its ledger row commit together.

Rules (also in `sql/README.md`): folders by name, files by integer version; one transaction per file
unless it says `-- dbkit:no-transaction`; an advisory lock (PostgreSQL) or `BEGIN IMMEDIATE` (SQLite)
so concurrent runners apply each file once; an applied file whose checksum changed is refused;
`plan()` and `render()` never write, not even the ledger table.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, NamedTuple

import sqlparse

from ._engines import Target, open_target
from .errors import MigrationError
from .url import resolve

__all__ = ["Migration", "Folder", "SQL_DIR", "folders", "discover", "plan", "migrate", "render", "state"]

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_FILE = re.compile(r"^(?P<version>\d{4})_(?P<slug>[a-z0-9_]+?)(?:\.(?P<only>postgresql|sqlite))?\.sql$")
_NO_TRANSACTION = re.compile(r"^\s*--\s*dbkit:no-transaction\b", re.MULTILINE)


@dataclass(frozen=True)
class Folder:
    """One folder of `sql/`: its PostgreSQL schema and the dialect its files are written in."""

    name: str
    path: Path
    schema: str
    dialect: str = "postgresql"


@dataclass(frozen=True)
class Migration:
    """One migration file, as it would run on one engine."""

    folder: Folder
    version: int
    path: Path
    engine: str = field(default="postgresql")

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
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def transactional(self) -> bool:
        return not _NO_TRANSACTION.search(self.text)

    @cached_property
    def sql(self) -> str:
        """What runs: the file, translated when it is SQLite-authored and the engine is PostgreSQL."""
        variant = _FILE.match(self.name).group("only")
        if self.folder.dialect == "sqlite" and self.engine == "postgresql" and variant is None:
            from .translate import sqlite_to_postgres

            return sqlite_to_postgres(self.text)
        return self.text

    def statements(self) -> list[Statement]:
        """The file's statements, with the lines where each starts; comment-only chunks dropped."""
        found, cursor = [], 0
        for chunk in sqlparse.split(self.sql, strip_semicolon=False):
            start = self.sql.index(chunk, cursor)
            cursor = start + len(chunk)
            code = _first_code_offset(chunk)
            if code is None:
                continue
            first_line = self.sql.count("\n", 0, start) + 1
            found.append(Statement(chunk, first_line, first_line + chunk.count("\n", 0, code)))
        return found


class Statement(NamedTuple):
    """One statement: its text (leading comments included), its first line, the line its code starts."""

    text: str
    first_line: int
    code_line: int

    def line_at(self, position: int) -> int:
        """The file line of a 1-based character position inside the statement (PostgreSQL's diag)."""
        return self.first_line + self.text.count("\n", 0, max(position - 1, 0)) if position else self.code_line


def _first_code_offset(chunk: str) -> int | None:
    offset = 0
    for token in sqlparse.parse(chunk)[0].flatten():
        if not (token.is_whitespace or token.ttype in sqlparse.tokens.Comment):
            return offset
        offset += len(token.value)
    return None


def folders(root: Path | None = None) -> list[Folder]:
    """The folders of `sql/` (or `root`), in the order they are applied."""
    root = Path(root or SQL_DIR)
    if not root.is_dir():
        raise MigrationError(f"no migrations folder at {root}; pass --dir or run from the kit's checkout")
    found = []
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        settings = {}
        if (path / "dbkit.toml").exists():
            try:
                settings = tomllib.loads((path / "dbkit.toml").read_text())
            except tomllib.TOMLDecodeError as exc:
                raise MigrationError(f"{path / 'dbkit.toml'}: {exc}; fix the TOML") from None
        found.append(Folder(path.name, path, settings.get("schema", path.name), settings.get("dialect", "postgresql")))
    return found


def discover(schemas: list[str] | None = None, *, root: Path | None = None, engine: str = "postgresql") -> list[Migration]:
    """Every migration of the chosen schemas (folder or schema names) that runs on `engine`, in order."""
    chosen = _choose(folders(root), schemas, engine)
    found = []
    for folder in chosen:
        by_version: dict[int, Migration] = {}
        for path in sorted(folder.path.glob("*.sql")):
            match = _FILE.match(path.name)
            if not match:
                raise MigrationError(f"{path}: name does not follow NNNN_slug.sql; rename it (four digits, lowercase slug)")
            if match.group("only") not in (None, engine):
                continue
            version = int(match.group("version"))
            if version in by_version:
                raise MigrationError(f"{path}: version {version:04d} is also {by_version[version].name}; renumber one")
            by_version[version] = Migration(folder, version, path, engine)
        found.extend(by_version[v] for v in sorted(by_version))  # integers: 0010 follows 0009
    return found


def plan(url: str | None = None, schemas: list[str] | None = None, *, root: Path | None = None) -> list[Migration]:
    """The migrations not yet applied; reads the ledger, writes nothing."""
    with open_target(resolve(url)) as target:
        return _pending(target, discover(schemas, root=root, engine=target.engine), target.ledger())


def migrate(
    url: str | None = None,
    schemas: list[str] | None = None,
    *,
    root: Path | None = None,
    on_applied: Callable[[Migration, int], None] | None = None,
) -> list[Migration]:
    """Apply what is pending, in order, under the lock; return what was applied (empty when up to date)."""
    applied = []
    with open_target(resolve(url)) as target, target.lock():
        pending = _pending(target, discover(schemas, root=root, engine=target.engine), target.ledger())
        for migration in pending:
            duration_ms = target.apply(migration)
            if duration_ms is None:
                continue  # another runner applied it meanwhile (SQLite checks per file)
            applied.append(migration)
            if on_applied:
                on_applied(migration, duration_ms)
    return applied


def render(url: str | None = None, schemas: list[str] | None = None, *, root: Path | None = None) -> str:
    """The SQL `migrate` would run now, each file under a `-- file:` marker; writes nothing."""
    with open_target(resolve(url)) as target:
        ledger = target.ledger()
        pending = _pending(target, discover(schemas, root=root, engine=target.engine), ledger)
        parts = [target.ledger_ddl()] if pending and not ledger.exists else []
        parts += [f"-- file: {m.display}\n{target.script(m)}" for m in pending]
        return "\n\n".join(parts)


def state(url: str | None = None, *, root: Path | None = None) -> list[tuple[Folder, int, list[Migration]]]:
    """Per folder that runs on this database: (folder, files applied, files pending). Read-only."""
    with open_target(resolve(url, start=False)) as target:
        ledger = target.ledger()
        result = []
        for folder in _choose(folders(root), None, target.engine):
            migrations = discover([folder.name], root=root, engine=target.engine)
            pending = _pending(target, migrations, ledger)
            result.append((folder, len(migrations) - len(pending), pending))
        return result


def _choose(all_folders: list[Folder], schemas: list[str] | None, engine: str) -> list[Folder]:
    runs_here = [f for f in all_folders if engine == "postgresql" or f.dialect == engine]
    if not schemas:
        return runs_here
    chosen = []
    for wanted in schemas:
        match = [f for f in all_folders if wanted in (f.name, f.schema)]
        if not match:
            known = ", ".join(f.name if f.name == f.schema else f"{f.name} ({f.schema})" for f in all_folders)
            raise MigrationError(f"unknown schema {wanted!r}; known: {known}")
        if match[0] not in runs_here:
            raise MigrationError(f"{wanted} is written for PostgreSQL and cannot run on {engine}; pick a PostgreSQL URL")
        chosen.extend(f for f in match if f not in chosen)
    return sorted(chosen, key=lambda f: f.name)


def _pending(target: Target, migrations: list[Migration], ledger) -> list[Migration]:
    pending = []
    for migration in migrations:
        row = ledger.rows.get((migration.schema, migration.version))
        if row is None:
            pending.append(migration)
        elif row.checksum != migration.checksum:
            raise MigrationError(
                f"{migration.display} was changed after it was applied to {target.display} on {row.applied_at:%Y-%m-%d} "
                f"(checksum {row.checksum[:12]} is now {migration.checksum[:12]}); restore it and put the change in a new file"
            )
    return pending
