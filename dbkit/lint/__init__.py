"""Schema lint: rules with an id, a severity, why and how to fix, run on the live catalog; and migration safety.

    import dbkit
    dbkit.lint()                          # every user schema: a Findings DataFrame (rule, severity, object, ...)
    dbkit.lint("ibex_core")               # one schema (or a list); dbkit.lint.lint(...) is the same call
    dbkit.lint.rules()                    # every rule: id, severity, why, fix
    dbkit.lint.lint_migrations()          # pending migrations: squawk's findings and what each one measurably locks

The module itself is callable, so `dbkit.lint(...)` works in a notebook without shadowing the package's
exports. `dbkit lint` is the command; `dbkit-lint.toml` accepts findings for a stated reason.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .config import Acceptance, Config, load
from .findings import Finding, Findings
from .rules import RULES, Rule, all_rules
from .runner import lint

__all__ = ["RULES", "Acceptance", "Config", "Finding", "Findings", "Rule", "lint", "lint_migrations", "load", "rules"]


def rules() -> Any:
    """Every rule as a DataFrame: id, severity, topic, why, fix."""
    from ..display import Result

    return Result(
        [{"rule": r.id, "severity": r.severity, "topic": r.topic, "why": r.why, "fix": r.fix} for r in all_rules()],
        columns=["rule", "severity", "topic", "why", "fix"],
    )


def lint_migrations(*args: Any, **kwargs: Any) -> Any:
    """Pending migrations, linted by squawk and measured on a throwaway copy (see `dbkit.lint.migrations`)."""
    from .migrations import lint_migrations as run

    return run(*args, **kwargs)


class _CallableModule(types.ModuleType):
    """`dbkit.lint(...)` is `dbkit.lint.lint(...)`: the notebook spelling, without a function shadowing the module."""

    def __call__(self, *args: Any, **kwargs: Any) -> Findings:
        return lint(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
