"""`dbkit-lint.toml`: findings a project accepts, each for one object and a stated reason, and lint's settings.

    [settings]
    max_columns = 30                 # too-many-columns
    disable = ["column-without-comment"]
    evidence = ["notebooks"]         # notebooks and .sql files whose queries count as evidence (relative paths)

    [[accept]]
    rule = "probable-missing-fk"
    object = "iris.execution_history.chain_id"   # exactly as lint prints it; `*` and `?` match like a shell
    reason = "history outlives the chains it records: the seed gives no foreign key here"

An acceptance without a reason is refused (the file is wrong, and lint says where). One that matches no
finding although lint looked at its object (its schema was linted, its migration file was read) is
stale: lint reports it, so acceptances cannot outlive what they excused.

The file is found at the path given, else `./dbkit-lint.toml`, else beside the migrations folder (the
kit's own at the repository root).
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import ConfigError
from .findings import Finding

__all__ = ["FILE", "Acceptance", "Config", "load"]

FILE = "dbkit-lint.toml"
STALE = "stale-acceptance"
_SETTINGS = {"max_columns", "disable", "evidence"}


@dataclass(frozen=True)
class Acceptance:
    rule: str
    object: str
    reason: str
    where: str  # `dbkit-lint.toml [[accept]] 3`, for messages

    @property
    def for_migration(self) -> bool:
        return ".sql" in self.object

    def matches(self, finding: Finding) -> bool:
        return finding.rule == self.rule and fnmatch.fnmatchcase(finding.object, self.object)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    accept: tuple[Acceptance, ...] = ()
    max_columns: int = 30
    disable: frozenset[str] = frozenset()
    evidence: tuple[Path, ...] = field(default_factory=tuple)

    def apply(self, found: Iterable[Finding], looked_at: Iterable[str], *, migrations: bool = False) -> list[Finding]:
        """The findings with `accepted` and `reason` set, plus one `stale-acceptance` finding per stale acceptance.

        `looked_at` names what was linted: schemas, or migration files (`folder/NNNN_slug.sql`). Only the
        acceptances about those can be stale; the others are about something this run did not read.
        """
        found = list(found)
        used: set[Acceptance] = set()
        out = []
        for finding in found:
            match = next((a for a in self.accept if a.matches(finding)), None)
            if match is not None:
                used.add(match)
                finding = replace(finding, accepted=True, reason=match.reason)
            out.append(finding)
        scope = list(looked_at)
        for acceptance in self.accept:
            if acceptance in used or acceptance.for_migration != migrations or not _about(acceptance, scope):
                continue
            out.append(
                Finding(
                    STALE, "warning", acceptance.object,
                    f"{acceptance.where} accepts {acceptance.rule} for {acceptance.object}, but nothing matches it any more",
                    "An acceptance that excuses nothing hides the next real finding on that object.",
                    f"Remove it from {self.path.name if self.path else FILE}, or correct its rule or object.",
                )
            )  # fmt: skip
        return out


def load(path: Path | str | None = None, *, known_rules: Iterable[str] = ()) -> Config:
    """The configuration at `path`, or the one found by the search order above; an empty one if there is none."""
    if path is not None:
        chosen = Path(path)
        if not chosen.is_file():
            raise ConfigError(f"no lint configuration at {chosen}; pass the path of a {FILE}")
    else:
        candidates = [Path.cwd() / FILE, registry.sql_dir().parent / FILE]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            return Config(evidence=_default_evidence())
        chosen = found
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{chosen}: {exc}; fix the TOML") from None
    return _parse(chosen, data, set(known_rules))


def _parse(path: Path, data: dict[str, Any], known: set[str]) -> Config:
    unknown = sorted(set(data) - {"settings", "accept"})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; a lint configuration has [settings] and [[accept]]")
    settings = data.get("settings", {})
    if not isinstance(settings, dict) or set(settings) - _SETTINGS:
        extra = sorted(set(settings) - _SETTINGS) if isinstance(settings, dict) else ["(not a table)"]
        raise ConfigError(f"{path}: unknown setting {extra[0]!r}; known: {', '.join(sorted(_SETTINGS))}")
    max_columns = settings.get("max_columns", 30)
    if isinstance(max_columns, bool) or not isinstance(max_columns, int) or max_columns < 1:
        raise ConfigError(f"{path}: max_columns must be a whole number above 0, not {max_columns!r}")
    disable = _strings(path, settings.get("disable", []), "disable")
    for rule_id in disable:
        _known(path, rule_id, known, f"{path.name} [settings] disable")
    evidence = tuple((path.parent / p).resolve() for p in _strings(path, settings.get("evidence", []), "evidence"))
    entries = data.get("accept", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: accept must be a list of [[accept]] tables")
    return Config(path, tuple(_acceptance(path, n, entry, known) for n, entry in enumerate(entries, 1)), max_columns,
                  frozenset(disable), evidence)  # fmt: skip


def _acceptance(path: Path, number: int, entry: Any, known: set[str]) -> Acceptance:
    where = f"{path.name} [[accept]] {number}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table with rule, object and reason")
    extra = sorted(set(entry) - {"rule", "object", "reason"})
    if extra:
        raise ConfigError(f"{where}: unknown key {extra[0]!r}; an acceptance has rule, object and reason")
    for key in ("rule", "object"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"{where}: {key} must be a non-empty string")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(
            f'{where} accepts {entry["rule"]} for {entry["object"]} without a reason; add reason = "..." saying why it is acceptable'
        )
    acceptance = Acceptance(entry["rule"].strip(), entry["object"].strip(), " ".join(reason.split()), where)
    if not acceptance.for_migration:  # squawk's rule ids are squawk's to define; the kit's are known here
        _known(path, acceptance.rule, known, where)
    return acceptance


def _known(path: Path, rule_id: str, known: set[str], where: str) -> None:
    if known and rule_id not in known:
        raise ConfigError(f"{where}: unknown rule {rule_id!r}; `dbkit lint --rules` lists them")


def _strings(path: Path, value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: {key} must be a list of strings, not {value!r}")
    return [v.strip() for v in value]


def _about(acceptance: Acceptance, looked_at: list[str]) -> bool:
    """Whether the acceptance names something this run linted: its schema, or its migration file."""
    if acceptance.for_migration:
        target = acceptance.object.split(":", 1)[0]
        return any(fnmatch.fnmatchcase(name, target) for name in looked_at)
    schema = acceptance.object.split(".", 1)[0]
    return any(fnmatch.fnmatchcase(name, schema) for name in looked_at)


def _default_evidence() -> tuple[Path, ...]:
    notebooks = registry.sql_dir().parent / "notebooks"
    return (notebooks,) if notebooks.is_dir() else ()
