"""The `dbkit` command: help everywhere, and every user error one line, with what to do, exit status 1.

Run in process (click's CliRunner, through the same group that maps errors) and, where a real process
matters, as `python -m dbkit`.
"""

from __future__ import annotations

import os

import psycopg
import pytest
from kit_fixtures import cli_process

from dbkit.cli import app

COMMANDS = sorted(app.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(cli, command):
    done = cli(command, "--help")
    assert done.code == 0 and f"Usage: dbkit {command}" in done.stdout
    assert len(app.commands[command].help or "") > 20


def _bad_inputs(tmp, fresh_db):
    """(arguments, environment additions, what the one line must say) for every class of bad input."""
    (tmp / "sql" / "alpha").mkdir(parents=True)
    (tmp / "sql" / "alpha" / "0001_a.SQL").write_text("SELECT 1;")
    (tmp / "empty").mkdir()
    (tmp / "latin" / "alpha").mkdir(parents=True)
    (tmp / "latin" / "alpha" / "0001_a.sql").write_bytes(b"-- caf\xe9\nSELECT 1;\n")
    (tmp / "toml" / "alpha").mkdir(parents=True)
    (tmp / "toml" / "alpha" / "0001_a.sql").write_text("SELECT 1;")
    (tmp / "toml" / "alpha" / "dbkit.toml").write_text("schema = 5\n")
    (tmp / "txn" / "alpha").mkdir(parents=True)
    (tmp / "txn" / "alpha" / "0001_a.sql").write_text("CREATE TABLE t (id int);\nCOMMIT;\n")
    (tmp / "afile").write_text("x")
    secret = "postgresql://kit:s3cret@127.0.0.1:1/nowhere"
    return [
        (["migrate"], {"DATABASE_URL": secret}, "cannot connect to postgresql://kit:***@127.0.0.1:1/nowhere (from DATABASE_URL)"),
        (["migrate"], {"DATABASE_URL": "postgresql://kit@127.0.0.1:1/x?password=s3cret"}, "password=***"),
        (["url"], {"DATABASE_URL": "mysql://a:s3cret@host/db"}, "DATABASE_URL is not a PostgreSQL URL"),
        (["url"], {"DATABASE_URL": "host=localhost password=s3cret"}, "not a PostgreSQL URL (a string without scheme://)"),
        (["status", "--url", "postgresql://a:s3cret@host:notaport/db"], {}, "is not a valid PostgreSQL URL"),
        (["migrate", "--url", "postgresql://u@h/db?nosuchoption=1"], {}, "is not a valid PostgreSQL URL"),
        (["migrate", "nope", "--url", fresh_db], {}, "unknown schema 'nope'; known: "),
        (["check", "nosuch", "--url", fresh_db], {}, "unknown schema 'nosuch'; known: "),
        (["seed", "nosuch", "--url", fresh_db], {}, "unknown schema 'nosuch'"),
        (["seed", "iris", "--url", fresh_db, "--seed", "-5"], {}, "--seed must be a whole number from 0 to 2,147,483,647"),
        (["seed", "iris", "--url", fresh_db, "--seed", "99999999999"], {}, "--seed must be a whole number"),
        (["seed", "iris", "--url", fresh_db, "--scale", "0"], {}, "--scale must be a whole number from 1"),
        (["seed", "--seed", "abc", "--url", fresh_db], {}, "'abc' is not a valid integer"),
        (["seed", "--url", f"sqlite:///{tmp / 'x.db'}"], {}, "seeding needs PostgreSQL"),
        (["seed", "iris", "--url", fresh_db], {}, "schema iris does not exist or has no tables: run `dbkit migrate iris` first"),
        (["migrate", "--url", f"sqlite:///{tmp / 'nowhere' / 'x.db'}"], {}, "does not exist; create it"),
        (["migrate", "--url", fresh_db, "--dir", str(tmp / "toml")], {}, "schema must be a non-empty string, not 5"),
        (["migrate", "--url", fresh_db, "--dir", str(tmp / "sql")], {}, "0001_a.SQL: looks like a migration"),
        (["migrate", "--url", fresh_db, "--dir", str(tmp / "empty")], {}, "no schema folders in"),
        (["migrate", "--url", fresh_db, "--dir", str(tmp / "nowhere")], {}, "no migrations folder at"),
        (["migrate", "--url", fresh_db, "--dir", str(tmp / "latin")], {}, "0001_a.sql:1: not UTF-8 (byte 0xe9"),
        (["migrate", "--url", fresh_db, "--dir", str(tmp / "txn")], {}, "0001_a.sql:2: COMMIT would end the transaction"),
        (["migrate", "--plan", "--sql", "--url", fresh_db], {}, "--plan and --sql are exclusive"),
        (["up", "--port", "0"], {}, "port 0 is not usable"),
        (["up", "--port", "99999"], {}, "port 99999 is not usable"),
        (["up"], {"DBKIT_DATA_DIR": str(tmp / "afile")}, "is a file; point DBKIT_DATA_DIR at a folder"),
        (["url", "--tcp"], {}, "does not listen on TCP"),
        (["psql", "--url", f"sqlite:///{tmp / 'x.db'}"], {}, "is SQLite"),
        (["run", "zz_no_such_notebook"], {}, "no notebook matches zz_no_such_notebook"),
        (["nosuchcommand"], {}, "No such command 'nosuchcommand'"),
        (["migrate", "--nosuchoption"], {}, "No such option '--nosuchoption'; see `dbkit migrate --help`"),
    ]


def test_every_bad_input_is_one_line_exit_1_and_no_traceback(cli, tmp_path, fresh_db, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    failures = []
    for args, env, says in _bad_inputs(tmp_path, fresh_db):
        done = cli(*args, env=env)
        ok = done.code == 1 and len(done.lines) == 1 and done.lines[0].startswith("dbkit: ") and says in done.lines[0]
        ok = ok and "Traceback" not in done.stderr + done.stdout and "s3cret" not in done.stderr + done.stdout
        if not ok:
            failures.append(f"{args} {env}: exit {done.code}, stderr {done.stderr!r}")
    assert failures == [], "\n".join(failures)
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "nowhere").exists()


def test_reads_on_a_mistyped_sqlite_path_create_nothing(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    assert "no SQLite file at" in cli("status", "--url", url).stdout
    assert "file(s) pending" in cli("migrate", "--plan", "--url", url).stdout
    assert not (tmp_path / "typo.db").exists()


def test_the_real_process_says_the_same_one_line():
    done = cli_process("migrate", env={**os.environ, "DATABASE_URL": "postgresql://kit:s3cret@127.0.0.1:1/nowhere"})
    assert done.code == 1 and len(done.lines) == 1 and "Traceback" not in done.stderr
    assert "cannot connect to postgresql://kit:***@127.0.0.1:1/nowhere (from DATABASE_URL)" in done.lines[0]
    assert "unset it to use the embedded server" in done.lines[0] and "s3cret" not in done.stderr


def test_migration_error_is_one_line(cli, fresh_db, sql_dir):
    sql_dir.write("alpha/0001_bad.sql", "CREATE TABLE t (id int);\nSELECT * FROM missing;\n")
    done = cli("migrate", "--url", fresh_db, "--dir", str(sql_dir.root))
    assert done.code == 1 and len(done.lines) == 1
    assert "0001_bad.sql:2: SQLSTATE 42P01 (UndefinedTable)" in done.stderr


def test_url_prints_only_the_url(cli, fresh_db):
    done = cli("url", "--url", fresh_db, "--show-password")
    assert done.stdout == fresh_db + "\n" and done.stderr == ""


@pytest.mark.parametrize("secret", ["postgresql://kit:s3cret@127.0.0.1:1/db", "postgresql://kit@127.0.0.1:1/db?password=s3cret"])
def test_url_masks_the_password_unless_asked(cli, secret):
    assert "s3cret" not in cli("url", "--url", secret).stdout and "***" in cli("url", "--url", secret).stdout
    assert cli("url", "--url", secret, "--show-password").stdout == secret + "\n"


def test_plan_then_migrate_then_nothing(cli, fresh_db, sql_dir):
    sql_dir.write("alpha/0001_a.sql", "CREATE TABLE a (id int);")
    sql_dir.write("alpha/0002_b.sql", "CREATE TABLE b (id int);")
    args = ("--url", fresh_db, "--dir", str(sql_dir.root))
    assert cli("migrate", "--plan", *args).stdout.splitlines() == [
        "pending  alpha/0001_a.sql",
        "pending  alpha/0002_b.sql",
        "2 file(s) pending",
    ]
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regnamespace('dbkit')").fetchone() == (None,)
    assert "2 file(s) applied" in cli("migrate", *args).stdout
    assert cli("migrate", *args).stdout.strip() == "0 files applied: up to date"
    assert "alpha          up to date (2 applied)" in cli("status", *args).stdout


def test_sql_prints_file_markers(cli, fresh_db, sql_dir):
    path = sql_dir.write("alpha/0001_a.sql", "CREATE TABLE a (id int);")
    done = cli("migrate", "--sql", "--url", fresh_db, "--dir", str(sql_dir.root))
    assert f"-- file: {path}" in done.stdout and "CREATE TABLE a (id int);" in done.stdout
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regclass('alpha.a')").fetchone() == (None,)


def test_a_bug_is_one_line_too_and_debug_shows_the_traceback(cli, monkeypatch):
    import dbkit.cli._server as commands

    monkeypatch.setattr(commands.server, "down", lambda: 1 / 0)
    done = cli("down")
    assert done.code == 1 and len(done.lines) == 1 and "internal error, please report it: ZeroDivisionError" in done.lines[0]
    monkeypatch.setenv("DBKIT_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli("down")


@pytest.mark.parametrize("command", ["status", "url"])
def test_status_and_url_import_only_what_they_need(command, embedded_url):
    """No psycopg (0.1 s to import, 0.26 s without bytecode): the embedded server's ledger is read with its psql."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the run's embedded server
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "dbkit", command], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-500:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not {name for name in imported if name.split(".")[0] in ("psycopg", "sqlalchemy", "pandas", "numpy", "filelock")}
