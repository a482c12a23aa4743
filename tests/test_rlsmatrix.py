"""The RLS visibility matrix: IBEX's, on the seeded data, is the committed snapshot; widening a policy fails; any schema works."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from kit_fixtures import without_the_kit
from psycopg import sql

from dbkit import NotFoundError, UsageError, db, rls, rlsmatrix
from dbkit.url import with_user

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "docs" / "rls" / "ibex_core.json"
_REGENERATE = (
    "if the change is meant, regenerate the snapshot on a seeded database: "
    "python -c \"from dbkit import rls, rlsmatrix; rlsmatrix.save(rlsmatrix.compute('ibex_core', "
    "logins=rls.tenant_roles()), 'docs/rls/ibex_core.json')\" and review what it grants"
)


def test_the_matrix_of_the_seeded_data_is_the_committed_snapshot(seeded_clone):
    """Two tables here (the tenants' root, and the append-only history with no UPDATE or DELETE to measure); the
    whole matrix, every table, is compared with the snapshot by notebook 08's test, which computes it anyway
    (each UPDATE of memories maintains its HNSW index: the whole matrix takes seconds)."""
    # ibex_app among the logins: where it needs a password (TCP) the kit may then give it the one it derives,
    # as the app path does, so it is measured logged in as itself, as the snapshot says
    tables = ["organizations", "memory_versions"]
    logins = [rls.APP_ROLE, *rls.tenant_roles(seeded_clone)]
    matrix = without_the_kit(rlsmatrix.compute("ibex_core", seeded_clone, logins=logins, tables=tables), seeded_clone)
    found = rlsmatrix.differences(rlsmatrix.load(SNAPSHOT).only(tables=tables), matrix)
    assert found == [], f"{len(found)} cell(s) changed, first: {found[:3]}; {_REGENERATE}"
    assert len(matrix.cells) == 5 * 4 * len(tables)


def test_the_snapshot_says_what_the_policies_promise():
    matrix = rlsmatrix.load(SNAPSHOT)
    assert matrix.settings == ("app.current_org_id",) and matrix.key == "organizations.id"
    assert [label for label, _ in matrix.orgs] == ["Acme Robotics", "Northwind Labs", "Tinkerbox"]
    assert dict(matrix.roles)["ibex_app"] == "login" and dict(matrix.roles)["ibex_tenant"] == "SET ROLE"
    tenants = {rls.tenant_role(value): label for label, value in matrix.orgs}
    assert set(tenants) <= set(dict(matrix.roles))
    for table in matrix.tables:
        app = {label: matrix.cell("ibex_app", label, table) for label, _ in matrix.orgs}
        assert matrix.cell("ibex_app", None, table).select == 0  # no organization set: nothing
        assert all(c.select > 0 for c in app.values())
        for role, own in tenants.items():
            for label in (None, *app):  # whatever the setting says, a tenant sees exactly its own organization
                assert matrix.cell(role, label, table).select == app[own].select
        assert all(matrix.cell("ibex_tenant", label, table).select == 0 for label in (None, *app))
    versions = matrix.cell("ibex_app", "Acme Robotics", "memory_versions")
    assert versions.update is None and versions.delete is None  # append-only for the application: no such privilege


def test_a_widened_policy_fails_the_comparison(seeded_clone):
    with psycopg.connect(seeded_clone, autocommit=True) as conn:
        conn.execute("CREATE POLICY everyone_reads ON ibex_core.memories FOR SELECT TO ibex_app USING (true)")
    matrix = without_the_kit(
        rlsmatrix.compute("ibex_core", seeded_clone, tables=["memories"], logins=[rls.APP_ROLE]), seeded_clone
    )
    expected = rlsmatrix.load(SNAPSHOT).only(tables=["memories"], roles=["ibex_app", "ibex_tenant"])
    found = rlsmatrix.differences(expected, matrix)
    total = sum(expected.cell("ibex_app", label, "memories").select for label, _ in expected.orgs)
    assert found[0] == f"ibex_app with no organization set, on memories: SELECT {total} rows, the snapshot says 0 (WIDER)"
    assert all("SELECT" in line and line.endswith("(WIDER)") for line in found)  # UPDATE and DELETE stay bound
    assert len(found) == 1 + len(expected.orgs)


@pytest.fixture(scope="module")
def tenants_db(fresh_db_module):
    """Any schema with the setting-based pattern: its own names, its own roles (one logs in, one is a group)."""
    suffix = uuid.uuid4().hex[:8]
    group, login = f"rlsm_group_{suffix}", f"rlsm_login_{suffix}"
    # The kit's connection: a CREATEROLE role that is no superuser then becomes a member of the roles it creates
    with db.database(fresh_db_module).connect() as conn:
        conn.execute(
            sql.SQL(
                """
                CREATE SCHEMA crm;
                CREATE TABLE crm.accounts (code text PRIMARY KEY, name text NOT NULL UNIQUE);
                CREATE TABLE crm.contacts (id int PRIMARY KEY, account text NOT NULL REFERENCES crm.accounts, email text);
                CREATE TABLE crm.audit (id int PRIMARY KEY, account text NOT NULL REFERENCES crm.accounts);
                INSERT INTO crm.accounts VALUES ('a', 'Alpha'), ('b', 'Beta');
                INSERT INTO crm.contacts SELECT n, CASE WHEN n <= 3 THEN 'a' ELSE 'b' END, 'x' FROM generate_series(1, 5) n;
                INSERT INTO crm.audit SELECT n, 'a' FROM generate_series(1, 2) n;
                CREATE FUNCTION crm.no_update() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN RAISE 'audit rows never change'; END $$;
                CREATE TRIGGER audit_frozen BEFORE UPDATE ON crm.audit FOR EACH ROW EXECUTE FUNCTION crm.no_update();
                ALTER TABLE crm.accounts ENABLE ROW LEVEL SECURITY;
                ALTER TABLE crm.contacts ENABLE ROW LEVEL SECURITY;
                ALTER TABLE crm.audit ENABLE ROW LEVEL SECURITY;
                CREATE POLICY mine ON crm.accounts USING (code = current_setting('crm.account', true));
                CREATE POLICY mine ON crm.contacts USING (account = current_setting('crm.account', true));
                CREATE POLICY mine ON crm.audit USING (account = current_setting('crm.account', true));
                CREATE ROLE {group} NOLOGIN;
                CREATE ROLE {login} LOGIN;
                GRANT USAGE ON SCHEMA crm TO {group}, {login};
                GRANT SELECT, UPDATE, DELETE ON crm.accounts, crm.contacts, crm.audit TO {login};
                GRANT SELECT ON crm.contacts TO {group};
                """
            ).format(group=sql.Identifier(group), login=sql.Identifier(login))
        )
    yield fresh_db_module, group, login
    db.forget()
    with psycopg.connect(fresh_db_module, autocommit=True) as conn:
        for role in (group, login):
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture(scope="module")
def fresh_db_module(pg_url):
    from conftest import create_database, drop_database

    url = create_database()
    yield url
    db.forget()
    drop_database(url)


def test_any_schema_roles_settings_and_organizations_come_from_the_catalog(tenants_db):
    url, group, login = tenants_db
    matrix = without_the_kit(rlsmatrix.compute("crm", url), url)
    assert matrix.settings == ("crm.account",) and matrix.key == "accounts.code"
    assert matrix.orgs == (("Alpha", "a"), ("Beta", "b"))  # labelled by the key table's `name`
    # the login role logs in where it can without a password (the embedded socket); elsewhere the kit SETs ROLE
    try:
        psycopg.connect(with_user(url, login, None)).close()
        reached = "login"
    except psycopg.OperationalError:
        reached = "SET ROLE"
    assert dict(without_the_kit(matrix, url).roles) == {group: "SET ROLE", login: reached}
    assert matrix.cell(login, "Alpha", "contacts").row()[3:] == [3, 3, 3]
    assert matrix.cell(login, "Beta", "contacts").row()[3:] == [2, 2, 2]
    assert matrix.cell(login, None, "contacts").row()[3:] == [0, 0, 0]
    assert matrix.cell(login, "Alpha", "audit").row()[3:] == [2, "error P0001", 2]  # the trigger refuses the UPDATE
    assert matrix.cell(group, "Alpha", "contacts").row()[3:] == [3, None, None]  # SELECT only
    assert matrix.cell(group, "Alpha", "accounts").select is None
    frame = matrix.frame()
    assert list(frame.columns) == ["role", "via", "organization", "accounts", "audit", "contacts"]
    assert frame.set_index(["role", "organization"]).loc[(login, "Alpha"), "contacts"] == "3 · 3 · 3"
    with psycopg.connect(url) as conn:  # everything was rolled back
        assert conn.execute("SELECT count(*) FROM crm.contacts").fetchone()[0] == 5


def test_bad_requests_are_one_line_errors(tenants_db, migrated_db):
    url, _, _ = tenants_db
    with pytest.raises(NotFoundError, match="role nosuch does not exist"):
        rlsmatrix.compute("crm", url, logins=["nosuch"])
    with pytest.raises(UsageError, match="has no table with row-level security"):
        rlsmatrix.compute("iris", migrated_db)
    with pytest.raises(NotFoundError, match="has no table 'nope'"):
        rlsmatrix.compute("crm", url, tables=["nope"])


def test_settings_are_parsed_with_postgresql_grammar():
    parse = rlsmatrix.settings_compared
    assert parse("org_id = NULLIF(current_setting('app.current_org_id'::text, true), ''::text)::uuid") == [
        ("org_id", "app.current_org_id")
    ]
    assert parse("(t.owner)::text = current_setting('a.b') OR current_setting('x.on', true) = 'yes'") == [
        ("owner", "a.b"),
        (None, "x.on"),
    ]
    assert parse("org_id = ibex_core.bound_org()") == []
    assert parse("not sql at all ((") == []
