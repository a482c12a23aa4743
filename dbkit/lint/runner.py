"""`lint()`: read the schemas through the catalog, gather the queries seen, run every rule, apply the acceptances."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import catalog, registry
from ..db import database
from ..errors import NotFoundError, UsageError
from . import config as lint_config
from . import evidence
from .context import Context
from .findings import Finding, Findings
from .rules import all_rules

__all__ = ["lint", "schema_names"]


def lint(
    schemas: Iterable[str] | str | None = None,
    url: Any = None,
    config: Path | str | None = None,
    *,
    queries: Iterable[str] = (),
    evidence_paths: Iterable[Path | str] = (),
) -> Findings:
    """Lint SCHEMAS (default: every user schema but the kit's own) of the database at `url`; a `Findings` DataFrame.

    `config` is a `dbkit-lint.toml` (default: found as `dbkit.lint.config` says); `queries` and `evidence_paths`
    (notebooks, .sql files, folders) add evidence to the configured sources. Nothing is written: every read
    goes through the read-only path.
    """
    db = database(url)
    if db.is_sqlite:
        raise UsageError(f"dbkit lint reads PostgreSQL catalogs, and {db.masked} is SQLite; lint its PostgreSQL copy")
    rules = all_rules()
    settings = lint_config.load(config, known_rules=[r.id for r in rules])
    names = schema_names(db, [schemas] if isinstance(schemas, str) else list(schemas or []))
    live = {name: catalog.schema(name, db) for name in names}
    paths = [*settings.evidence, *(Path(p) for p in evidence_paths)]
    seen = evidence.gather(db, [p for p in paths if p.exists()], queries)
    ctx = Context(db, live, seen.uses, settings.max_columns)
    found: dict[tuple[str, str], Finding] = {}
    for rule in rules:
        if rule.id in settings.disable:
            continue
        for hit in rule.check(ctx):
            found.setdefault((rule.id, hit.object), Finding(rule.id, rule.severity, hit.object, hit.message, rule.why, rule.fix))
    result = Findings.of(settings.apply(found.values(), names))
    result.attrs.update({"schemas": names, "evidence": seen.sources, "config": str(settings.path) if settings.path else None})
    return result


def schema_names(db: Any, wanted: list[str]) -> list[str]:
    """The PostgreSQL schemas meant: as named (a registry folder or alias names its schema), or every user schema."""
    present = [s.name for s in catalog.schemas(db)]
    if not wanted:
        return [name for name in present if name != registry.KIT_SCHEMA]
    chosen = []
    for name in wanted:
        if name not in present:
            try:
                name = registry.find(name).schema
            except NotFoundError:
                pass
        if name not in present:
            raise NotFoundError(f"{db.masked} has no schema {name!r}; its schemas: {', '.join(present) or 'none'}")
        if name not in chosen:
            chosen.append(name)
    return chosen
