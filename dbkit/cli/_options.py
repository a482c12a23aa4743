"""Options several commands share."""

from __future__ import annotations

from pathlib import Path

import click

url_option = click.option("--url", help="Database URL; default: DATABASE_URL, else the embedded server.")
dir_option = click.option(
    "--dir", "directory", type=click.Path(path_type=Path, file_okay=False), help="Migrations folder (default: the kit's sql/)."
)
