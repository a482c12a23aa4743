"""The rules lint applies: each an id, a severity, why it matters, how to fix it, and a check.

A rule is a small function decorated with `@rule(...)` in one of the modules by concern (`_keys`, `_indexes`,
`_shape`, `_types`, `_security`, `_vectors`, `_json`); it reads the `Context` (typed catalog records and the
queries seen) and yields one `Hit` per object it objects to. Adding a rule is adding such a function: the
registry, `dbkit lint --rules`, the README's list and the tests' check that every rule has a case all read
`RULES`.

Severities: `error` (lint exits 1), `warning` (exits 1 with `--strict`), `info` (never fails).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .findings import SEVERITIES

if TYPE_CHECKING:
    from .context import Context

__all__ = ["RULES", "Hit", "Rule", "all_rules", "rule"]


@dataclass(frozen=True)
class Hit:
    """What a check reports: the object (`schema.table[.column]`, ...) and a sentence about it."""

    object: str
    message: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    why: str
    fix: str
    check: Callable[[Context], Iterable[Hit]]
    topic: str


RULES: dict[str, Rule] = {}


def rule(id: str, severity: str, *, why: str, fix: str) -> Callable[[Callable[[Context], Iterable[Hit]]], Callable]:
    """Register a check under `id`; `why` and `fix` are one sentence each, shown with every finding."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: severity must be one of {SEVERITIES}, not {severity!r}")

    def register(check: Callable[[Context], Iterable[Hit]]) -> Callable:
        if id in RULES:
            raise ValueError(f"rule {id} is registered twice")
        topic = check.__module__.rsplit(".", 1)[-1].lstrip("_")
        RULES[id] = Rule(id, severity, " ".join(why.split()), " ".join(fix.split()), check, topic)
        return check

    return register


# The rule modules, in the order `dbkit lint --rules` lists them: structure first, then types, security, the kit's own.
_TOPICS = ("keys", "indexes", "shape", "types", "security", "vectors", "json")


def all_rules() -> list[Rule]:
    """Every rule, by topic, then in the order its module defines them."""
    return sorted(RULES.values(), key=lambda r: _TOPICS.index(r.topic) if r.topic in _TOPICS else len(_TOPICS))


def _register() -> None:
    import importlib

    for topic in _TOPICS:  # each module's @rule functions register themselves as it is imported
        importlib.import_module(f"{__package__}._{topic}")


_register()
