"""Append-only means append-only: every way to change or remove a written row, tried on both engines.

syris.audit_events refuses UPDATE, DELETE, TRUNCATE, REPLACE / INSERT OR REPLACE, upserts and MERGE, on
SQLite and, for any role that is not the table's owner, on PostgreSQL; ibex_core.memory_versions is
append-only for the application and tenant roles. New rows still go in.
"""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from psycopg import sql

import dbkit
from dbkit.migrate import migrate

ROW = "INSERT INTO audit_events (id, trace_id, type, outcome) VALUES (1, 't1', 'task.started', 'success')"
SQLITE_ATTACKS = [
    "UPDATE audit_events SET outcome = 'denied'",
    "UPDATE OR REPLACE audit_events SET outcome = 'denied'",
    "DELETE FROM audit_events",
    "INSERT OR REPLACE INTO audit_events (id, trace_id, type, outcome) VALUES (1, 't1', 'forged', 'success')",
    "REPLACE INTO audit_events (id, trace_id, type, outcome) VALUES (1, 't1', 'forged', 'success')",
    "INSERT OR REPLACE INTO audit_events (id, trace_id, type, outcome) SELECT id, trace_id, 'forged', outcome FROM audit_events",
    "INSERT INTO audit_events (id, trace_id, type, outcome) VALUES (1, 't1', 'forged', 'success') "
    "ON CONFLICT (id) DO UPDATE SET type = excluded.type",
]
POSTGRES_ATTACKS = [
    "UPDATE syris.audit_events SET outcome = 'denied'",
    "DELETE FROM syris.audit_events",
    "TRUNCATE syris.audit_events",
    "INSERT INTO syris.audit_events (id, trace_id, type, outcome) VALUES (900001, 't1', 'forged', 'success') "
    "ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type",
    "MERGE INTO syris.audit_events a USING (SELECT 900001 AS id) s ON a.id = s.id WHEN MATCHED THEN UPDATE SET type = 'forged'",
    "MERGE INTO syris.audit_events a USING (SELECT 900001 AS id) s ON a.id = s.id WHEN MATCHED THEN DELETE",
    "ALTER TABLE syris.audit_events DISABLE TRIGGER audit_events_no_update",
    "DROP TRIGGER audit_events_no_delete ON syris.audit_events",
    "SET session_replication_role = replica",
]


@pytest.fixture
def lite(tmp_path):
    from dbkit import sqlite

    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    conn = sqlite.connect(tmp_path / "syris.db")
    conn.execute(ROW)
    yield conn
    conn.close()


@pytest.mark.parametrize("attack", SQLITE_ATTACKS)
def test_sqlite_refuses_every_change_to_a_written_row(lite, attack):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        lite.execute(attack)
    assert lite.execute("SELECT id, trace_id, type, outcome FROM audit_events").fetchall() == [
        (1, "t1", "task.started", "success")
    ]


def test_sqlite_still_appends_even_through_replace(lite):
    lite.execute("INSERT OR REPLACE INTO audit_events (trace_id, type, outcome) VALUES ('t2', 'task.done', 'success')")
    assert lite.execute("SELECT count(*) FROM audit_events").fetchone() == (2,)


def test_sqlite_refuses_a_taken_id_even_from_a_connection_without_the_kits_pragmas(tmp_path, lite):
    """The trigger lives in the file: the sqlite3 module with its defaults (no recursive_triggers) is refused too."""
    plain = sqlite3.connect(tmp_path / "syris.db")
    try:
        for attack in SQLITE_ATTACKS[3:5]:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                plain.execute(attack)
    finally:
        plain.close()


@pytest.fixture(scope="module")
def pg_audit(pg_url):
    """A database of its own (its rows can never be removed), a role that is not the owner but was granted every
    privilege on the table, and one written row."""
    from conftest import create_database, drop_database

    url = create_database()
    migrate(url, ["syris"])
    with dbkit.connect(url) as conn:  # the kit's connection: as a CREATEROLE user it may then SET ROLE to it
        conn.execute("DO $$ BEGIN CREATE ROLE audit_writer NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute("GRANT USAGE ON SCHEMA syris TO audit_writer")
        conn.execute("GRANT ALL ON syris.audit_events TO audit_writer")
        conn.execute(ROW.replace("audit_events", "syris.audit_events").replace("(1,", "(900001,") + " ON CONFLICT DO NOTHING")
    yield url
    from dbkit import db

    db.forget()
    drop_database(url)


@pytest.mark.parametrize("attack", POSTGRES_ATTACKS)
def test_postgres_refuses_every_change_for_a_role_that_is_not_the_owner(pg_audit, attack):
    with psycopg.connect(pg_audit) as conn:
        conn.execute("SET ROLE audit_writer")
        with pytest.raises((psycopg.errors.RestrictViolation, psycopg.errors.InsufficientPrivilege)):
            conn.execute(attack)
        conn.rollback()
        rows = conn.execute("SELECT id, type, outcome FROM syris.audit_events WHERE id = 900001").fetchall()
    assert rows == [(900001, "task.started", "success")]


def test_postgres_still_appends(pg_audit):
    with psycopg.connect(pg_audit) as conn:
        conn.execute("SET ROLE audit_writer")
        conn.execute("INSERT INTO syris.audit_events (trace_id, type, outcome) VALUES ('t2', 'task.done', 'success')")
        conn.execute(
            "INSERT INTO syris.audit_events (id, trace_id, type, outcome) VALUES (900001, 'x', 'y', 'success') ON CONFLICT DO NOTHING"
        )
        assert conn.execute("SELECT count(*) FROM syris.audit_events WHERE trace_id IN ('t1', 't2')").fetchone() == (2,)
        conn.rollback()


@pytest.mark.parametrize("role", ["ibex_app", "ibex_tenant"])
@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE ibex_core.memory_versions SET change_reason = 'x'",
        "DELETE FROM ibex_core.memory_versions",
        "TRUNCATE ibex_core.memory_versions",
        "INSERT INTO ibex_core.memory_versions (id, memory_id, org_id, version_num, operation) "
        "SELECT id, memory_id, org_id, version_num, operation FROM ibex_core.memory_versions "
        "ON CONFLICT (id) DO UPDATE SET change_reason = 'x'",
    ],
)
def test_memory_versions_are_append_only_for_the_application_roles(migrated_db, role, attack):
    with psycopg.connect(migrated_db) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(attack)
