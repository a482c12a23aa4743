"""Read-only is enforced, not requested: every way a careless or hostile statement could write, tried.

The exploring helpers (explore.query, explore.explain, the widgets, describe and everything that reads
the catalog) share one path: one statement, parsed first; a READ ONLY transaction that is rolled back;
`DISCARD ALL` after it; as `dbkit_reader`, which holds no superuser power. Each attack below must be
refused and leave the data exactly as it was.
"""

from __future__ import annotations

import psycopg
import pytest
from kit_fixtures import row_versions

from dbkit import QueryError, ReadOnlyError, db, explore, roles

# Text that would write if it reached the server in a writable transaction, or as a superuser.
MULTI = [
    "COMMIT; INSERT INTO iris.councils (domain, sprites, gate_agents) VALUES ('x', '[]', '[]')",
    "ROLLBACK; CREATE TABLE iris.planted (i int)",
    "SELECT 1; COMMIT; DELETE FROM iris.chains",
    "SELECT 1;; DROP TABLE iris.chains",
    "/* a comment; */ SELECT 1; END; TRUNCATE iris.chains",
]
NOT_READS = [
    "COMMIT",
    "ROLLBACK",
    "END",
    "BEGIN",
    "SAVEPOINT s",
    "INSERT INTO iris.councils (domain, sprites, gate_agents) VALUES ('x', '[]', '[]')",
    "UPDATE iris.sprites SET protected = true",
    "DELETE FROM iris.chains",
    "MERGE INTO iris.sprites s USING iris.sprites t ON s.id = t.id WHEN MATCHED THEN DELETE",
    "TRUNCATE iris.chains",
    "CREATE TABLE iris.planted (i int)",
    "DROP TABLE iris.chains",
    "ALTER TABLE iris.chains ADD COLUMN planted int",
    "GRANT ALL ON iris.chains TO PUBLIC",
    "COPY iris.chains FROM STDIN",
    "COPY (SELECT 1) TO PROGRAM 'id > /tmp/dbkit-planted.txt'",
    "COPY (SELECT 1) TO '/tmp/dbkit-planted.txt'",
    "DO $$ BEGIN DELETE FROM iris.chains; END $$",
    "CALL no_such_procedure()",
    "SET ROLE postgres",
    "RESET ROLE",
    "SET SESSION AUTHORIZATION postgres",
    "SET default_transaction_read_only = off",
    "LISTEN planted",
    "NOTIFY planted",
    "VACUUM iris.chains",
    "PREPARE p AS DELETE FROM iris.chains",
    "SELECT * INTO iris.planted FROM iris.chains",
    "LOCK TABLE iris.chains",
]
# Single reads the server itself must refuse, since the reader may not do what they ask.
REFUSED_BY_THE_SERVER = [
    "WITH gone AS (DELETE FROM iris.chains RETURNING 1) SELECT count(*) FROM gone",
    "EXPLAIN ANALYZE DELETE FROM iris.chains",
    "SELECT nextval(pg_get_serial_sequence('syris.events', 'id'))",
    "SELECT set_config('role', 'postgres', false)",
    "SELECT set_config('transaction_read_only', 'off', false)",
    "SELECT set_config('session_authorization', 'postgres', false)",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_ls_dir('.')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT pg_reload_conf()",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'postgres'",
]


WRITES = [
    "INSERT INTO t.rows VALUES (4, 'four')",
    "UPDATE t.rows SET name = name WHERE id = 2",  # the same value: still a write
    "DELETE FROM t.rows WHERE id = 3",
    "ALTER TABLE t.rows ADD COLUMN planted int",  # no row is rewritten
    "ALTER TABLE t.rows ALTER COLUMN name TYPE varchar(20)",
    "TRUNCATE t.rows; INSERT INTO t.rows VALUES (1, 'one'), (2, 'two'), (3, 'three')",  # the same rows again
    "CREATE TABLE t.planted (i int)",
]
NOT_WRITES = ["SELECT * FROM t.rows", "VACUUM (FREEZE, ANALYZE) t.rows", "CREATE INDEX ON t.rows (name)",
              "BEGIN; DELETE FROM t.rows; ROLLBACK"]  # fmt: skip


