"""The migration runner on throwaway folders: order, ledger, atomicity, checksums, locking, read-only modes."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from datetime import UTC
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    sql_dir.write(
        "alpha/0002_bad.sql",
        "CREATE TABLE half (id int);\n\nINSERT INTO note VALUES (1, 'x');\nSELECT *\n  FROM missing_table;\n",
    )
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
    sql_dir.write(
        "alpha/0002_index.sql", "-- dbkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_note_body ON note (body);\n"
    )
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
    with pytest.raises(MigrationError, match="2_badname.sql: looks like a migration but its name does not follow"):
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


@pytest.mark.parametrize(
    ("statement", "word"),
    [("BEGIN;", "BEGIN"), ("COMMIT;", "COMMIT"), ("END;", "END"), ("ROLLBACK;", "ROLLBACK"), ("SAVEPOINT s;", "SAVEPOINT s"),
     ("START TRANSACTION;", "START TRANSACTION"), ("RELEASE SAVEPOINT s;", "RELEASE SAVEPOINT"), ("commit work;", "commit work")],
)  # fmt: skip
def test_transaction_control_is_refused_before_anything_runs(fresh_db, sql_dir, statement, word):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write(
        "alpha/0002_own_transaction.sql", f"CREATE TABLE half (id int);\n{statement}\nINSERT INTO note VALUES (1, 'x');\n"
    )
    with pytest.raises(MigrationError, match=rf"0002_own_transaction\.sql:2: {word}.* would end the transaction") as caught:
        migrate(fresh_db, root=sql_dir.root)
    assert "-- dbkit:no-transaction" in str(caught.value)
    assert _schemas(fresh_db) & {"alpha", "dbkit"} == set()  # not even 0001 ran


def test_transaction_words_inside_strings_bodies_and_comments_are_not_control(fresh_db, sql_dir):
    sql_dir.write(
        "alpha/0001_ok.sql",
        "-- COMMIT; is a word here\n/* ROLLBACK; */\nCREATE TABLE t (note text DEFAULT 'BEGIN; COMMIT;');\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n",
    )
    assert [m.name for m in migrate(fresh_db, root=sql_dir.root)] == ["0001_ok.sql"]


def test_a_no_transaction_file_may_manage_its_own(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_own.sql", "-- dbkit:no-transaction\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n")
    assert len(migrate(fresh_db, root=sql_dir.root)) == 1
    assert _scalar(fresh_db, "SELECT to_regclass('alpha.t') IS NOT NULL")


def test_a_syntax_error_anywhere_stops_the_run_before_it_starts(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write("alpha/0002_bad.sql", "-- ünïcödé comment first\nCREATE TABLE b (id int);\nSELEC 1;\n")
    with pytest.raises(
        MigrationError, match=r"0002_bad\.sql:3: SQLSTATE 42601 \(SyntaxError\): syntax error at or near \"SELEC\""
    ):
        migrate(fresh_db, root=sql_dir.root)
    assert "alpha" not in _schemas(fresh_db)


@pytest.mark.parametrize(
    "name", ["0003_upper.SQL", "0003_text.sql.txt", "0003_backup.sql.bak", "0003-dash.sql", "3_short.sql", "0003_Upper.sql"]
)
def test_files_that_look_like_migrations_are_reported_not_skipped(sql_dir, name):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write(f"alpha/{name}", "SELECT 1;")
    with pytest.raises(MigrationError, match=rf"{re.escape(name)}: looks like a migration"):
        discover(root=sql_dir.root)


def test_other_files_in_a_folder_are_fine(sql_dir):
    sql_dir.write("alpha/0001_ok.sql", TABLES)
    sql_dir.write("alpha/README.md", "notes")
    sql_dir.write("alpha/dbkit.toml", 'title = "Alpha"')
    assert [m.name for m in discover(root=sql_dir.root)] == ["0001_ok.sql"]


def test_an_empty_folder_says_so(sql_dir, tmp_path):
    (sql_dir.root / "alpha").mkdir()
    with pytest.raises(MigrationError, match="alpha holds no migration files"):
        discover(root=sql_dir.root)
    with pytest.raises(MigrationError, match="no schema folders in"):
        discover(root=tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else None)


def test_a_folder_of_loose_files_points_at_its_parent(sql_dir):
    path = sql_dir.write("alpha/0001_ok.sql", TABLES)
    with pytest.raises(MigrationError, match="holds 0001_ok.sql directly: pass its parent folder"):
        discover(root=path.parent)


def test_a_file_that_is_not_utf8_is_named_with_its_line(fresh_db, sql_dir):
    sql_dir.write("alpha/0001_latin1.sql", "CREATE TABLE t (id int);\n-- caf\xe9\n".encode("latin-1"))
    with pytest.raises(MigrationError, match=r"0001_latin1\.sql:2: not UTF-8 \(byte 0xe9 at offset 31\); save the file as UTF-8"):
        migrate(fresh_db, root=sql_dir.root)


def test_reads_on_a_missing_sqlite_file_create_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    assert [m.name for m in plan(url)][:1] == ["0001_events.sql"]
    render(url)
    assert not (tmp_path / "typo.db").exists()


def test_a_sqlite_file_in_a_missing_folder_is_one_line(tmp_path):
    with pytest.raises(Exception, match=r"folder .*nowhere does not exist; create it"):
        migrate(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")


# Properties of the runner's rules, over generated folders: order, and what a changed byte means.
_slugs = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12).filter(lambda s: not s.endswith("_"))


@given(
    folders=st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
        st.dictionaries(st.integers(min_value=0, max_value=9999), _slugs, min_size=1, max_size=12),
        min_size=1,
        max_size=4,
    ),
    seed=st.randoms(),
)
@settings(max_examples=60, deadline=None)
def test_discovery_orders_folders_by_name_and_versions_as_integers(folders, seed):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = [(folder, version, slug) for folder, versions in folders.items() for version, slug in versions.items()]
        seed.shuffle(files)  # the order files are created in (and the file system lists them) must not matter
        for folder, version, slug in files:
            (root / folder).mkdir(exist_ok=True)
            (root / folder / f"{version:04d}_{slug}.sql").write_text(f"SELECT {version};")
        found = [(m.folder.folder, m.version) for m in discover(root=root)]
    assert found == sorted((f, v) for f, versions in folders.items() for v in versions)


@given(content=st.binary(min_size=1, max_size=400), flip=st.integers(min_value=0), applied=st.booleans())
@settings(max_examples=80, deadline=None)
def test_any_changed_byte_of_an_applied_file_is_refused(content, flip, applied):
    from datetime import datetime

    from dbkit._targets import Ledger, LedgerRow
    from dbkit.migrate import _pending

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alpha" / "0001_a.sql"
        path.parent.mkdir()
        path.write_bytes(content)
        (migration,) = discover(root=Path(tmp))
        ledger = Ledger(True, {("alpha", 1): LedgerRow("0001_a.sql", migration.checksum, datetime.now(UTC))} if applied else {})

        assert _pending("db", [migration], ledger) == ([] if applied else [migration])
        changed = bytearray(content)
        changed[flip % len(changed)] ^= 0x01
        path.write_bytes(bytes(changed))
        (edited,) = discover(root=Path(tmp))
        if applied:
            with pytest.raises(MigrationError, match="was changed after it was applied"):
                _pending("db", [edited], ledger)
        else:
            assert _pending("db", [edited], ledger) == [edited]


def test_a_transactional_file_goes_to_the_server_in_one_round_trip(fresh_db, sql_dir, monkeypatch):
    """Forty statements, one query: the whole file in one multi-statement execute, inside the file's transaction."""
    body = TABLES + "".join(f"INSERT INTO note VALUES ({i}, 'n{i}');\n" for i in range(40))
    sql_dir.write("alpha/0001_many.sql", body)
    sent: list[str] = []
    original = psycopg.Connection.execute

    def counted(self, query, *args, **kwargs):
        sent.append(query if isinstance(query, str) else query.as_string(self))
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    migrate(fresh_db, root=sql_dir.root)
    monkeypatch.undo()
    assert sum("INSERT INTO note" in q for q in sent) == 1 and body in sent
    assert _scalar(fresh_db, "SELECT count(*) FROM alpha.note") == 40


