"""Any server, as an ordinary user: the managed-PostgreSQL case, on a second embedded cluster of its own.

The kit's role there is what a managed service gives: LOGIN with a password over TCP, CREATEDB and
CREATEROLE, owner of its database, no superuser and no BYPASSRLS; an administrator enabled `vector`.
Migrate, seed, explore, check, diagrams and the app path must all work through that URL.
"""

from __future__ import annotations

import functools
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from conftest import without_durability
from kit_fixtures import cli_process, digests

from dbkit import check, db, diagram, explore, server
from dbkit.errors import UsageError
from dbkit.migrate import migrate
from dbkit.seed import seed

pytestmark = pytest.mark.servers
PASSWORD = "kit-Secret-42"


@pytest.fixture(scope="module", autouse=True)
def hashing():
    """Hashing embeddings: what these tests check is rights, not what the vectors mean (and MiniLM is slow)."""
    from dbkit import embed

    saved = embed.embedder
    embed.embedder = lambda: embed.HashingEmbedder("tests of rights")
    yield
    embed.embedder = saved


@pytest.fixture(scope="module")
def managed():
    parent = Path(tempfile.mkdtemp(prefix="dbkit-managed-"))
    parent.chmod(0o755)
    directory = parent / "pg"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    current = server.up(port=port, directory=directory)
    without_durability(current.url)  # a test cluster: what it writes need not survive a crash
    with psycopg.connect(current.url.replace("/dbkit?", "/postgres?"), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE kit LOGIN PASSWORD '{PASSWORD}' CREATEDB CREATEROLE")
        admin.execute("CREATE DATABASE kitdb OWNER kit")
    with psycopg.connect(current.url.replace("/dbkit?", "/kitdb?"), autocommit=True) as admin:
        admin.execute("CREATE EXTENSION vector")  # what the administrator of a managed server does
    yield f"postgresql://kit:{PASSWORD}@127.0.0.1:{port}/kitdb"
    db.forget()
    server.down(directory)
    subprocess.run(["rm", "-rf", str(parent)], check=False)


def test_the_role_is_ordinary(managed):
    with psycopg.connect(managed) as conn:
        assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False,
            False,
        )


def test_migrate_seed_explore_and_check_as_an_ordinary_user(managed):
    applied = migrate(managed)
    assert len(applied) >= 30
    loaded = seed(managed)
    assert set(loaded) == {"iris", "ibex_core", "orchestrator", "myloware", "syris"} and all(loaded.values())
    assert check.differences(managed) == {s: [] for s in loaded}
    counts = explore.tables("iris", url=managed)
    assert counts["rows"].sum() == loaded["iris"]
    reader = explore.query("SELECT current_user AS role, current_setting('transaction_read_only') AS ro", url=managed).iloc[0]
    assert (reader["role"], reader["ro"]) == ("dbkit_reader", "on")
    assert "erDiagram" in diagram.mermaid("ibex_core", managed)


def test_row_level_security_binds_a_reader_that_may_not_bypass_it(managed):
    """Without BYPASSRLS to hand out, the reader sees what the policies let it see: nothing without an org."""
    migrate(managed)
    org = explore.query("SELECT count(*) AS n FROM ibex_core.memories", url=managed)
    assert int(org["n"].iloc[0]) == 0
    counted = explore.tables("ibex_core", url=managed)  # says so, rather than look like empty tables
    assert "row-level security hides rows of 11 table(s)" in counted.attrs["note"] and "read_past_rls()" in counted._repr_html_()
    org, memories = _first_org()
    scoped = explore.query("SELECT count(*) AS n FROM ibex_core.memories", url=managed, settings={"app.current_org_id": str(org)})
    assert int(scoped["n"].iloc[0]) == memories > 0
    with psycopg.connect(managed) as conn:  # the kit's own role owns the tables, and FORCE binds owners too
        assert conn.execute("SELECT count(*) FROM ibex_core.memories").fetchone()[0] == 0


