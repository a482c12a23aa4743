"""Squawk, the PostgreSQL migration linter (`squawk-cli` on PyPI), run on migration files; its findings in the kit's format.

Squawk's rules are squawk's: the kit runs its binary rather than rewriting them, on exactly the SQL the runner
would run (a SQLite-authored file's PostgreSQL translation, whose lines stay where they were), with
`--assume-in-transaction` for the files the runner wraps in a transaction, and the server's version.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigError
from .findings import Finding

__all__ = ["binary", "lint_text"]

_LEVELS = {"error": "error", "warning": "warning"}


def binary() -> str:
    """The squawk executable: beside this Python's own (the venv's bin/), else on PATH."""
    name = "squawk.exe" if os.name == "nt" else "squawk"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise ConfigError("squawk is not installed (the squawk-cli package, a dependency of dbkit): run `uv sync` or `make install`")


def lint_text(text: str, label: str, *, in_transaction: bool, pg_version: str | None = None) -> list[Finding]:
    """Squawk's findings on one file's SQL, each as a Finding on `label:line` (lines counted from 1)."""
    command = [binary(), "--reporter", "json", "--stdin-filepath", label]
    if in_transaction:
        command.append("--assume-in-transaction")
    if pg_version:
        command += ["--pg-version", pg_version]
    try:
        done = subprocess.run(command, input=text, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"squawk could not run on {label}: {exc}") from None
    if done.returncode not in (0, 1):  # 1 means "found something"
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise ConfigError(f"squawk failed on {label}: {reason}")
    try:
        reported = json.loads(done.stdout or "[]")
    except ValueError:
        raise ConfigError(f"squawk printed something other than JSON for {label}: {done.stdout[:80]!r}") from None
    lines = text.splitlines()
    found = []
    for item in reported:
        line = int(item.get("line") or 0) + 1
        rule = str(item.get("rule_name") or "squawk")
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        code = code if len(code) <= 90 else code[:89] + "…"
        found.append(
            Finding(
                rule, _LEVELS.get(str(item.get("level", "")).lower(), "warning"), f"{label}:{line}",
                f"line {line}: {code}" if code else f"line {line}", " ".join(str(item.get("message") or rule).split()),
                " ".join(str(item.get("help") or f"See squawk's documentation of {rule}: squawkhq.com/docs/{rule}").split()),
            )
        )  # fmt: skip
    return found