def test_a_failure_late_in_a_file_names_its_line_and_leaves_nothing(fresh_db, sql_dir):
    """No error position at run time (a unique violation): the replay in a rolled-back transaction finds the line."""
    sql_dir.write("alpha/0001_ok.sql", TABLES + "INSERT INTO note VALUES (1, 'a');\n\n\nINSERT INTO note VALUES (1, 'b');\n")
    with pytest.raises(MigrationError, match=r"0001_ok\.sql:6: SQLSTATE 23505 \(UniqueViolation\).*nothing from this file"):
        migrate(fresh_db, root=sql_dir.root)
    assert {"alpha", "dbkit"} & _schemas(fresh_db) == set()


def test_the_ledger_read_through_psql_is_the_ledger(embedded_migrated_db):
    """`dbkit status` reads the embedded server's ledger with its psql (no psycopg import): the same rows."""
    from dbkit._targets import PostgresTarget, socket_ledger
    from dbkit.url import resolve

    through_psql = socket_ledger(resolve(embedded_migrated_db))
    target = PostgresTarget(resolve(embedded_migrated_db), write=False)
    try:
        through_psycopg = target.ledger()
    finally:
        target.close()
    assert through_psql is not None and through_psql.exists and len(through_psql.rows) >= 30
    assert {k: (r.name, r.checksum) for k, r in through_psql.rows.items()} == {
        k: (r.name, r.checksum) for k, r in through_psycopg.rows.items()
    }
    assert all(
        abs((through_psql.rows[k].applied_at - r.applied_at).total_seconds()) < 1e-3 for k, r in through_psycopg.rows.items()
    )
    assert socket_ledger(resolve("postgresql://kit@127.0.0.1:1/db")) is None  # TCP: psycopg's path (SSL, its messages)
