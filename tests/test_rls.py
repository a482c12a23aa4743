"""Row-level security of ibex_core on the app path, against a real PostgreSQL.

The app logs in AS ibex_app (no SET ROLE from a superuser to escape from); the hardened variant logs in
as a per-organization role bound to its organization. Two organizations, A and B, each with a row in
every table, live in a database of this module's own; each table is tried through SELECT, INSERT,
UPDATE ... RETURNING, DELETE and COPY.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from kit_fixtures import bypasses_rls, owner_conn
from psycopg import sql
from psycopg.errors import InsufficientPrivilege
from psycopg.types.json import Jsonb
from sqlalchemy.orm import sessionmaker

import dbkit
from dbkit import roles
from dbkit.db import past_forced_rls
from dbkit.migrate import migrate
from dbkit.models.ibex import Agent, Memory, MemoryCategory, MemoryStatus, Organization
from dbkit.repository import AsyncBaseRepository, AsyncMemoryRepository, BaseRepository, MemoryRepository
from dbkit.rls import (
    APP_ROLE,
    RLSContextError,
    app_engine,
    async_app_engine,
    async_org_session,
    org_session,
    scope_session,
    tenant_engine,
    tenant_role,
)

TABLES = [
    "organizations", "users", "agents", "tokens", "directives", "sessions", "checkpoints",
    "memories", "memory_versions", "memory_relationships", "memory_tags",
]  # fmt: skip
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def vec(*weights: float) -> list[float]:
    return [*weights, *[0.0] * (384 - len(weights))]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _insert(conn, table: str, row: dict) -> uuid.UUID | None:
    values = [Jsonb(v) if isinstance(v, dict) else str(v) if isinstance(v, list) else v for v in row.values()]
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
        sql.Identifier("ibex_core", table),
        sql.SQL(", ").join(map(sql.Identifier, row)),
        sql.SQL(", ").join(sql.Placeholder() * len(row)),
    )
    return conn.execute(query, values).fetchone()[0]


def _row(table: str, w: dict, org: uuid.UUID) -> dict:
    """A fresh valid row of `table` in organization `org`, hanging off the parents in `w`."""
    u = uuid.uuid4().hex[:8]
    rows = {
        "organizations": lambda: {"id": org, "name": "Org", "slug": f"org-{u}"},
        "users": lambda: {"org_id": org, "email": f"u-{u}@example.com", "name": "U"},
        "agents": lambda: {"org_id": org, "name": "A", "slug": f"agent-{u}"},
        "tokens": lambda: {"org_id": org, "type": "org_token", "hash": sha(u), "prefix": "ibx_", "name": "t", "permissions": 1},
        "directives": lambda: {"org_id": org, "name": f"d-{u}", "content": "c", "content_hash": sha("c"), "version_number": 1},
        "sessions": lambda: {"org_id": org, "agent_id": w["agents"]},
        "checkpoints": lambda: {"session_id": w["sessions"], "org_id": org, "sequence_number": 1, "state": {},
                                "state_hash": sha("{}"), "state_size_bytes": 2},
        "memories": lambda: {"org_id": org, "agent_id": w["agents"], "content": f"m {u}", "content_hash": sha(u),
                             "embedding": vec(1.0), "category": "factual"},
        "memory_versions": lambda: {"memory_id": w["memories"], "org_id": org, "version_num": 1, "operation": "created"},
        "memory_relationships": lambda: {"org_id": org, "source_memory_id": w["memories"], "target_memory_id": w["memory2"],
                                         "relationship_type": "derived_from"},
        "memory_tags": lambda: {"memory_id": w["memories"], "org_id": org, "tag": f"t-{u}"},
    }  # fmt: skip
    return rows[table]()


def _world(conn) -> dict:
    """One committed row in every table of a new organization; returns the ids by table."""
    org = uuid.uuid4()
    w: dict = {"org": org}
    for table in TABLES:
        if table == "memory_versions":
            w["memory2"] = _insert(conn, "memories", _row("memories", w, org))
        w[table] = _insert(conn, table, _row(table, w, org))
    return w


def _scope(table: str) -> str:
    return "id" if table == "organizations" else "org_id"


@pytest.fixture(scope="module")
def ibex_db(pg_url):
    from conftest import create_database, drop_database

    url = create_database()
    migrate(url, ["ibex"])
    yield url
    dbkit.db.forget()
    drop_database(url)


@pytest.fixture(scope="module")
def orgs(ibex_db):
    # Written as the owner past forced policies (a no-op for a superuser), FORCE back before the commit
    with psycopg.connect(ibex_db, autocommit=True) as conn, conn.transaction(), past_forced_rls(conn, ["ibex_core"]):
        return {"A": _world(conn), "B": _world(conn)}


@pytest.fixture(scope="module")
def app_url(ibex_db):
    from dbkit.rls import _login

    dbkit.explore.query("SELECT 1", url=ibex_db)  # the reader exists too: a role the app must not switch to
    return _login(ibex_db, APP_ROLE)


@pytest.fixture
def as_app(app_url):
    """`as_app(org)`: a psycopg connection logged in as ibex_app, in a transaction scoped to `org` (rolled back)."""
    opened = []

    def connect(org: uuid.UUID) -> psycopg.Connection:
        conn = psycopg.connect(app_url)
        conn.execute("SELECT set_config('app.current_org_id', %s, true)", [str(org)])
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


@pytest.fixture(scope="module")
def tenant_urls(ibex_db, orgs):
    """A login role bound to each organization (the hardened variant)."""
    urls = {}
    for name in ("A", "B"):
        engine = tenant_engine(orgs[name]["org"], ibex_db)
        urls[name] = engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
        engine.dispose()
    return urls


# -- the roles ---------------------------------------------------------------------------------


def test_the_app_logs_in_as_an_ordinary_role_that_belongs_to_no_other(ibex_db, as_app, orgs):
    with as_app(orgs["A"]["org"]) as conn:
        row = conn.execute(
            "SELECT session_user, current_user, rolsuper, rolbypassrls, rolcanlogin,"
            " (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)"
            " FROM pg_roles r WHERE rolname = current_user"
        ).fetchone()
    assert row == (APP_ROLE, APP_ROLE, False, False, True, 0)


def test_every_table_has_forced_rls_with_the_seeds_policy_and_the_tenant_pair(ibex_db):
    with psycopg.connect(ibex_db) as conn:
        rows = conn.execute("""
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   array_agg(p.polname::text || ':' || p.polpermissive::text ORDER BY p.polname)
            FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid
            WHERE c.relnamespace = 'ibex_core'::regnamespace AND c.relkind = 'r' GROUP BY 1, 2, 3 ORDER BY 1
        """).fetchall()
    assert rows == [
        (t, True, True, [f"{t}_org_isolation:true", f"{t}_tenant:true", f"{t}_tenant_only:false"]) for t in sorted(TABLES)
    ]


# -- isolation through every statement, for every table, as the app -----------------------------


@pytest.mark.parametrize("table", TABLES)
def test_select_sees_only_the_current_org(as_app, orgs, table):
    with as_app(orgs["A"]["org"]) as conn:
        rows = conn.execute(
            sql.SQL("SELECT {} FROM {}").format(sql.Identifier(_scope(table)), sql.Identifier("ibex_core", table))
        )
        assert {r[0] for r in rows} == {orgs["A"]["org"]}


@pytest.mark.parametrize("table", TABLES)
def test_insert_into_another_org_is_refused(as_app, orgs, table):
    b = orgs["B"]
    row = _row(table, b, uuid.uuid4() if table == "organizations" else b["org"])
    with as_app(orgs["A"]["org"]) as conn, pytest.raises(InsufficientPrivilege, match="row-level security"):
        _insert(conn, table, row)


@pytest.mark.parametrize("table", [t for t in TABLES if t != "memory_versions"])
def test_update_returning_touches_only_own_rows_and_cannot_move_them(as_app, orgs, table):
    scope = sql.Identifier(_scope(table))
    target = sql.Identifier("ibex_core", table)
    with as_app(orgs["A"]["org"]) as conn:
        touched = conn.execute(sql.SQL("UPDATE {} SET {} = {} RETURNING {}").format(target, scope, scope, scope)).fetchall()
        assert {r[0] for r in touched} == {orgs["A"]["org"]}
        other = uuid.uuid4() if table == "organizations" else orgs["B"]["org"]
        with pytest.raises(InsufficientPrivilege, match="row-level security"):
            conn.execute(sql.SQL("UPDATE {} SET {} = %s").format(target, scope), [other])


@pytest.mark.parametrize("table", [t for t in TABLES if t != "memory_versions"])
def test_delete_cannot_reach_another_orgs_rows(as_app, orgs, ibex_db, table):
    target = sql.Identifier("ibex_core", table)
    with as_app(orgs["A"]["org"]) as conn:
        gone = conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = %s").format(target, sql.Identifier(_scope(table))), [orgs["B"]["org"]]
        )
        assert gone.rowcount == 0
        conn.rollback()
    with owner_conn(ibex_db) as conn:
        assert conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(target, sql.Identifier(_scope(table))),
                            [orgs["B"]["org"]]).fetchone()[0] >= 1  # fmt: skip


@pytest.mark.parametrize("table", TABLES)
def test_copy_out_holds_only_own_rows_and_copy_in_is_refused(as_app, orgs, table):
    target = sql.Identifier("ibex_core", table)
    with as_app(orgs["A"]["org"]) as conn:
        out = io.BytesIO()
        with conn.cursor().copy(sql.SQL("COPY {} ({}) TO STDOUT").format(target, sql.Identifier(_scope(table)))) as copy:
            for block in copy:
                out.write(block)
        assert set(out.getvalue().decode().split()) == {str(orgs["A"]["org"])}
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="row-level security"):
            with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(target)):
                pass


# -- what the app cannot escape, and what it can (the seed's pattern) ------------------------------


@pytest.mark.parametrize("escape", ["RESET ROLE", "SET ROLE postgres", "SELECT set_config('role', 'postgres', false)",
                                    "SET SESSION AUTHORIZATION postgres", "SET ROLE dbkit_reader"])  # fmt: skip
def test_no_role_switch_leads_out_of_row_level_security(ibex_db, app_url, orgs, escape):
    engine = app_engine(ibex_db)
    try:
        with org_session(engine, orgs["A"]["org"]) as session:
            try:
                session.execute(sa.text(escape))
            except sa.exc.ProgrammingError as exc:
                assert isinstance(exc.orig, InsufficientPrivilege)
                return
            assert session.execute(sa.text("SELECT current_user")).scalar() == APP_ROLE
            assert {o for (o,) in session.execute(sa.text("SELECT org_id FROM ibex_core.memories"))} == {orgs["A"]["org"]}
    finally:
        engine.dispose()


def test_the_seeds_pattern_lets_application_code_choose_another_org(as_app, orgs):
    """Inherent to app.current_org_id: the application sets it, so application code can set another one."""
    with as_app(orgs["A"]["org"]) as conn:
        conn.execute("SELECT set_config('app.current_org_id', %s, true)", [str(orgs["B"]["org"])])
        assert {r[0] for r in conn.execute("SELECT org_id FROM ibex_core.memories")} == {orgs["B"]["org"]}


def test_org_session_refuses_an_engine_that_bypasses_rls(ibex_db, orgs):
    me = sa.make_url(ibex_db).username
    if not bypasses_rls(ibex_db):  # the kit's role is an ordinary owner (a managed server): bound, so accepted,
        with org_session(dbkit.engine(ibex_db), orgs["A"]["org"]) as session:  # and it sees no other org's rows
            seen = set(session.execute(sa.text("SELECT DISTINCT org_id FROM ibex_core.memories")).scalars())
        assert seen <= {orgs["A"]["org"]}
        return
    with pytest.raises(RLSContextError, match=f"logs in as {me}, which bypasses row-level security"):
        with org_session(dbkit.engine(ibex_db), orgs["A"]["org"]) as session:
            session.execute(sa.text("SELECT count(*) FROM ibex_core.memories"))


# -- the hardened variant: the org is bound by the login -------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_a_tenant_sees_its_org_and_cannot_switch_to_another(tenant_urls, orgs, table):
    scope = sql.Identifier(_scope(table))
    target = sql.Identifier("ibex_core", table)
    with psycopg.connect(tenant_urls["A"]) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == tenant_role(orgs["A"]["org"])
        assert {r[0] for r in conn.execute(sql.SQL("SELECT {} FROM {}").format(scope, target))} == {orgs["A"]["org"]}
        for attempt in (
            "SELECT set_config('app.current_org_id', %s, true)",
            "SELECT set_config('app.current_org_id', %s, false)",
        ):
            conn.execute(attempt, [str(orgs["B"]["org"])])
            assert (
                conn.execute(
                    sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(target, scope), [orgs["B"]["org"]]
                ).fetchone()[0]
                == 0
            )
        if table != "memory_versions":
            assert conn.execute(sql.SQL("DELETE FROM {} WHERE {} = %s").format(target, scope), [orgs["B"]["org"]]).rowcount == 0
        row = _row(table, orgs["B"], uuid.uuid4() if table == "organizations" else orgs["B"]["org"])
        with pytest.raises(InsufficientPrivilege):
            _insert(conn, table, row)
        conn.rollback()


@pytest.mark.parametrize("escape", ["SET ROLE ibex_app", "SET ROLE postgres", "SET SESSION AUTHORIZATION postgres"])
def test_a_tenant_cannot_become_the_app_or_anyone_else(tenant_urls, orgs, escape):
    with psycopg.connect(tenant_urls["A"]) as conn:
        with pytest.raises(InsufficientPrivilege):
            conn.execute(escape)


def test_a_tenant_switching_to_its_group_role_stays_bound(tenant_urls, orgs):
    with psycopg.connect(tenant_urls["A"]) as conn:
        conn.execute("SET ROLE ibex_tenant")
        conn.execute("SELECT set_config('app.current_org_id', %s, false)", [str(orgs["B"]["org"])])
        assert {r[0] for r in conn.execute("SELECT org_id FROM ibex_core.memories")} == {orgs["A"]["org"]}


# -- sessions and repositories ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(ibex_db):
    engine = app_engine(ibex_db)
    yield engine
    engine.dispose()


@pytest.fixture
async def async_engine(ibex_db):
    engine = async_app_engine(ibex_db)
    yield engine
    await engine.dispose()


def test_org_session_runs_as_the_app_role_in_the_org(engine, orgs):
    a = orgs["A"]
    with org_session(engine, a["org"]) as s:
        role, org = s.execute(sa.text("SELECT current_user, current_setting('app.current_org_id')")).one()
        assert (role, org) == (APP_ROLE, str(a["org"]))
        assert {m.org_id for m in s.scalars(sa.select(Memory))} == {a["org"]}


def test_org_session_refuses_rows_for_another_org(engine, orgs):
    with pytest.raises(sa.exc.ProgrammingError) as caught:
        with org_session(engine, orgs["A"]["org"]) as s:
            s.add(Agent(org_id=orgs["B"]["org"], name="Mole", slug="mole"))
            s.flush()
    assert isinstance(caught.value.orig, InsufficientPrivilege)


def test_org_session_commits_on_exit_and_rolls_back_on_error(engine, orgs, ibex_db):
    a = orgs["A"]["org"]
    slugs = [f"kept-{uuid.uuid4().hex[:8]}", f"lost-{uuid.uuid4().hex[:8]}"]
    with org_session(sessionmaker(engine), a) as s:
        s.add(Agent(org_id=a, name="Kept", slug=slugs[0]))
    with pytest.raises(ZeroDivisionError):
        with org_session(engine, a) as s:
            s.add(Agent(org_id=a, name="Lost", slug=slugs[1]))
            s.flush()
            1 / 0
    with owner_conn(ibex_db) as conn:
        found = [r[0] for r in conn.execute("SELECT slug FROM ibex_core.agents WHERE slug = ANY(%s)", [slugs])]
    assert found == [slugs[0]]


def test_scope_session_reapplies_the_context_after_each_commit(engine, orgs):
    from sqlalchemy.orm import Session

    a = orgs["A"]["org"]
    with Session(engine) as s:
        scope_session(s, a)
        for _ in range(2):
            assert s.execute(sa.text("SELECT current_setting('app.current_org_id')")).scalar() == str(a)
            s.commit()


def test_org_id_must_be_a_uuid(engine):
    with pytest.raises(RLSContextError, match="is not a UUID"):
        with org_session(engine, "acme"):
            pass


async def test_async_org_session_reads_only_its_org(async_engine, orgs):
    a = orgs["A"]
    async with async_org_session(async_engine, a["org"]) as s:
        assert await s.scalar(sa.text("SELECT current_user")) == APP_ROLE
        assert set(await s.scalars(sa.select(Memory.org_id))) == {a["org"]}
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        async with async_org_session(async_engine, a["org"]) as s:
            s.add(Agent(org_id=orgs["B"]["org"], name="Mole", slug="mole"))
            await s.flush()


def test_repository_crud(engine, orgs):
    a = orgs["A"]["org"]
    slug = f"crud-{uuid.uuid4().hex[:8]}"
    with org_session(engine, a) as s:
        repo = BaseRepository(s, a, model=Agent)
        agent = repo.add(Agent(name="Crud", slug=slug))
        assert agent.org_id == a and agent.status == "active"
        assert repo.get(agent.id) is agent
        assert repo.list(slug=slug) == [agent]
        assert len(repo.list(limit=1)) == 1 and repo.list(limit=1, offset=1) != repo.list(limit=1)
        assert repo.update(agent.id, name="Renamed").name == "Renamed"
        repo.delete(agent)
        assert repo.get(agent.id) is None
        with pytest.raises(LookupError, match="no Agent"):
            repo.update(agent.id, name="Ghost")


def test_repository_hides_and_refuses_other_orgs(engine, orgs):
    a, b = orgs["A"], orgs["B"]
    with org_session(engine, a["org"]) as s:
        repo = BaseRepository(s, a["org"], model=Agent)
        assert repo.get(b["agents"]) is None
        assert {x.org_id for x in repo.list()} == {a["org"]}
        with pytest.raises(RLSContextError, match="the repository's organization is"):
            repo.add(Agent(org_id=b["org"], name="Mole", slug="mole"))
        with pytest.raises(ValueError, match="no column attribute 'colour'"):
            repo.list(colour="red")
        assert [o.id for o in BaseRepository(s, a["org"], model=Organization).list()] == [a["org"]]
        with pytest.raises(RLSContextError, match="scoped to organization"):
            BaseRepository(s, b["org"], model=Agent).list()


def test_repository_refuses_a_session_that_bypasses_rls(ibex_db, orgs):
    from sqlalchemy.orm import Session

    with Session(dbkit.engine(ibex_db)) as s:
        if not bypasses_rls(ibex_db):  # an ordinary owner is bound by the forced policies: nothing to refuse
            assert {a.org_id for a in BaseRepository(s, orgs["A"]["org"], model=Agent).list()} <= {orgs["A"]["org"]}
            return
        with pytest.raises(RLSContextError, match="bypasses row-level security"):
            BaseRepository(s, orgs["A"]["org"], model=Agent).list()


@pytest.fixture(scope="module")
def memories(engine, orgs):
    """In org A, a fresh agent with memories at known directions and times; plus the same in org B."""
    a = orgs["A"]["org"]
    made = {}
    with org_session(engine, a) as s:
        agent = BaseRepository(s, a, model=Agent).add(Agent(name="Rex", slug=f"rex-{uuid.uuid4().hex[:8]}"))
        repo = MemoryRepository(s, a)
        specs = {  # name: (embedding, minutes after T0, extra)
            "x": (vec(1.0), 1, {}),
            "xy": (vec(1.0, 1.0), 2, {}),
            "y": (vec(0.0, 1.0), 3, {}),
            "x_archived": (vec(1.0), 4, {"status": MemoryStatus.ARCHIVED, "content_hash": sha("x")}),
            "x_deleted": (vec(1.0), 5, {"deleted_at": T0}),
        }
        for name, (embedding, minutes, extra) in specs.items():
            fields = {"content_hash": sha(name), "created_at": T0 + timedelta(minutes=minutes), **extra}
            made[name] = repo.add(Memory(
                agent_id=agent.id, content=f"memory {name}", embedding=embedding, category=MemoryCategory.FACTUAL, **fields,
            )).id  # fmt: skip
        made["agent"] = agent.id
    with org_session(engine, orgs["B"]["org"]) as s:
        made["b"] = MemoryRepository(s, orgs["B"]["org"]).add(Memory(
            agent_id=orgs["B"]["agents"], content="B's x", content_hash=sha("bx"), embedding=vec(1.0), category="factual",
        )).id  # fmt: skip
    return made


def test_search_returns_nearest_live_memories_of_the_org(engine, orgs, memories):
    with org_session(engine, orgs["A"]["org"]) as s:
        repo = MemoryRepository(s, orgs["A"]["org"])
        hits = repo.search(vec(1.0), k=3, agent_id=memories["agent"])
        assert [m.id for m, _ in hits] == [memories["x"], memories["xy"], memories["y"]]
        assert [round(d, 3) for _, d in hits] == [0.0, 0.293, 1.0]
        everywhere = {m.id for m, _ in repo.search(vec(1.0), k=100)}
        assert memories["x"] in everywhere
        assert not everywhere & {memories["x_archived"], memories["x_deleted"], memories["b"]}


def test_find_duplicate_sees_only_live_rows(engine, orgs, memories):
    with org_session(engine, orgs["A"]["org"]) as s:
        repo = MemoryRepository(s, orgs["A"]["org"])
        assert repo.find_duplicate(memories["agent"], sha("x")).id == memories["x"]
        assert repo.find_duplicate(memories["agent"], sha("x_deleted")) is None
        assert repo.find_duplicate(memories["agent"], sha("bx")) is None


def test_hot_cache_is_newest_live_first(engine, orgs, memories):
    with org_session(engine, orgs["A"]["org"]) as s:
        repo = MemoryRepository(s, orgs["A"]["org"])
        assert [m.id for m in repo.hot_cache(memories["agent"], limit=2)] == [memories["y"], memories["xy"]]
        assert [m.id for m in repo.hot_cache(memories["agent"])] == [memories[n] for n in ("y", "xy", "x")]


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("_hot_cache_stmt", "memories_hot_cache_idx"),
        ("_duplicate_stmt", "memories_content_hash_org"),
        ("_search_stmt", "memories_embedding_hnsw_idx"),
    ],
)
def test_memory_queries_match_their_index(ibex_db, orgs, memories, query, index):
    # On a few rows the planner may rightly prefer another index, so the others are dropped (and restored
    # by the rollback): what is checked is that the query's WHERE and ORDER BY fit this index, partial
    # predicate included, so that no sort is needed.
    args = {
        "_hot_cache_stmt": (memories["agent"], 20),
        "_duplicate_stmt": (memories["agent"], sha("x")),
        "_search_stmt": (vec(1.0), 10, memories["agent"]),
    }[query]
    repo = object.__new__(MemoryRepository)
    repo.org_id = orgs["A"]["org"]
    stmt = getattr(repo, query)(*args)
    engine = dbkit.engine(ibex_db)
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        others = connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'ibex_core' AND tablename = 'memories'"
            " AND indexname NOT IN ('memories_pkey', %(keep)s)",
            {"keep": index},
        ).scalars()
        for other in others.all():
            connection.exec_driver_sql(f'DROP INDEX ibex_core."{other}"')
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
        connection.rollback()
    assert f"Index Scan using {index}" in plan and "Sort" not in plan


async def test_async_repository_crud_and_memory_queries(async_engine, orgs, memories):
    a = orgs["A"]["org"]
    async with async_org_session(async_engine, a) as s:
        agents = AsyncBaseRepository(s, a, model=Agent)
        agent = await agents.add(Agent(name="Async", slug=f"async-{uuid.uuid4().hex[:8]}"))
        assert (await agents.get(agent.id)) is agent
        assert (await agents.list(slug=agent.slug)) == [agent]
        assert (await agents.update(agent.id, description="async")).description == "async"
        await agents.delete(agent.id)
        assert await agents.get(agent.id) is None
        assert await agents.get(orgs["B"]["agents"]) is None
        repo = AsyncMemoryRepository(s, a)
        hits = await repo.search(vec(1.0), k=2, agent_id=memories["agent"])
        assert [m.id for m, _ in hits] == [memories["x"], memories["xy"]]
        assert (await repo.find_duplicate(memories["agent"], sha("x"))).id == memories["x"]
        assert [m.id for m in await repo.hot_cache(memories["agent"], limit=1)] == [memories["y"]]


def test_async_repositories_share_the_sync_implementation():
    import inspect

    for name in ("get", "list", "add", "update", "delete"):
        assert inspect.iscoroutinefunction(getattr(AsyncBaseRepository, name))
    for name in ("search", "find_duplicate", "hot_cache"):
        assert inspect.iscoroutinefunction(getattr(AsyncMemoryRepository, name))
    assert AsyncMemoryRepository.sync is MemoryRepository and roles.READER == "dbkit_reader"
