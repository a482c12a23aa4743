"""What lint found: one `Finding` per rule and object, all of them together as a `Findings` DataFrame.

`Findings` is a `dbkit.display.Result` (it renders readably in a notebook) with the columns rule, severity,
object, message, why, fix, accepted, reason, sorted errors first. Accepted findings stay in the frame with
the reason they were accepted for: `open()` drops them, `failing()` keeps what should fail a build.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields

from ..display import Result

__all__ = ["COLUMNS", "SEVERITIES", "Finding", "Findings"]

SEVERITIES = ("error", "warning", "info")  # the order findings are shown in, the worst first


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one object: `schema.table[.column]`, a function, a migration `folder/file:line`."""

    rule: str
    severity: str
    object: str
    message: str
    why: str
    fix: str
    accepted: bool = False
    reason: str | None = None


COLUMNS = [f.name for f in fields(Finding)]


class Findings(Result):
    """Lint's findings as a DataFrame: every pandas operation works, and `open()` / `failing()` / `summary()` too."""

    @property
    def _constructor(self) -> type[Findings]:
        return Findings

    @classmethod
    def of(cls, found: Iterable[Finding]) -> Findings:
        order = {severity: n for n, severity in enumerate(SEVERITIES)}
        rows = sorted(found, key=lambda f: (f.accepted, order.get(f.severity, len(order)), f.rule, f.object))
        return cls([astuple(f) for f in rows], columns=COLUMNS)

    def records(self) -> list[Finding]:
        return [Finding(*row) for row in self.itertuples(index=False, name=None)]

    def open(self) -> Findings:
        """The findings no acceptance covers."""
        return self[~self["accepted"].astype(bool)]

    def failing(self, *, strict: bool = False) -> Findings:
        """Open errors (and open warnings when `strict`): what makes `dbkit lint` exit 1."""
        severities = ("error", "warning") if strict else ("error",)
        still = self.open()
        return still[still["severity"].isin(severities)]

    def summary(self) -> str:
        """One line: open findings by severity, then how many were accepted."""
        still = self.open()
        counts = [f"{int((still['severity'] == s).sum())} {s}{'' if s == 'info' else 's'}" for s in SEVERITIES]
        accepted = len(self) - len(still)
        return f"{', '.join(counts)} open; {accepted} accepted"