def test_the_explorer_reads_past_rls_only_when_asked_and_changes_nothing(managed):
    """`explore.read_past_rls()`: the owner's view past FORCE, one parsed read in a rolled-back READ ONLY
    transaction; FORCE stays on for everyone else, and off again the explorer is bound as before."""
    from dbkit.errors import QueryError, ReadOnlyError

    migrate(managed)
    seed(managed, ["ibex"], if_needed=True)
    count = "SELECT count(*) AS n FROM ibex_core.memories"
    total = _total_memories()
    assert explore.read_past_rls(url=managed) is False  # the explorer does not bypass RLS by itself here
    try:
        assert int(explore.query(count, url=managed)["n"].iloc[0]) == total
        counted = explore.tables("ibex_core", url=managed)
        assert counted.set_index("table").loc["memories", "rows"] == total and "note" not in counted.attrs
        with pytest.raises(ReadOnlyError):
            explore.query("DELETE FROM ibex_core.memories", url=managed)
        with pytest.raises(QueryError, match="read-write mode must be set before any query"):  # stays read-only
            explore.query("SELECT set_config('transaction_read_only', 'off', false)", url=managed)
        with psycopg.connect(managed) as other:  # meanwhile nobody else sees FORCE lifted
            assert other.execute("SELECT bool_and(relforcerowsecurity) FROM pg_class c JOIN pg_namespace n "
                                 "ON n.oid = c.relnamespace WHERE nspname = 'ibex_core' AND relkind = 'r'").fetchone() == (True,)  # fmt: skip
            assert other.execute(count).fetchone()[0] == 0
    finally:
        explore.read_past_rls(False, url=managed)
    assert int(explore.query(count, url=managed)["n"].iloc[0]) == 0


def test_a_read_past_rls_is_refused_whatever_a_read_is_refused(managed):
    """Past RLS a read runs as the kit's own role, not dbkit_reader: every attack on the read-only path is tried
    there too, and so is ending the kit's own other sessions, which that role could otherwise do."""
    from test_readonly import MULTI, NOT_READS, REFUSED_BY_THE_SERVER

    from dbkit.errors import QueryError, ReadOnlyError

    migrate(managed)
    seed(managed, ["iris", "syris"], if_needed=True)
    before = digests(managed)
    own = "FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()"
    reaching = [f"SELECT pg_terminate_backend(pid) {own}", f"SELECT pg_cancel_backend(pid) {own}",
                f"SELECT count(*) FROM (SELECT pg_catalog.PG_TERMINATE_BACKEND(pid) {own}) s"]  # fmt: skip
    explore.read_past_rls(url=managed)
    try:
        with psycopg.connect(managed, autocommit=True) as bystander:  # a session of the kit's role, kept alive
            for text in MULTI + NOT_READS:
                with pytest.raises(ReadOnlyError):
                    explore.query(text, url=managed)
            for text in REFUSED_BY_THE_SERVER + reaching:
                with pytest.raises((QueryError, ReadOnlyError)) as caught:
                    explore.query(text, url=managed)
                assert "\n" not in str(caught.value)
            assert bystander.execute("SELECT 1").fetchone() == (1,)
    finally:
        explore.read_past_rls(False, url=managed)
    assert digests(managed) == before


@functools.cache
def _generated() -> dict:
    """IBEX's seed as the kit generates it (deterministic, hashing embeddings): what the server must hold."""
    from dbkit.embed import HashingEmbedder
    from dbkit.seed import SeedContext
    from dbkit.seed.ibex import generate

    return {t.name: t for t in generate(SeedContext("ibex_core", embed=HashingEmbedder().embed))}


def _total_memories() -> int:
    return len(_generated()["memories"].rows)


def _first_org():
    """The first seeded organization and its memory count: the seed is deterministic, so they are known."""
    org = _generated()["organizations"].rows[0]["id"]
    return org, sum(1 for m in _generated()["memories"].rows if m["org_id"] == org)


