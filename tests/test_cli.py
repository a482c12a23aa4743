"""The `dbkit` command: help everywhere, one-line errors without tracebacks, reads that write nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from dbkit.cli import app

COMMANDS = sorted(app.commands)


def _dbkit(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dbkit", *args], capture_output=True, text=True, timeout=120, env=env or os.environ
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    done = _dbkit(command, "--help")
    assert done.returncode == 0 and f"Usage: dbkit {command}" in done.stdout
    assert len(app.commands[command].help or "") > 20


def test_bad_database_url_is_one_line():
    env = {**os.environ, "DATABASE_URL": "postgresql://kit:s3cret@127.0.0.1:1/nowhere"}
    done = _dbkit("migrate", env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "cannot connect to postgresql://kit:***@127.0.0.1:1/nowhere (from DATABASE_URL)" in lines[0]
    assert "unset it to use the embedded server" in lines[0] and "s3cret" not in lines[0]


def test_malformed_database_url_is_one_line():
    done = _dbkit("url", env={**os.environ, "DATABASE_URL": "mysql://a:b@host/db"})
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "DATABASE_URL is not a PostgreSQL URL" in done.stderr and "b@" not in done.stderr


def test_unknown_schema_is_one_line(fresh_db):
    done = _dbkit("migrate", "nope", "--url", fresh_db)
    assert done.returncode == 1 and done.stderr.startswith("dbkit: unknown schema 'nope'; known: ")
    assert "Traceback" not in done.stderr


def test_migration_error_is_one_line(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_bad.sql", "CREATE TABLE t (id int);\nSELEC 1;\n")
    done = _dbkit("migrate", "--url", fresh_db, "--dir", str(sql_dir.root))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "0001_bad.sql:2: SQLSTATE 42601 (SyntaxError)" in done.stderr


def test_url_prints_only_the_url(fresh_db):
    done = _dbkit("url", "--url", fresh_db)
    assert done.stdout == fresh_db + "\n" and done.stderr == ""


def test_url_masks_the_password_unless_asked():
    secret = "postgresql://kit:s3cret@127.0.0.1:1/db"  # `url` does not connect: nothing needs to listen there
    assert _dbkit("url", "--url", secret).stdout == "postgresql://kit:***@127.0.0.1:1/db\n"
    assert _dbkit("url", "--url", secret, "--show-password").stdout == secret + "\n"


def test_plan_then_migrate_then_nothing(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_a.sql", "CREATE TABLE a (id int);")
    sql_dir.write("alpha/0002_b.sql", "CREATE TABLE b (id int);")
    args = ("--url", fresh_db, "--dir", str(sql_dir.root))
    planned = _dbkit("migrate", "--plan", *args)
    assert planned.stdout.splitlines() == ["pending  alpha/0001_a.sql", "pending  alpha/0002_b.sql", "2 file(s) pending"]
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regnamespace('dbkit')").fetchone() == (None,)
    assert "2 file(s) applied" in _dbkit("migrate", *args).stdout
    assert _dbkit("migrate", *args).stdout.strip() == "0 files applied: up to date"
    status = _dbkit("status", *args)
    assert "alpha          up to date (2 applied)" in status.stdout


def test_sql_prints_file_markers(fresh_db, sql_dir):
    path = sql_dir.write("alpha/0001_a.sql", "CREATE TABLE a (id int);")
    done = _dbkit("migrate", "--sql", "--url", fresh_db, "--dir", str(sql_dir.root))
    assert f"-- file: {path}" in done.stdout and "CREATE TABLE a (id int);" in done.stdout
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regclass('alpha.a')").fetchone() == (None,)
