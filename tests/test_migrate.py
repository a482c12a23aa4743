"""The migration runner on throwaway folders: order, ledger, atomicity, checksums, locking, read-only modes."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from dbkit import MigrationError
from dbkit.migrate import discover, migrate, plan, render

TABLES = "CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL);\nCOMMENT ON TABLE note IS 'a; b';\n"


def _scalar(url: str, query: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


def _ledger(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT schema, version, name FROM dbkit.schema_migrations ORDER BY schema, version").fetchall()


def test_applies_in_order_then_nothing(fresh_db, sql_dir):
    sql_dir.write("alpha/0010_later.sql", "INSERT INTO note VALUES (10, 'ten');")
    sql_dir.write("alpha/0002_first.sql", TABLES)
    sql_dir.write("beta/0001_other.sql", "CREATE TABLE other (id int);")

    first = migrate(fresh_db, root=sql_dir.root)
    assert [m.name for m in first] == ["0002_first.sql", "0010_later.sql", "0001_other.sql"]
    assert migrate(fresh_db, root=sql_dir.root) == []
    assert _ledger(fresh_db) == [("alpha", 2, "0002_first.sql"), ("alpha", 10, "0010_later.sql"), ("beta", 1, "0001_other.sql")]
    assert _scalar(fresh_db, "SELECT body FROM alpha.note WHERE id = 10") == "ten"
    with psycopg.connect(fresh_db) as conn:
        row = conn.execute("SELECT checksum, duration_ms, applied_at FROM dbkit.schema_migrations LIMIT 1").fetchone()
    assert len(row[0]) == 64 and row[1] >= 0 and row[2] is not None


def test_failing_file_rolls_back_completely(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write("alpha/0002_bad.sql", "CREATE TABLE half (id int);\n\nINSERT INTO note VALUES (1, 'x');\nSELECT *\n  FROM missing_table;\n")
    with pytest.raises(MigrationError) as caught:
        migrate(fresh_db, root=sql_dir.root)
    message = str(caught.value)
    assert "0002_bad.sql:5: SQLSTATE 42P01" in message and "\n" not in message
    assert _ledger(fresh_db) == [("alpha", 1, "0001_ok.sql")]
    assert _scalar(fresh_db, "SELECT to_regclass('alpha.half')") is None
    assert _scalar(fresh_db, "SELECT count(*) FROM alpha.note") == 0
    assert [m.name for m in plan(fresh_db, root=sql_dir.root)] == ["0002_bad.sql"]


def test_failing_first_file_leaves_no_schema_and_no_ledger(fresh_db, sql_dir):
    sql_dir.write("gamma/0001_bad.sql", "CREATE TABLE t (id int);\nCREATE TABLE t (id int);\n")
    with pytest.raises(MigrationError, match=r"0001_bad\.sql:2: SQLSTATE 42P07"):
        migrate(fresh_db, root=sql_dir.root)
    schemas = {"gamma", "dbkit"} & _schemas(fresh_db)
    assert schemas == set()


def test_runtime_error_names_the_statement_line(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES + "-- a comment\n\nINSERT INTO note VALUES (1, NULL);\n")
    with pytest.raises(MigrationError, match=r"0001_ok\.sql:5: SQLSTATE 23502 \(NotNullViolation\)"):
        migrate(fresh_db, root=sql_dir.root)


def test_changed_checksum_is_refused(fresh_db, sql_dir):
    path = sql_dir.write("alpha/0001_ok.sql", TABLES)
    migrate(fresh_db, root=sql_dir.root)
    path.write_text(TABLES + "-- edited\n")
    sql_dir.write("alpha/0002_next.sql", "CREATE TABLE next_one (id int);")
    with pytest.raises(MigrationError, match=r"0001_ok\.sql was changed after it was applied"):
        migrate(fresh_db, root=sql_dir.root)
    with pytest.raises(MigrationError, match="restore it"):
        plan(fresh_db, root=sql_dir.root)
    assert _scalar(fresh_db, "SELECT to_regclass('alpha.next_one')") is None


def test_plan_and_sql_write_nothing(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    before = _schemas(fresh_db)
    assert [m.name for m in plan(fresh_db, root=sql_dir.root)] == ["0001_ok.sql"]
    text = render(fresh_db, root=sql_dir.root)
    assert f"-- file: {sql_dir.root / 'alpha' / '0001_ok.sql'}" in text
    assert "CREATE TABLE IF NOT EXISTS dbkit.schema_migrations" in text and "BEGIN;" in text
    assert _schemas(fresh_db) == before
    assert "dbkit" not in before


def test_no_transaction_marker_allows_concurrent_index(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write("alpha/0002_index.sql", "-- dbkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_note_body ON note (body);\n")
    migrate(fresh_db, root=sql_dir.root)
    assert _scalar(fresh_db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_note_body'") == 1
    assert len(_ledger(fresh_db)) == 2


def test_without_marker_concurrent_index_fails_cleanly(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES + "CREATE INDEX CONCURRENTLY idx_x ON note (body);\n")
    with pytest.raises(MigrationError, match=r"0001_ok\.sql:3: SQLSTATE 25001"):
        migrate(fresh_db, root=sql_dir.root)
    assert _scalar(fresh_db, "SELECT to_regclass('alpha.note')") is None


def test_dialect_variants_and_names(sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write("alpha/0002_only.sqlite.sql", "SELECT 1;")
    sql_dir.write("alpha/0002_only.postgresql.sql", "SELECT 2;")
    assert [m.name for m in discover(root=sql_dir.root)] == ["0001_ok.sql", "0002_only.postgresql.sql"]
    sql_dir.write("alpha/2_badname.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="2_badname.sql: name does not follow"):
        discover(root=sql_dir.root)


def test_duplicate_version_is_refused(sql_dir):
    sql_dir.write("alpha/0001_a.sql", "SELECT 1;")
    sql_dir.write("alpha/0001_b.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="version 0001 is also"):
        discover(root=sql_dir.root)


def test_unknown_schema_is_named(sql_dir):
    sql_dir.write("alpha/0001_a.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="unknown schema 'nope'; known: alpha"):
        discover(["nope"], root=sql_dir.root)


def test_four_concurrent_runners_apply_each_file_once(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES + "CREATE TABLE applied (file text);\n")
    for n in range(2, 6):
        sql_dir.write(f"alpha/{n:04d}_step.sql", f"SELECT pg_sleep(0.2);\nINSERT INTO applied VALUES ('{n}');\n")
    command = [sys.executable, "-m", "dbkit", "migrate", "--url", fresh_db, "--dir", str(sql_dir.root)]
    runners = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [r.communicate(timeout=120) for r in runners]
    assert [r.returncode for r in runners] == [0, 0, 0, 0], outputs
    applied_lines = sum(out.count("applied  alpha/") for out, _ in outputs)
    assert applied_lines == 5
    assert _scalar(fresh_db, "SELECT count(*) FROM alpha.applied") == 4
    assert _scalar(fresh_db, "SELECT count(DISTINCT file) FROM alpha.applied") == 4
    assert len(_ledger(fresh_db)) == 5


def _schemas(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}


def test_keywords_inside_comments_do_not_confuse_the_splitter(fresh_db, sql_dir):
    sql_dir.write(
        "alpha/0001_ok.sql",
        "-- The runner has run CREATE SCHEMA; and SET LOCAL search_path; it's fine.\n"
        "/* block comment: DROP TABLE note; */\n" + TABLES + "-- CREATE nothing here\nSELECT 1/0;\n",
    )
    with pytest.raises(MigrationError, match=r"0001_ok\.sql:6: SQLSTATE 22012"):
        migrate(fresh_db, root=sql_dir.root)
