"""The one list of schemas: each folder of `sql/` and its `dbkit.toml`.

Every part of the kit that needs to know "which schemas are there, what is each one called, which
dialect are its files written in, where are its models, its seed and its notebook" asks here.
Adding a schema is adding `sql/<folder>/` (migrations plus `dbkit.toml`) and the modules it names.

`dbkit.toml` keys, all optional:

    schema   = "ibex_core"           # the PostgreSQL schema (default: the folder's name)
    dialect  = "postgresql"          # what the files are written in: "postgresql" or "sqlite"
    aliases  = ["ibex"]              # other names that select it on the command line
    models   = "dbkit.models.ibex"   # module with a DeclarativeBase `Base` (for `dbkit check`)
    seed     = "dbkit.seed.ibex"     # module with `generate(ctx) -> list[Table]` (for `dbkit seed`)
    notebook = "02_ibex"             # its walkthrough in notebooks/
    title    = "IBEX"                # a short display name
    summary  = "..."                 # one sentence: what the system stores
    teaches  = "..."                 # one phrase: what its notebook shows a newcomer
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import ConfigError, NotFoundError

__all__ = [
    "DIALECTS",
    "KIT_SCHEMA",
    "LEDGER",
    "SEED_RUNS",
    "SQLITE_LEDGER",
    "SQL_DIR",
    "Entry",
    "choose",
    "entries",
    "find",
    "sql_dir",
    "with_models",
    "with_seed",
]

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
DIALECTS = ("postgresql", "sqlite")
# The kit's own objects in every database it manages, named once here.
KIT_SCHEMA = "dbkit"  # PostgreSQL: the ledger and the seed record live in this schema
LEDGER = "schema_migrations"  # dbkit.schema_migrations: one row per applied migration file
SQLITE_LEDGER = "dbkit_schema_migrations"  # SQLite has no schemas: the ledger sits beside the tables
SEED_RUNS = "seed_runs"  # dbkit.seed_runs: the last seed of each schema
_TEXT_KEYS = ("schema", "dialect", "models", "seed", "notebook", "title", "summary", "teaches")


@dataclass(frozen=True)
class Entry:
    """One schema of the registry: a folder of migrations and what the kit knows about it."""

    folder: str
    path: Path
    schema: str
    dialect: str = "postgresql"
    aliases: tuple[str, ...] = ()
    models: str | None = None
    seed: str | None = None
    notebook: str | None = None
    title: str = ""
    summary: str = ""
    teaches: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that selects this entry: folder, schema, aliases."""
        return tuple(dict.fromkeys((self.folder, self.schema, *self.aliases)))

    def runs_on(self, engine: str) -> bool:
        """PostgreSQL runs every folder (SQLite-authored ones translated); SQLite only its own."""
        return engine in ("postgresql", self.dialect)

    def models_module(self) -> ModuleType:
        return _import(self, "models")

    def seed_module(self) -> ModuleType:
        return _import(self, "seed")

    @property
    def label(self) -> str:
        return self.folder if self.folder == self.schema else f"{self.folder} ({self.schema})"


def sql_dir(root: Path | str | None = None) -> Path:
    """The migrations folder: `root` if given, else `DBKIT_SQL_DIR`, else the kit's own `sql/`."""
    return Path(root or os.environ.get("DBKIT_SQL_DIR", "").strip() or SQL_DIR)


def entries(root: Path | str | None = None) -> list[Entry]:
    """The schemas under `root` (default: `sql_dir()`), in the order migrations apply them."""
    root = sql_dir(root)
    if not root.is_dir():
        raise ConfigError(f"no migrations folder at {root}; pass --dir or run from the kit's checkout")
    found = [_read(path) for path in sorted(root.iterdir()) if path.is_dir() and not path.name.startswith((".", "_"))]
    _check_unique(found)
    return found


def find(name: str, root: Path | str | None = None) -> Entry:
    """The entry a user means by `name` (folder, schema or alias)."""
    all_entries = entries(root)
    for entry in all_entries:
        if name in entry.names:
            return entry
    known = ", ".join(e.label for e in all_entries) or "none"
    raise NotFoundError(f"unknown schema {name!r}; known: {known}")


def choose(names: list[str] | tuple[str, ...] | None, root: Path | str | None = None) -> list[Entry]:
    """The entries named (each once, in registry order), or all of them when `names` is empty."""
    all_entries = entries(root)
    if not names:
        return all_entries
    wanted = {find(name, root).folder for name in names}
    return [e for e in all_entries if e.folder in wanted]


def with_models(root: Path | str | None = None) -> list[Entry]:
    return [e for e in entries(root) if e.models]


def with_seed(root: Path | str | None = None) -> list[Entry]:
    return [e for e in entries(root) if e.seed]


def _read(path: Path) -> Entry:
    settings: dict[str, Any] = {}
    toml = path / "dbkit.toml"
    if toml.exists():
        try:
            settings = tomllib.loads(toml.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{toml}: {exc}; fix the TOML") from None
    unknown = sorted(set(settings) - {*_TEXT_KEYS, "aliases"})
    if unknown:
        raise ConfigError(f"{toml}: unknown key {unknown[0]!r}; known keys: {', '.join((*_TEXT_KEYS, 'aliases'))}")
    for key in _TEXT_KEYS:
        if key in settings and (not isinstance(settings[key], str) or not settings[key].strip()):
            raise ConfigError(f"{toml}: {key} must be a non-empty string, not {settings[key]!r}")
    aliases = settings.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise ConfigError(f"{toml}: aliases must be a list of names, not {aliases!r}")
    dialect = settings.get("dialect", "postgresql")
    if dialect not in DIALECTS:
        raise ConfigError(f"{toml}: dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    return Entry(
        folder=path.name,
        path=path,
        schema=settings.get("schema", path.name),
        dialect=dialect,
        aliases=tuple(aliases),
        models=settings.get("models"),
        seed=settings.get("seed"),
        notebook=settings.get("notebook"),
        title=settings.get("title", path.name),
        summary=settings.get("summary", ""),
        teaches=settings.get("teaches", ""),
    )


def _check_unique(found: list[Entry]) -> None:
    owner: dict[str, str] = {}
    for entry in found:
        for name in entry.names:
            if owner.setdefault(name, entry.folder) != entry.folder:
                raise ConfigError(f"{name!r} names both sql/{owner[name]} and sql/{entry.folder}; rename one in its dbkit.toml")


def _import(entry: Entry, kind: str) -> ModuleType:
    module = getattr(entry, kind)
    if not module:
        raise NotFoundError(f'schema {entry.schema} has no {kind} module; add `{kind} = "..."` to {entry.path / "dbkit.toml"}')
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"{entry.path / 'dbkit.toml'}: {kind} module {module!r} cannot be imported ({exc})") from None
