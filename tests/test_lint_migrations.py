"""dbkit lint --migrations: squawk's findings in the kit's format (file:line), and what each pending migration
measurably does on a throwaway copy: its locks, its rewrites (relfilenode), its duration; the copy always dropped."""

from __future__ import annotations

import psycopg
import pytest

from dbkit.errors import MigrationError, UsageError
from dbkit.lint.migrations import lint_migrations
from dbkit.lint.squawk import lint_text
from dbkit.migrate import migrate

ITEMS = """CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, qty integer NOT NULL);
INSERT INTO items (name, qty) SELECT 'item ' || g, g FROM generate_series(1, 2000) g;
"""
PLANTED = {
    "shop/0002_index.sql": "-- an index on a table that already holds rows\nCREATE INDEX items_name_idx ON items (name);\n",
    "shop/0003_volatile_default.sql": "\n\nALTER TABLE items ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
    "shop/0004_type.sql": "ALTER TABLE items ALTER COLUMN qty TYPE bigint;\n",
    "shop/0005_nullable.sql": "ALTER TABLE items ADD COLUMN note text;\n",
}


@pytest.fixture
def shop(fresh_db, sql_dir):
    """A database where shop/0001 (a table of 2,000 rows) is applied and the planted files are pending."""
    sql_dir.write("shop/0001_items.sql", ITEMS)
    migrate(fresh_db, root=sql_dir.root)
    for name, text in PLANTED.items():
        sql_dir.write(name, text)
    return fresh_db, sql_dir


