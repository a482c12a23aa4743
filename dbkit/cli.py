"""The `dbkit` command: manage the embedded server, migrate, inspect; user errors are one line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import psycopg

from . import server
from .migrate import migrate as apply_migrations
from .migrate import plan as pending_migrations
from .migrate import render, state
from .errors import DbkitError
from .url import resolve

url_option = click.option("--url", help="Database URL; default: DATABASE_URL, else the embedded server.")
dir_option = click.option(
    "--dir", "directory", type=click.Path(path_type=Path), help="Migrations folder (default: the kit's sql/)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def app() -> None:
    """dbkit: explore real PostgreSQL schemas (embedded PostgreSQL 18 + pgvector by default, any server via DATABASE_URL)."""


@app.command()
@click.option("--port", type=int, help="Also listen on 127.0.0.1:PORT for psql and other tools.")
def up(port: int | None) -> None:
    """Start the embedded server (or adopt the one running) and print its URL."""
    current = server.up(port=port)
    click.echo(current.url)
    if current.tcp:
        click.echo(f"also listening on {current.tcp_url}", err=True)


@app.command()
def down() -> None:
    """Stop the embedded server, whichever process started it."""
    was_running = server.down()
    click.echo(f"stopped the server in {server.data_dir()}" if was_running else "the server was not running")


@app.command()
@url_option
@dir_option
def status(url: str | None, directory: Path | None) -> None:
    """Show the embedded server, the database in use and each schema's migrations (changes nothing)."""
    current = server.status()
    if current.running:
        tcp = f", also on 127.0.0.1:{current.port}" if current.tcp else ""
        click.echo(f"server    running (pid {current.pid}{tcp}), data in {current.data_dir}")
    else:
        click.echo(f"server    stopped, data in {current.data_dir}")
    target = resolve(url, start=False)
    if not target.url:
        click.echo("database  embedded server not running: run `dbkit up`")
        return
    click.echo(f"database  {target.masked} ({target.source})")
    for folder, applied, pending in state(target.url, root=directory):
        if pending:
            names = ", ".join(m.name for m in pending)
            click.echo(f"  {folder.schema:<14} {applied} applied, {len(pending)} pending: {names}")
        else:
            click.echo(f"  {folder.schema:<14} up to date ({applied} applied)")


@app.command()
@url_option
@click.option("--show-password", is_flag=True, help="Print the password too (for other tools: psql \"$(dbkit url --show-password)\").")
def url(url: str | None, show_password: bool) -> None:
    """Print the URL in use (starting the embedded server if it is the one), nothing else; passwords masked."""
    target = resolve(url)
    click.echo(target.url if show_password else target.masked)


@app.command(context_settings={"ignore_unknown_options": True})
@url_option
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def psql(url: str | None, psql_args: tuple[str, ...]) -> None:
    """Open psql (shipped with the embedded server) on the database in use; extra arguments go to psql."""
    binary = server.bin_dir() / "psql"
    os.execv(binary, [str(binary), resolve(url).url, *psql_args])


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
@click.option("--plan", is_flag=True, help="List pending files; write nothing.")
@click.option("--sql", is_flag=True, help="Print the SQL that would run, a `-- file:` marker per file; write nothing.")
@dir_option
def migrate(schemas: tuple[str, ...], url: str | None, plan: bool, sql: bool, directory: Path | None) -> None:
    """Apply pending migrations of SCHEMAS (folders or schema names; default: all), each file in one transaction."""
    chosen = list(schemas) or None
    if plan and sql:
        raise DbkitError("--plan and --sql are exclusive; pick one")
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
@click.option("--scale", default=1, show_default=True, type=click.IntRange(min=1), help="Multiply the bulk tables.")
@click.option("--seed", "seed_value", default=42, show_default=True, type=int, help="Same seed, same rows.")
def seed(schemas: tuple[str, ...], url: str | None, scale: int, seed_value: int) -> None:
    """Fill every table of SCHEMAS (default: all) with deterministic rows; replaces what is there."""
    from .connect import connect
    from .seed import seed as run_seed

    target = resolve(url)
    loaded = run_seed(target, list(schemas) or None, scale=scale, seed=seed_value, progress=True)
    with connect(target) as conn:
        embedders = dict(conn.execute("SELECT schema, embedder FROM dbkit.seed_runs").fetchall())
    for schema, rows in loaded.items():
        click.echo(f"seeded   {schema} ({rows} rows; embeddings: {embedders[schema]})")


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
def check(schemas: tuple[str, ...], url: str | None) -> None:
    """Compare the models in dbkit.models with the migrated database; list each difference (exit 1 if any)."""
    from .check import differences

    drift = differences(url, list(schemas) or None)
    for schema, found in drift.items():
        click.echo(f"{schema:<14} " + (f"{len(found)} difference(s)" if found else "no drift"))
        for sentence in found:
            click.echo(f"  - {sentence}")
    if any(drift.values()):
        sys.exit(1)


@app.command(name="run")
@click.argument("notebooks", nargs=-1)
@click.option("--out", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
def run_notebooks(notebooks: tuple[str, ...], out: Path) -> None:
    """Execute NOTEBOOKS (name prefixes; default: all) headlessly into --out as .ipynb and offline HTML."""
    from .run import run

    run(list(notebooks) or None, out=out, announce=click.echo)


@app.command()
@url_option
@click.option("--port", default=8888, show_default=True, help="First port to try for JupyterLab.")
@click.option("--browser", is_flag=True, help="Also open a web browser.")
def lab(url: str | None, port: int, browser: bool) -> None:
    """Get the database ready (start, migrate, seed once), then open JupyterLab on notebooks/ and print its URL."""
    from .lab import launch

    from .connect import connect
    from .seed import GENERATORS, seeded
    from .seed import seed as run_seed

    target = resolve(url)
    applied = apply_migrations(target)
    click.echo(f"database  {target.masked} ({target.source}), {len(applied)} migration file(s) applied")
    with connect(target) as conn:
        missing = [s for s in GENERATORS if s not in seeded(conn)]
    if missing:  # once: later starts keep the data (and whatever you changed in it)
        loaded = run_seed(target, missing, progress=True)
        click.echo(f"seeded   {', '.join(f'{s} ({n} rows)' for s, n in loaded.items())}")
    launch(port=port, browser=browser, announce=click.echo)


def main() -> None:
    """Entry point: a kit error or a database error becomes one line on stderr and exit status 1."""
    try:
        app.main(prog_name="dbkit", standalone_mode=False)
    except DbkitError as exc:
        _fail(str(exc))
    except psycopg.Error as exc:
        _fail(f"database error: {' '.join(str(exc).split())}")
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted", code=130)


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"dbkit: {message}", err=True)
    sys.exit(code)