def test_the_app_and_tenant_roles_log_in_with_derived_passwords(managed):
    import sqlalchemy as sa

    from dbkit.rls import app_engine, org_session, tenant_engine

    migrate(managed)
    seed(managed, ["ibex"], if_needed=True)
    org, memories = _first_org()  # nobody but a BYPASSRLS role may list the organizations here
    for engine in (app_engine(managed), tenant_engine(org, managed)):
        try:
            with org_session(engine, org) as session:
                who = session.execute(sa.text("SELECT session_user")).scalar()
                assert who == "ibex_app" or who.startswith("ibex_org_")
                assert session.execute(sa.text("SELECT count(*) FROM ibex_core.memories")).scalar() == memories
        finally:
            engine.dispose()


def test_the_cli_works_through_the_url_and_never_prints_the_password(managed):
    done = cli_process("status", "--url", managed)
    assert done.code == 0 and "up to date" in done.stdout and PASSWORD not in done.stdout + done.stderr
    bad = cli_process("migrate", "--url", managed.replace(PASSWORD, "wrong"))
    assert bad.code == 1 and len(bad.lines) == 1 and "password authentication failed" in bad.stderr and PASSWORD not in bad.stderr


def test_the_kit_may_act_as_the_roles_it_creates(managed):
    """PostgreSQL 16+ gives a CREATEROLE user no membership in what it creates; the kit asks for it, so the RLS
    matrix can SET ROLE ibex_tenant and the tenants' logins are measured as themselves."""
    from dbkit import rls, rlsmatrix

    migrate(managed)
    seed(managed, ["ibex_core"], if_needed=True)
    explore.query("SELECT 1", url=managed)  # the reader role exists once something was read
    with psycopg.connect(managed) as conn:
        granted = dict(conn.execute(
            "SELECT r.rolname, bool_or(m.set_option AND m.inherit_option) FROM pg_auth_members m "
            "JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
            "GROUP BY 1"
        ).fetchall())  # fmt: skip
    assert granted.get("ibex_tenant") is True and granted.get("ibex_app") is True and granted.get("dbkit_reader") is True
    # agents, not memories: what is measured is who the kit may act as (an UPDATE of memories maintains HNSW)
    matrix = rlsmatrix.compute("ibex_core", managed, logins=rls.tenant_roles(managed), tables=["agents"])
    assert dict(matrix.roles)["ibex_tenant"] == "SET ROLE"
    assert all(c.select == 0 for c in matrix.cells if c.role == "ibex_tenant")  # bound to no organization: nothing
    org, _ = _first_org()
    agents = sum(1 for a in _generated()["agents"].rows if a["org_id"] == org)
    assert max(c.select for c in matrix.cells if c.role == "ibex_app") == agents > 0


def test_the_rls_matrix_changes_no_password_it_was_not_asked_to(managed):
    """Measuring a shared server must not reset an application's password, nor the kit's own."""
    from dbkit import rlsmatrix

    migrate(managed)
    seed(managed, ["ibex_core"], if_needed=True)
    with psycopg.connect(managed, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS someapp")
        conn.execute("CREATE ROLE someapp LOGIN PASSWORD 'app-Secret-7'")
        conn.execute("GRANT USAGE ON SCHEMA ibex_core TO someapp")
        conn.execute("GRANT SELECT ON ibex_core.agents TO someapp")
    # The kit's role is measured as itself; someapp, made by the administrator, is no role it may become or
    # give a password to: one line says so, after the kit's own role was measured
    with pytest.raises(UsageError, match="may not SET ROLE someapp"):
        rlsmatrix.compute("ibex_core", managed, tables=["agents"])
    app_url = managed.replace(f"kit:{PASSWORD}@", "someapp:app-Secret-7@")
    with psycopg.connect(app_url) as app, psycopg.connect(managed) as kit:  # both passwords still work
        assert app.execute("SELECT current_user").fetchone() == ("someapp",)
        assert kit.execute("SELECT current_user").fetchone() == ("kit",)
