"""`dbkit docs`, `coverage`, `diff`, `notebook`: what a schema is, written down, compared, and walked through."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import app
from ._options import url_option


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the pages (the repository's: docs/schema/).",
)
def docs(schemas: tuple[str, ...], url: str | None, out: Path) -> None:
    """Write a Markdown data dictionary of SCHEMAS (default: the registry's) into --out: a page each, with an ER diagram, and an index."""
    from ..docs import write

    written = write(out, list(schemas) or None, url)
    for path in written:
        click.echo(f"wrote    {path}")
    click.echo(f"{len(written) - 1} schema page(s) and the index ({written[-1].name}) in {out}")


@app.command()
@click.argument("schemas", nargs=-1)
@url_option
@click.option(
    "--min", "minimum", type=click.FloatRange(0, 100), help="Exit 1 when the total comment coverage is below this percentage."
)
def coverage(schemas: tuple[str, ...], url: str | None, minimum: float | None) -> None:
    """Comment coverage of SCHEMAS (default: the registry's) per schema and table: the table's and each column's comment, as tbls."""
    from ..docs import Coverage
    from ..docs import coverage as measure
    from ..docs import schemas as read

    pages = [measure(live) for live, _ in read(list(schemas) or None, url)]
    rows: list[Coverage] = [row for page in pages for row in page]
    width = max([len("schema / table"), *(len(r.schema) for r in rows), *(len(r.table or "") + 2 for r in rows)])
    click.echo(f"{'schema / table':<{width}}  {'table':>5}  {'columns':>9}  {'coverage':>8}")
    for page in pages:
        *tables, total = page  # coverage() ends with the schema's total: shown first, as a heading
        click.echo(f"{total.schema:<{width}}  {'':>5}  {'':>9}  {total.percent:>7.1f}%  ({total.commented}/{total.total})")
        for row in tables:
            columns = f"{row.columns_commented}/{row.columns}"
            commented = "yes" if row.table_comment else "no"
            click.echo(f"{'  ' + (row.table or ''):<{width}}  {commented:>5}  {columns:>9}  {row.percent:>7.1f}%")
    done, of = sum(p[-1].commented for p in pages), sum(p[-1].total for p in pages)
    percent = 100.0 * done / of if of else 100.0
    click.echo(f"{'total':<{width}}  {'':>5}  {'':>9}  {percent:>7.1f}%  ({done}/{of})")
    if minimum is not None and percent < minimum:
        click.echo(
            f"dbkit: comment coverage {percent:.1f}% is below --min {minimum:g}%; add COMMENT ON in a new migration", err=True
        )
        sys.exit(1)


@app.command()
@click.argument("url_a")
@click.argument("url_b")
@click.argument("schemas", nargs=-1)
@click.option(
    "--rename",
    "renames",
    multiple=True,
    metavar="A=B",
    help="Schema A in the first database is schema B in the second (repeatable).",
)
@click.option("--ignore-comments", is_flag=True, help="Leave comments out of the comparison.")
def diff(url_a: str, url_b: str, schemas: tuple[str, ...], renames: tuple[str, ...], ignore_comments: bool) -> None:
    """List the differences between the schemas of two live databases (default: every schema of either); exit 1 if they differ."""
    from ..diff import databases, parse_renames, render

    report = databases(url_a, url_b, list(schemas) or None, renames=parse_renames(renames), comments=not ignore_comments)
    click.echo(render(report))
    if report.differences:
        sys.exit(1)


@app.command()
@click.argument("schema")
@url_option
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The notebook to write (.ipynb)."
)
def notebook(schema: str, url: str | None, out: Path) -> None:
    """Write an onboarding walkthrough of SCHEMA (any schema): what it is, its diagram, every table with generated queries."""
    from ..onboard import write

    path = write(schema, out, url)
    click.echo(f"wrote    {path}")
    click.echo("it reads the database from DATABASE_URL (else the embedded server): open it in `dbkit lab`, or run it headlessly")
