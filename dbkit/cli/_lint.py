"""`dbkit lint`: the schema's rules on the live catalog, and `--migrations`: pending files, static and measured.

Exit status 1 when an error-severity finding is open (not accepted in dbkit-lint.toml); with `--strict`,
an open warning fails too. Info findings never fail.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from . import app
from ._options import dir_option, url_option

_WIDTH = 130


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="A dbkit-lint.toml (default: ./dbkit-lint.toml, else the one beside sql/).")  # fmt: skip
@click.option("--strict", is_flag=True, help="Open warnings fail too (exit 1), not only errors.")
@click.option("--show-accepted", is_flag=True, help="List the accepted findings with their reasons.")
@click.option("--evidence", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Notebooks, .sql files or folders whose queries count as evidence (adds to the configured ones).")  # fmt: skip
@click.option("--rules", "list_rules", is_flag=True, help="List every rule (id, severity, why) and exit.")
@click.option("--migrations", is_flag=True, help="Lint pending migration files instead: squawk, then measured on a copy.")
@click.option("--all", "all_files", is_flag=True, help="With --migrations: lint every file, not only the pending ones.")
@click.option("--no-measure", is_flag=True, help="With --migrations: static findings only, no throwaway copy.")
@dir_option
def lint(schemas: tuple[str, ...], url: str | None, config_path: Path | None, strict: bool, show_accepted: bool,
         evidence: tuple[Path, ...], list_rules: bool, migrations: bool, all_files: bool, no_measure: bool,
         directory: Path | None) -> None:  # fmt: skip
    """Lint SCHEMAS (default: every user schema): rules with why and fix; exit 1 on open errors (--strict: warnings)."""
    if list_rules:
        _print_rules()
        return
    if (all_files or no_measure or directory) and not migrations:
        raise click.UsageError("--all, --no-measure and --dir go with --migrations")
    if migrations:
        from ..lint.migrations import lint_migrations

        report = lint_migrations(url, list(schemas) or None, root=directory, all_files=all_files, measured=not no_measure,
                                 config=config_path)  # fmt: skip
        _print_migrations(report, show_accepted)
        findings = report.findings
    else:
        from ..lint import lint as run

        findings = run(list(schemas) or None, url, config_path, evidence_paths=evidence)
        _print_findings(findings.open().records())
        if show_accepted:
            _print_accepted(findings)
        click.echo(f"evidence: {'; '.join(findings.attrs.get('evidence') or ['none'])}")
        click.echo(f"lint: {', '.join(findings.attrs.get('schemas') or [])}: {findings.summary()}")
    if len(findings.failing(strict=strict)):
        sys.exit(1)


def _print_rules() -> None:
    from ..lint.migrations import MEASURED_RULES
    from ..lint.rules import all_rules

    rules = all_rules()
    width = max(len(r.id) for r in rules) + 2
    for rule in rules:
        click.echo(f"{rule.id:<{width}}{rule.severity:<9}{_first_sentence(rule.why)}")
    for rule_id, (severity, why, _fix) in MEASURED_RULES.items():
        click.echo(f"{rule_id:<{width}}{severity:<9}{_first_sentence(why)}")
    click.echo(f"{len(rules)} schema rules and {len(MEASURED_RULES)} measured migration rules; "
               "`dbkit lint --migrations` also runs squawk's own rules")  # fmt: skip


def _print_findings(found: list[Any]) -> None:
    """Grouped by rule: the severity and rule once, why and fix once, then one line per object."""
    by_rule: dict[str, list[Any]] = {}
    for finding in found:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule, findings in by_rule.items():
        first = findings[0]
        click.echo(f"{first.severity:<8} {rule} ({len(findings)})")
        click.echo(_wrap(f"why: {first.why}", 9, 14))
        click.echo(_wrap(f"fix: {first.fix}", 9, 14))
        for finding in findings:
            click.echo(_wrap(f"- {finding.object}: {finding.message}", 9, 11))


def _print_file_findings(found: list[Any]) -> None:
    """Squawk's findings of one file: each with its own line, why and fix (they differ from finding to finding)."""
    for finding in found:
        accepted = f" (accepted: {finding.reason})" if finding.accepted else ""
        click.echo(f"  {finding.severity:<8} {finding.rule}{accepted}")
        click.echo(_wrap(finding.message, 11, 13))
        click.echo(_wrap(f"why: {finding.why}", 11, 16))
        click.echo(_wrap(f"fix: {finding.fix}", 11, 16))


def _wrap(text: str, indent: int, hanging: int) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=" " * indent, subsequent_indent=" " * hanging)


def _print_accepted(findings: Any) -> None:
    accepted = [f for f in findings.records() if f.accepted]
    for finding in accepted:
        click.echo(f"accepted {finding.severity:<8} {finding.rule}: {finding.object}")
        click.echo(_wrap(f"reason: {finding.reason}", 9, 17))


def _print_migrations(report: Any, show_accepted: bool) -> None:
    if not report.files:
        click.echo("nothing pending: every migration is applied (--all lints every file)")
    records = report.findings.records()
    by_file: dict[str, list[Any]] = {}
    for finding in records:
        by_file.setdefault(finding.object.split(":", 1)[0], []).append(finding)
    measured = {m.migration: m for m in report.measurements}
    for name in report.files:
        mine = [f for f in by_file.get(name, []) if show_accepted or not f.accepted]
        click.echo(f"{name}{'  (pending)' if name in report.pending else ''}")
        if mine:
            _print_file_findings(mine)
        else:
            click.echo("  no findings")
        if name in measured:
            _print_measurement(measured[name])
    if report.measured_on:
        click.echo(f"measured on {report.measured_on}")
    click.echo(f"lint --migrations: {len(report.files)} file(s), {len(report.pending)} pending: {report.findings.summary()}")


def _print_measurement(measurement: Any) -> None:
    if measurement.error:
        click.echo(f"  measured: {measurement.error}")
        return
    rewrites = ", ".join(f"{r.relation} ({r.kind})" for r in measurement.rewrites) or "nothing"
    how = "sampled while it ran" if measurement.sampled else "held before COMMIT"
    click.echo(f"  measured: {measurement.duration_ms} ms; rewrote {rewrites}; locks {how}:")
    for lock in measurement.locks:
        click.echo(f"    {lock.mode:<26} {lock.relation} ({lock.kind}{', new' if lock.new else ''})")


def _first_sentence(text: str) -> str:
    sentence = text.split(": ", 1)[0].split(". ", 1)[0]
    return sentence if len(sentence) <= 90 else sentence[:89] + "…"
