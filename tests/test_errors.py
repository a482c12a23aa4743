"""The one error tree: one line each, builtins kept as bases, one line in IPython too."""

from __future__ import annotations

import psycopg
import pytest

from dbkit import errors


def test_every_kit_error_is_one_line():
    error = errors.MigrationError("a.sql:3: broken\n   across lines")
    assert str(error) == "a.sql:3: broken across lines"


def test_ipython_shows_one_line_not_a_traceback():
    lines = errors.SeedError("seeding iris failed, nothing changed").render_traceback()
    assert len(lines) == 1 and "SeedError" in lines[0] and "nothing changed" in lines[0]


@pytest.mark.parametrize(("kind", "builtin"), [(errors.NotFoundError, LookupError), (errors.UsageError, ValueError)])
def test_kinds_that_stand_for_a_builtin_are_one(kind, builtin):
    assert issubclass(kind, builtin) and issubclass(kind, errors.DbkitError)


def test_every_error_class_lives_in_errors_py():
    import dbkit.rls
    import dbkit.seed

    assert dbkit.seed.SeedError is errors.SeedError and dbkit.rls.RLSContextError is errors.RLSContextError


def test_database_errors_carry_the_sqlstate_and_advice(migrated_db):
    with psycopg.connect(migrated_db) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT * FROM no_such_table")
    converted = errors.database_error(caught.value)
    assert str(converted).startswith('SQLSTATE 42P01 (UndefinedTable): relation "no_such_table" does not exist; check the table')
    assert converted.sqlstate == "42P01" and converted.diag.message_primary == caught.value.diag.message_primary