@pytest.mark.parametrize("text", WRITES + NOT_WRITES)
def test_the_check_that_nothing_was_written_sees_every_write(fresh_db, text):
    """What the attacks below are judged by: `row_versions` must change with any write, and only with one."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA t; CREATE TABLE t.rows (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO t.rows VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        first = row_versions(fresh_db, ["t"])
        conn.execute(text)
    assert (row_versions(fresh_db, ["t"]) != first) is (text in WRITES)


@pytest.fixture(scope="module")
def before(seeded_clone):
    return row_versions(seeded_clone)


@pytest.mark.parametrize("text", MULTI)
def test_more_than_one_statement_is_refused_before_anything_is_sent(seeded_clone, before, text):
    with pytest.raises(ReadOnlyError, match="read-only helpers run exactly one"):
        explore.query(text, url=seeded_clone)
    with pytest.raises(ReadOnlyError):
        explore.explain(text, url=seeded_clone)
    assert row_versions(seeded_clone) == before


@pytest.mark.parametrize("text", NOT_READS)
def test_a_statement_that_is_not_a_read_is_refused_before_it_runs(seeded_clone, before, text):
    with pytest.raises(ReadOnlyError, match="is not a read") as caught:
        explore.query(text, url=seeded_clone)
    assert "\n" not in str(caught.value) and "explore.write()" in str(caught.value)
    assert row_versions(seeded_clone) == before


@pytest.mark.parametrize("text", REFUSED_BY_THE_SERVER)
def test_reads_that_would_write_or_reach_the_server_are_refused_by_it(seeded_clone, before, text):
    with pytest.raises(QueryError, match=r"SQLSTATE (25006|42501|0A000|55000|25001)") as caught:
        explore.query(text, url=seeded_clone)
    assert "\n" not in str(caught.value)
    assert row_versions(seeded_clone) == before


def test_the_reader_holds_no_superuser_power(seeded_clone):
    row = (
        explore.query(
            "SELECT current_user AS role, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,"
            " pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') AS program,"
            " pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') AS read_files,"
            " pg_has_role(current_user, 'pg_write_server_files', 'MEMBER') AS write_files,"
            " pg_has_role(current_user, 'pg_read_all_data', 'MEMBER') AS reads_all,"
            " current_setting('transaction_read_only') AS read_only"
            " FROM pg_roles r WHERE r.rolname = current_user",
            url=seeded_clone,
        )
        .iloc[0]
        .to_dict()
    )
    with psycopg.connect(seeded_clone) as conn:  # pg_read_all_data is the kit's to give only with ADMIN on it
        may_grant = conn.execute(
            "SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_data', 'USAGE WITH ADMIN OPTION') "
            "FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]
    assert row == {
        "role": roles.READER, "rolsuper": False, "rolcreaterole": False, "rolcreatedb": False, "rolreplication": False,
        "program": False, "read_files": False, "write_files": False, "reads_all": may_grant, "read_only": "on",
    }  # fmt: skip
    if not may_grant:  # then it holds SELECT on what the kit's role owns: every seeded table
        assert len(explore.query("SELECT * FROM iris.sprites", url=seeded_clone)) > 0


def test_nothing_a_read_sets_outlives_it(seeded_clone):
    """A session-level setting, an advisory lock, a prepared plan: DISCARD ALL ends them with the call."""
    explore.query("SELECT set_config('statement_timeout', '1ms', false), pg_advisory_lock(4242)", url=seeded_clone)
    after = explore.query(
        "SELECT current_setting('statement_timeout') AS timeout,"
        " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks",
        url=seeded_clone,
    ).iloc[0]
    assert after["timeout"] == "0" and after["locks"] == 0
    with psycopg.connect(seeded_clone) as conn:  # and nobody else waits behind it
        assert conn.execute("SELECT pg_try_advisory_lock(4242)").fetchone()[0] is True


@pytest.mark.parametrize("name", ["role", "transaction_read_only", "session_authorization", "search_path"])
def test_settings_that_are_walls_cannot_be_changed(seeded_clone, name):
    with pytest.raises(ReadOnlyError, match=f"setting {name} is not allowed"):
        explore.query("SELECT 1", url=seeded_clone, settings={name: "postgres"})


def test_placeholders_are_parsed_as_the_server_sees_them(seeded_clone):
    frame = explore.query("SELECT %(a)s::int + %(b)s::int AS n, '100%%' AS pct", {"a": 1, "b": 2}, url=seeded_clone)
    assert frame.to_dict("records") == [{"n": 3, "pct": "100%"}]
    with pytest.raises(ReadOnlyError, match="exactly one"):
        explore.query("SELECT %s; DELETE FROM iris.chains", [1], url=seeded_clone)


def test_writing_is_a_separate_explicit_call(seeded_clone):
    inserted = explore.write(
        "INSERT INTO iris.councils (domain, sprites, gate_agents) VALUES (%s, '[]', '[]') RETURNING domain",
        ["written-on-purpose"],
        url=seeded_clone,
    )
    assert list(inserted["domain"]) == ["written-on-purpose"]
    assert explore.write("DELETE FROM iris.councils WHERE domain = %s", ["written-on-purpose"], url=seeded_clone) == 1
    with pytest.raises(Exception, match="exactly one statement"):
        explore.write("DELETE FROM iris.councils; DELETE FROM iris.sprites", url=seeded_clone)


def test_one_reader_connection_is_reused(seeded_clone):
    explore.query("SELECT 1", url=seeded_clone)
    first = db.database(seeded_clone)._reader
    explore.tables("iris", url=seeded_clone)
    explore.columns("iris", "sprites", url=seeded_clone)
    assert db.database(seeded_clone)._reader is first and not first.closed


def test_sqlite_reads_are_read_only_too(tmp_path):
    from dbkit.migrate import migrate

    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    assert list(explore.query("SELECT count(*) AS n FROM events", url=url)["n"]) == [0]
    for text in ("DELETE FROM events", "SELECT 1; DELETE FROM events", "PRAGMA query_only = OFF", "ATTACH DATABASE 'x.db' AS x"):
        with pytest.raises(ReadOnlyError):
            explore.query(text, url=url)
    missing = f"sqlite:///{tmp_path / 'typo.db'}"
    with pytest.raises(Exception, match="no SQLite file at"):
        explore.query("SELECT 1", url=missing)
    assert not (tmp_path / "typo.db").exists()
