"""`dbkit up`, `down`, `status`, `url`, `psql`: the embedded server and which database is in use."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import server
from ..url import resolve
from . import app
from ._options import dir_option, url_option


@app.command()
@click.option("--port", type=int, help="Also listen on 127.0.0.1:PORT (1024-65535) for psql and other tools, with a password.")
def up(port: int | None) -> None:
    """Start the embedded server (or adopt the one running) and print its URL."""
    current = server.up(port=port)
    click.echo(current.url if current.socket else resolve(current.url).masked)
    if current.tcp and current.socket:
        masked = current.tcp_url.replace(server.password(current.data_dir), "***")
        click.echo(f"also listening on {masked} (password: dbkit url --tcp --show-password)", err=True)


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
    from ..migrate import state
    from ..url import sqlite_path

    click.echo(f"server    {server.status().describe()}")
    target = resolve(url, start=False)
    if not target.url:
        click.echo("database  embedded server not running: run `dbkit up`")
        return
    click.echo(f"database  {target.masked} ({target.source})")
    if target.is_sqlite and not sqlite_path(target.url).exists():
        click.echo(f"  no SQLite file at {sqlite_path(target.url)} yet: `dbkit migrate --url {target.url}` creates it")
    for folder, applied, pending in state(target.url, root=directory):
        if pending:
            names = ", ".join(m.name for m in pending)
            click.echo(f"  {folder.schema:<14} {applied} applied, {len(pending)} pending: {names}")
        else:
            click.echo(f"  {folder.schema:<14} up to date ({applied} applied)")


@app.command()
@url_option
@click.option(
    "--show-password", is_flag=True, help='Print the password too (for other tools: psql "$(dbkit url --show-password)").'
)
@click.option("--tcp", is_flag=True, help="The embedded server's 127.0.0.1 URL (after `dbkit up --port N`).")
def url(url: str | None, show_password: bool, tcp: bool) -> None:
    """Print the URL in use (starting the embedded server if it is the one), nothing else; passwords masked."""
    if tcp:
        current = server.status()
        if not current.tcp_url:
            raise click.ClickException("the embedded server does not listen on TCP: run `dbkit up --port 5433` first")
        chosen = current.tcp_url
    else:
        chosen = resolve(url).url
    click.echo(chosen if show_password else resolve(chosen).masked)


@app.command(context_settings={"ignore_unknown_options": True})
@url_option
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def psql(url: str | None, psql_args: tuple[str, ...]) -> None:
    """Open psql (shipped with the embedded server) on the database in use; extra arguments go to psql."""
    from ..url import libpq_url

    target = resolve(url)
    if target.is_sqlite:
        raise click.ClickException(f"{target.masked} is SQLite: open it with `sqlite3 {target.url.split(':///', 1)[1]}`")
    binary = server.bin_dir() / "psql"
    os.execv(binary, [str(binary), libpq_url(target.url), *psql_args])
