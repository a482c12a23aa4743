"""The `dbkit` command. Every user error is one line on stderr, with what to do, and exit status 1.

The mapping from errors to that line lives in the group itself (`_Group.main`), so click's CliRunner
sees exactly what a terminal sees. Commands live by concern: `_server` (up, down, status, url, psql),
`_schema` (migrate, check, seed), `_notebooks` (run, lab). Each imports what it needs when it runs:
`dbkit url` must not pay for pandas or SQLAlchemy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import DbkitError
from ..url import mask_text

__all__ = ["app", "main"]


class _Group(click.Group):
    """A click group whose every failure is one line: `dbkit: <what went wrong>; <what to do>`."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:  # fmt: skip
        try:
            return super().main(args, prog_name or "dbkit", complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.UsageError as exc:
            command = f"dbkit {exc.ctx.command_path.split(' ', 1)[1]}" if exc.ctx and " " in exc.ctx.command_path else "dbkit"
            _fail(f"{exc.format_message().rstrip('.')}; see `{command} --help`")
        except click.ClickException as exc:
            _fail(exc.format_message())
        except DbkitError as exc:
            _fail(str(exc))
        except (click.Abort, KeyboardInterrupt):
            _fail("interrupted", code=130)
        except Exception as exc:
            psycopg = sys.modules.get("psycopg")
            if psycopg is not None and isinstance(exc, psycopg.Error):
                _fail(f"database error: {mask_text(' '.join(str(exc).split()))}")
            if os.environ.get("DBKIT_DEBUG"):
                raise
            _fail(
                f"internal error, please report it: {type(exc).__name__}: {mask_text(str(exc))} (DBKIT_DEBUG=1 shows the traceback)"
            )
        return None


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"dbkit: {' '.join(message.split())}", err=True)
    sys.exit(code)


@click.group(name="dbkit", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def app() -> None:
    """dbkit: explore real PostgreSQL schemas (embedded PostgreSQL 18 + pgvector by default, any server via DATABASE_URL)."""


def main() -> None:
    """Entry point of the `dbkit` script."""
    app.main(prog_name="dbkit")


from . import _insight, _lint, _notebooks, _schema, _server  # noqa: E402  the commands register themselves on `app`

__all__ += ["_insight", "_lint", "_notebooks", "_schema", "_server"]
