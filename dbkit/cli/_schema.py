"""`dbkit migrate`, `check`, `seed`: change and compare the schemas of the registry."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import app
from ._options import dir_option, url_option


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
@click.option("--plan", is_flag=True, help="List pending files; write nothing.")
@click.option("--sql", is_flag=True, help="Print the SQL that would run, a `-- file:` marker per file; write nothing.")
@dir_option
def migrate(schemas: tuple[str, ...], url: str | None, plan: bool, sql: bool, directory: Path | None) -> None:
    """Apply pending migrations of SCHEMAS (folders, schema names or aliases; default: all), each file in one transaction."""
    from ..migrate import migrate as apply_migrations
    from ..migrate import plan as pending_migrations
    from ..migrate import render

    chosen = list(schemas) or None
    if plan and sql:
        raise click.UsageError("--plan and --sql are exclusive; pick one")
    if sql:
        click.echo(render(url, chosen, root=directory))
    elif plan:
        pending = pending_migrations(url, chosen, root=directory)
        for migration in pending:
            click.echo(f"pending  {migration.schema}/{migration.name}")
        click.echo(f"{len(pending)} file(s) pending" if pending else "nothing pending: up to date")
    else:
        applied = apply_migrations(
            url, chosen, root=directory, on_applied=lambda m, ms: click.echo(f"applied  {m.schema}/{m.name} ({ms} ms)")
        )
        click.echo(f"{len(applied)} file(s) applied" if applied else "0 files applied: up to date")


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
@click.option("--scale", default=1, show_default=True, type=int, help="Multiply the bulk tables (1 to 10,000).")
@click.option("--seed", "seed_value", default=42, show_default=True, type=int, help="Same seed, same rows (0 to 2,147,483,647).")
@click.option("--if-needed", is_flag=True, help="Leave a schema already seeded with this seed, scale and generator as it is.")
def seed(schemas: tuple[str, ...], url: str | None, scale: int, seed_value: int, if_needed: bool) -> None:
    """Fill every table of SCHEMAS (default: all) with deterministic rows; replaces what is there."""
    from ..db import database
    from ..seed import seed as run_seed
    from ..seed import seeded

    db = database(url)
    loaded = run_seed(db, list(schemas) or None, scale=scale, seed=seed_value, progress=True, if_needed=if_needed)
    with db.connect() as conn:
        runs = seeded(conn)
    for schema, rows in loaded.items():
        click.echo(f"seeded   {schema} ({rows:,} rows; embeddings: {runs[schema].embedder})")


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
def check(schemas: tuple[str, ...], url: str | None) -> None:
    """Compare the models with the migrated database, and every table and column for a comment; exit 1 on drift."""
    from ..check import differences

    drift = differences(url, list(schemas) or None)
    for schema, found in drift.items():
        click.echo(f"{schema:<14} " + (f"{len(found)} difference(s)" if found else "no drift"))
        for sentence in found:
            click.echo(f"  - {sentence}")
    if any(drift.values()):
        sys.exit(1)
