"""`%load_ext dbkit`: `%sql` and `%%sql` on the kit's database, read-only unless you say `--write`.

    %sql SELECT count(*) FROM ibex_core.memories          -> a readable DataFrame (also in `_`)
    %%sql rows <<                                         -> the result assigned to `rows`
    SELECT * FROM iris.sprites WHERE role = :role         -> :role binds the Python variable `role`
    %sql --explain SELECT ...        %sql --analyze SELECT ...   (a plan view; ANALYZE runs it, read-only)
    %sql --write UPDATE ...          %sql --analyze --rollback UPDATE ...   (a write timed, then undone)
    %sql --url postgresql://... SELECT ...

Values are always bound parameters (`:name` becomes a placeholder, never text); reads go through the kit's
read-only path (one statement, READ ONLY, as `dbkit_reader`), so a `%%sql` cell cannot write by accident.
Errors are one line.

Why not JupySQL: its last release is from March 2025; it pulls sqlglot, prettytable, jinja2 and a
telemetry client; and its read-only mode is a flag it passes, not a role and a transaction the database
enforces. The kit already has what a magic needs: the URL resolution, the read-only path, the display.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class

from .errors import UsageError

__all__ = ["SQLMagics", "load_ipython_extension", "parse_line"]

_FLAGS = {"--write", "--explain", "--analyze", "--rollback"}


@dataclass
class Call:
    url: str | None = None
    flags: set[str] = field(default_factory=set)
    target: str | None = None  # `rows <<`: the variable that receives the result
    sql: str = ""


def parse_line(line: str, cell: str | None = None) -> Call:
    """The options, the `name <<` target and the SQL of a `%sql` line (and `%%sql` cell)."""
    call = Call()
    rest = _options(call, line.strip())
    words = rest.split(None, 2)
    if len(words) >= 2 and words[1] == "<<" and words[0].isidentifier():
        call.target = words[0]
        rest = _options(call, words[2] if len(words) > 2 else "")  # options may follow `name <<` too
    call.sql = "\n".join(part for part in (rest, cell or "") if part.strip()).strip()
    if not call.sql:
        raise UsageError("no SQL to run: %sql SELECT ..., or %%sql with the statement in the cell")
    if "--rollback" in call.flags and "--analyze" not in call.flags:
        raise UsageError("--rollback times a write with --analyze and undoes it: use both")
    return call


def _options(call: Call, rest: str) -> str:
    """Consume leading `--` options into `call`; return what follows them."""
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        rest = rest.lstrip()
        if word == "--url":
            value, _, rest = rest.partition(" ")
            if not value:
                raise UsageError("--url needs a URL: %sql --url postgresql://... SELECT ...")
            call.url = shlex.split(value)[0] if value[:1] in "'\"" else value
            rest = rest.lstrip()
        elif word in _FLAGS:
            call.flags.add(word)
        else:
            raise UsageError(f"unknown option {word}; %sql takes --url URL, --write, --explain, --analyze, --rollback")
    return rest


@magics_class
class SQLMagics(Magics):
    """The `%sql` line magic and `%%sql` cell magic."""

    @line_cell_magic
    def sql(self, line: str, cell: str | None = None) -> Any:
        from . import explore
        from .queryplan import explain_plan
        from .sqltext import named_binds

        call = parse_line(line, cell)
        text, names = named_binds(call.sql)
        namespace = self.shell.user_ns if self.shell is not None else {}
        missing = [n for n in dict.fromkeys(names) if n not in namespace]
        if missing:
            raise UsageError(f":{missing[0]} is not a Python variable in this notebook; define it, or write the value in the SQL")
        params = {n: namespace[n] for n in names} if names else None
        if "--explain" in call.flags or "--analyze" in call.flags:
            result: Any = explain_plan(
                text, params, url=call.url, analyze="--analyze" in call.flags, rollback="--rollback" in call.flags
            )
        elif "--write" in call.flags:
            result = explore.write(text, params, url=call.url)
        else:
            result = explore.query(text, params, url=call.url)
        if call.target:
            namespace[call.target] = result
            return None
        return result


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics (`%load_ext dbkit` or `%load_ext dbkit.magic`)."""
    ipython.register_magics(SQLMagics)