def _copies(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'dbkit_lint_%'")]


def _by_file(report, rule: str) -> list[str]:
    return sorted(report.findings[report.findings["rule"] == rule]["object"])


def test_squawk_findings_come_in_the_kits_format_with_file_and_line(shop, tmp_path):
    url, sql_dir = shop
    report = lint_migrations(url, root=sql_dir.root, measured=False, config=_no_config(tmp_path))
    assert report.pending == report.files == ["shop/0002_index.sql", "shop/0003_volatile_default.sql", "shop/0004_type.sql",
                                              "shop/0005_nullable.sql"]  # fmt: skip
    assert _by_file(report, "require-concurrent-index-creation") == ["shop/0002_index.sql:2"]
    assert _by_file(report, "adding-field-with-default") == ["shop/0003_volatile_default.sql:3"]
    assert _by_file(report, "changing-column-type") == ["shop/0004_type.sql:1"]
    row = report.findings[report.findings["rule"] == "require-concurrent-index-creation"].iloc[0]
    assert row["severity"] == "warning" and row["message"] == "line 2: CREATE INDEX items_name_idx ON items (name);"
    assert "blocked" in row["why"] and "concurrently" in row["fix"].lower()
    assert report.measurements == [] and report.measured_on is None


def test_squawk_lints_what_the_runner_runs_a_sqlite_authored_file_translated():
    from dbkit.translate import sqlite_to_postgres

    written = "CREATE TABLE seen (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  at TIMESTAMP NOT NULL\n);\n"  # syris's conventions
    as_written = {f.rule: f for f in lint_text(written, "x/0001.sql", in_transaction=True)}
    assert as_written["syntax-error"].severity == "error"  # AUTOINCREMENT is not PostgreSQL
    translated = {f.rule for f in lint_text(sqlite_to_postgres(written), "x/0001.sql", in_transaction=True)}
    assert "syntax-error" not in translated and "prefer-timestamp-tz" not in translated
    assert "prefer-timestamp-tz" in {f.rule for f in lint_text("CREATE TABLE t (at timestamp);", "x.sql", in_transaction=True)}


def test_a_sqlite_folder_is_linted_in_its_postgresql_translation(fresh_db, sql_dir, tmp_path):
    sql_dir.write("lite/dbkit.toml", 'dialect = "sqlite"\n')
    sql_dir.write("lite/0001_t.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);\n")
    migrate(fresh_db, root=sql_dir.root)
    sql_dir.write("lite/0002_at.sql", "CREATE TABLE seen (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  at TIMESTAMP\n);\n")
    report = lint_migrations(fresh_db, root=sql_dir.root, config=_no_config(tmp_path))
    assert report.files == ["lite/0002_at.sql"] and "prefer-timestamp-tz" not in set(report.findings["rule"])
    assert report.measurements[0].error is None


def test_a_rewrite_shows_its_relfilenode_change_and_access_exclusive_lock(shop, tmp_path):
    url, sql_dir = shop
    report = lint_migrations(url, root=sql_dir.root, config=_no_config(tmp_path))
    measured = {m.migration: m for m in report.measurements}
    assert set(measured) == set(report.pending) and "its rows included" in report.measured_on

    retype = measured["shop/0004_type.sql"]
    (table,) = [r for r in retype.rewrites if r.kind == "table"]
    assert table.relation == "shop.items"
    assert table.before != table.after and table.rows == 2000
    assert "AccessExclusiveLock" in retype.mode_on(table.relation)
    rewrite = report.findings[report.findings["rule"] == "measured-table-rewrite"]
    assert set(rewrite["object"]) >= {f"shop/0004_type.sql:{table.relation}", f"shop/0003_volatile_default.sql:{table.relation}"}
    assert "2,000 rows" in rewrite.iloc[0]["message"]

    index = measured["shop/0002_index.sql"]
    assert "ShareLock" in index.mode_on(table.relation) and not [r for r in index.rewrites if r.kind == "table"]
    assert any(lock.new and lock.kind == "index" for lock in index.locks)

    nullable = measured["shop/0005_nullable.sql"]
    assert nullable.rewrites == () and "AccessExclusiveLock" in nullable.mode_on(table.relation)
    assert f"shop/0005_nullable.sql:{table.relation}" in set(
        report.findings[report.findings["rule"] == "measured-access-exclusive-lock"]["object"]
    )
    assert all(m.duration_ms is not None and m.duration_ms >= 0 for m in report.measurements)
    assert _copies(url) == []


def test_a_concurrent_index_is_measured_by_sampling_its_locks(shop, tmp_path):
    url, sql_dir = shop
    # Enough rows that the build lasts many samples: an autocommit statement's locks are sampled while it runs.
    sql_dir.write("shop/0006_rows.sql", "INSERT INTO items (name, qty) SELECT 'more', g FROM generate_series(1, 100000) g;\n")
    concurrently = "-- dbkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_qty ON items (qty);\n"
    sql_dir.write("shop/0007_concurrent.sql", concurrently)
    report = lint_migrations(url, root=sql_dir.root, config=_no_config(tmp_path))
    concurrent = next(m for m in report.measurements if m.migration == "shop/0007_concurrent.sql")
    assert concurrent.sampled and concurrent.error is None and concurrent.rewrites == ()
    assert "ShareUpdateExclusiveLock" in concurrent.mode_on("shop.items")


def test_a_migration_that_fails_on_the_rows_is_an_error_and_stops_the_rest(fresh_db, sql_dir, tmp_path, cli):
    sql_dir.write(
        "shop/0001_items.sql", ITEMS + "ALTER TABLE items ADD COLUMN note text;\nUPDATE items SET note = 'x' WHERE id > 1;\n"
    )
    migrate(fresh_db, root=sql_dir.root)
    sql_dir.write("shop/0002_not_null.sql", "SELECT 1;\nALTER TABLE items ALTER COLUMN note SET NOT NULL;\n")
    sql_dir.write("shop/0003_after.sql", "ALTER TABLE items ADD COLUMN later text;\n")
    report = lint_migrations(fresh_db, root=sql_dir.root, config=_no_config(tmp_path))
    failure = report.findings[report.findings["rule"] == "measured-failure"]
    assert list(failure["object"]) == ["shop/0002_not_null.sql"] and failure.iloc[0]["severity"] == "error"
    assert "line 2: SQLSTATE 23502" in failure.iloc[0]["message"]
    assert report.measurements[1].error == "not run: an earlier migration failed on the copy"
    ran = cli("lint", "--migrations", "--url", fresh_db, "--dir", str(sql_dir.root), "--config", str(_no_config(tmp_path)))
    assert ran.code == 1 and "measured: line 2: SQLSTATE 23502" in ran.stdout
    assert _copies(fresh_db) == []


def test_a_busy_target_is_measured_on_an_empty_copy_with_its_migrations_replayed(shop, tmp_path):
    url, sql_dir = shop
    with psycopg.connect(url) as busy:
        busy.execute("SELECT 1")
        report = lint_migrations(url, root=sql_dir.root, config=_no_config(tmp_path))
    assert "applied migration(s) replayed" in report.measured_on and "other sessions" in report.measured_on
    retype = next(m for m in report.measurements if m.migration == "shop/0004_type.sql")
    assert any(r.kind == "table" for r in retype.rewrites)
    assert _copies(url) == []


def test_the_command_prints_static_and_measured_side_by_side(shop, cli, tmp_path):
    url, sql_dir = shop
    args = ["lint", "--migrations", "--url", url, "--dir", str(sql_dir.root), "--config", str(_no_config(tmp_path))]
    ran = cli(*args)
    assert ran.code == 0, ran.stderr  # squawk's findings are warnings
    out = ran.stdout
    assert out.index("shop/0002_index.sql  (pending)") < out.index("require-concurrent-index-creation") < out.index("ShareLock")
    assert "measured: " in out and "rewrote shop.items (table)" in out and "locks held before COMMIT" in out
    assert out.rstrip().endswith("accepted") and "lint --migrations: 4 file(s), 4 pending" in out
    assert cli(*args, "--strict").code == 1
    static = cli(*args, "--no-measure")
    assert "measured:" not in static.stdout and "require-concurrent-index-creation" in static.stdout


def test_accepted_migration_findings_and_stale_ones(shop, cli, tmp_path):
    url, sql_dir = shop
    config = tmp_path / "dbkit-lint.toml"
    config.write_text(
        '[[accept]]\nrule = "require-concurrent-index-creation"\nobject = "shop/0002_index.sql:*"\n'
        'reason = "items is read by a nightly job only"\n\n'
        '[[accept]]\nrule = "changing-column-type"\nobject = "shop/0005_nullable.sql:*"\nreason = "wrong file"\n\n'
        '[[accept]]\nrule = "changing-column-type"\nobject = "other/0001_x.sql:*"\nreason = "not linted here"\n'
    )
    report = lint_migrations(url, root=sql_dir.root, measured=False, config=config)
    accepted = report.findings[report.findings["rule"] == "require-concurrent-index-creation"].iloc[0]
    assert accepted["accepted"] and accepted["reason"] == "items is read by a nightly job only"
    assert list(report.findings[report.findings["rule"] == "stale-acceptance"]["object"]) == ["shop/0005_nullable.sql:*"]


def test_nothing_pending_is_said_and_all_lints_every_file(fresh_db, sql_dir, cli, tmp_path):
    sql_dir.write("shop/0001_items.sql", ITEMS)
    migrate(fresh_db, root=sql_dir.root)
    args = ["lint", "--migrations", "--url", fresh_db, "--dir", str(sql_dir.root), "--config", str(_no_config(tmp_path))]
    ran = cli(*args)
    assert ran.code == 0 and "nothing pending" in ran.stdout
    every = cli(*args, "--all")
    assert "shop/0001_items.sql" in every.stdout and "(pending)" not in every.stdout and "measured:" not in every.stdout


def test_the_five_schemas_have_nothing_pending_on_the_seeded_database(seeded_db, cli):
    ran = cli("lint", "--migrations", "--url", seeded_db)
    assert ran.code == 0 and "nothing pending" in ran.stdout


def test_runner_refusals_come_first_and_sqlite_is_refused(fresh_db, sql_dir, tmp_path):
    sql_dir.write("shop/0001_items.sql", ITEMS)
    migrate(fresh_db, root=sql_dir.root)
    sql_dir.write("shop/0002_commit.sql", "ALTER TABLE items ADD COLUMN x int;\nCOMMIT;\n")
    with pytest.raises(MigrationError, match=r"0002_commit.sql:2: COMMIT would end the transaction"):
        lint_migrations(fresh_db, root=sql_dir.root, config=_no_config(tmp_path))
    with pytest.raises(UsageError, match="measured on PostgreSQL"):
        lint_migrations(f"sqlite:///{tmp_path / 'x.db'}")


def _no_config(tmp_path) -> object:
    path = tmp_path / "empty-lint.toml"
    path.write_text("[settings]\nevidence = []\n")
    return path


def test_a_missing_squawk_binary_is_one_line_saying_how_to_install_it(monkeypatch, tmp_path):
    from dbkit.errors import ConfigError
    from dbkit.lint import squawk

    monkeypatch.setattr(squawk.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="squawk is not installed .*squawk-cli"):
        squawk.lint_text("SELECT 1;", "x.sql", in_transaction=True)


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        ("ALTER TABLE items ALTER COLUMN name SET NOT NULL;", "adding-not-nullable-field"),
        ("ALTER TABLE items ADD CONSTRAINT items_fk FOREIGN KEY (x) REFERENCES other (id);", "adding-foreign-key-constraint"),
        ("ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty > 0);", "constraint-missing-not-valid"),
        ("ALTER TABLE items RENAME COLUMN name TO title;", "renaming-column"),
        ("ALTER TABLE items DROP COLUMN name;", "ban-drop-column"),
        ("ALTER TABLE items ADD COLUMN note text;", "require-lock-timeout"),
    ],
)
def test_squawks_rules_arrive_with_their_line_why_and_fix(statement, rule):
    found = {f.rule: f for f in lint_text(f"-- planted\n{statement}\n", "shop/0009_x.sql", in_transaction=True)}
    assert rule in found, sorted(found)
    finding = found[rule]
    assert finding.object == "shop/0009_x.sql:2" and finding.message == f"line 2: {statement}"
    assert finding.why and finding.fix and finding.severity == "warning"
