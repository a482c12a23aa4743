"""`dbkit run` and `dbkit lab`: the notebooks, headless or in JupyterLab."""

from __future__ import annotations

from pathlib import Path

import click

from . import app
from ._options import url_option


@app.command(name="run")
@click.argument("notebooks", nargs=-1)
@click.option("--out", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
def run_notebooks(notebooks: tuple[str, ...], out: Path) -> None:
    """Execute NOTEBOOKS (name prefixes; default: all) headlessly into --out as .ipynb and offline HTML."""
    from ..run import run

    run(list(notebooks) or None, out=out, announce=click.echo)


@app.command()
@url_option
@click.option(
    "--port", default=8888, show_default=True, type=click.IntRange(1024, 65535), help="First port to try for JupyterLab."
)
@click.option("--browser", is_flag=True, help="Also open a web browser.")
def lab(url: str | None, port: int, browser: bool) -> None:
    """Get the database ready (start, migrate, seed once), then open JupyterLab on notebooks/ and print its URL."""
    from ..db import database
    from ..lab import launch
    from ..migrate import migrate
    from ..seed import has_rows, schemas, seed, seeded

    db = database(url)
    applied = migrate(db.target)
    with db.connect() as conn:  # once: later starts keep the data (and whatever you changed in it)
        runs = seeded(conn)
        missing = [s for s in schemas() if s not in runs or not has_rows(conn, s)]
    loaded = seed(db, missing, progress=True) if missing else {}
    seeded_now = f"seeded {', '.join(loaded)}" if loaded else "already seeded"
    click.echo(f"database  {db.masked} ({db.source}): {len(applied)} migration file(s) applied, {seeded_now}")
    launch(port=port, browser=browser, announce=click.echo)  # prints the URL once JupyterLab answers
