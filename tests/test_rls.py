"""Row-level security of ibex_core, dbkit.rls and dbkit.repository against a real PostgreSQL.

Two organizations, A and B, each with a row in every table, are committed once per module (RLS only
shows between transactions of different roles) and deleted, with all they own, at the end.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from psycopg.errors import InsufficientPrivilege
from psycopg.types.json import Jsonb
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from dbkit.migrate import migrate
from dbkit.models.ibex import Agent, Memory, MemoryCategory, MemoryStatus, Organization
from dbkit.repository import (
    AsyncBaseRepository,
    AsyncMemoryRepository,
    BaseRepository,
    MemoryRepository,
)
from dbkit.rls import RLSContextError, async_org_session, org_session, scope_session

TABLES = [
    "organizations", "users", "agents", "tokens", "directives", "sessions", "checkpoints",
    "memories", "memory_versions", "memory_relationships", "memory_tags",
]
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def vec(*weights: float) -> list[float]:
    return [*weights, *[0.0] * (384 - len(weights))]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _insert(conn, table: str, row: dict) -> uuid.UUID | None:
    values = [Jsonb(v) if isinstance(v, dict) else str(v) if isinstance(v, list) else v for v in row.values()]
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING *").format(
        sql.Identifier(table),
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
        "tokens": lambda: {"org_id": org, "type": "org_token", "hash": sha(u), "prefix": "ibx_", "name": "t",
                           "permissions": 1},
        "directives": lambda: {"org_id": org, "name": f"d-{u}", "content": "c", "content_hash": sha("c"),
                               "version_number": 1},
        "sessions": lambda: {"org_id": org, "agent_id": w["agents"]},
        "checkpoints": lambda: {"session_id": w["sessions"], "org_id": org, "sequence_number": 1, "state": {},
                                "state_hash": sha("{}"), "state_size_bytes": 2},
        "memories": lambda: {"org_id": org, "agent_id": w["agents"], "content": f"m {u}", "content_hash": sha(u),
                             "embedding": vec(1.0), "category": "factual"},
        "memory_versions": lambda: {"memory_id": w["memories"], "org_id": org, "version_num": 1,
                                    "operation": "created"},
        "memory_relationships": lambda: {"org_id": org, "source_memory_id": w["memories"],
                                         "target_memory_id": w["memory2"], "relationship_type": "derived_from"},
        "memory_tags": lambda: {"memory_id": w["memories"], "org_id": org, "tag": f"t-{u}"},
    }
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


@pytest.fixture(scope="module")
def orgs(migrated_db):
    with psycopg.connect(migrated_db) as conn:
        conn.execute("SET search_path TO ibex_core, public")
        a, b = _world(conn), _world(conn)
        conn.commit()
    yield {"A": a, "B": b}
    with psycopg.connect(migrated_db) as conn:
        conn.execute("DELETE FROM ibex_core.organizations WHERE id IN (%s, %s)", [a["org"], b["org"]])


@pytest.fixture
def conn(migrated_db):
    """A superuser connection, rolled back at the end."""
    with psycopg.connect(migrated_db) as conn:
        conn.execute("SET search_path TO ibex_core, public")
        conn.commit()  # so that the search_path outlives the rollbacks some tests do
        yield conn
        conn.rollback()


def as_app(conn, org: uuid.UUID) -> None:
    conn.execute("SET LOCAL ROLE ibex_app")
    conn.execute("SELECT set_config('app.current_org_id', %s, true)", [str(org)])


def _count(conn, table: str, org: uuid.UUID) -> int:
    column = "id" if table == "organizations" else "org_id"
    query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(sql.Identifier(table), sql.Identifier(column))
    return conn.execute(query, [org]).fetchone()[0]


def test_app_role_is_an_ordinary_role(conn):
    row = conn.execute("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'ibex_app'").fetchone()
    assert row == (False, False, False)


def test_every_table_has_forced_rls_with_one_policy(conn):
    rows = conn.execute("""
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polqual IS NOT NULL
                                                   AND p.polwithcheck IS NOT NULL)
        FROM pg_class c WHERE c.relnamespace = 'ibex_core'::regnamespace AND c.relkind = 'r' ORDER BY 1
    """).fetchall()
    assert rows == [(t, True, True, 1) for t in sorted(TABLES)]


@pytest.mark.parametrize("table", TABLES)
def test_app_reads_only_its_own_org(conn, orgs, table):
    assert _count(conn, table, orgs["B"]["org"]) >= 1  # the superuser sees B ...
    as_app(conn, orgs["A"]["org"])
    assert _count(conn, table, orgs["B"]["org"]) == 0  # ... ibex_app, scoped to A, does not
    total = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
    assert total == _count(conn, table, orgs["A"]["org"]) >= 1


@pytest.mark.parametrize("table", TABLES)
def test_app_cannot_insert_into_another_org(conn, orgs, table):
    b = orgs["B"]
    row = _row(table, b, uuid.uuid4() if table == "organizations" else b["org"])
    as_app(conn, orgs["A"]["org"])
    with pytest.raises(InsufficientPrivilege, match="row-level security"):
        _insert(conn, table, row)


@pytest.mark.parametrize("table", [t for t in TABLES if t != "memory_versions"])
def test_app_cannot_move_its_rows_into_another_org(conn, orgs, table):
    column, target = ("id", uuid.uuid4()) if table == "organizations" else ("org_id", orgs["B"]["org"])
    as_app(conn, orgs["A"]["org"])
    query = sql.SQL("UPDATE {} SET {} = %s WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(column), sql.Identifier(column)
    )
    with pytest.raises(InsufficientPrivilege, match="row-level security"):
        conn.execute(query, [target, orgs["A"]["org"]])


def test_app_cannot_see_to_change_or_delete_another_orgs_rows(conn, orgs):
    b = orgs["B"]
    as_app(conn, orgs["A"]["org"])
    assert conn.execute("UPDATE memories SET content = 'hacked' WHERE id = %s", [b["memories"]]).rowcount == 0
    assert conn.execute("DELETE FROM agents WHERE id = %s", [b["agents"]]).rowcount == 0
    conn.execute("RESET ROLE")
    assert conn.execute("SELECT content FROM memories WHERE id = %s", [b["memories"]]).fetchone()[0] != "hacked"


def test_without_an_org_the_app_sees_nothing(conn, orgs):
    conn.execute("SET LOCAL ROLE ibex_app")
    assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 0
    conn.rollback()
    # Once a transaction-local setting ended, the connection reports '' rather than NULL: still no rows.
    as_app(conn, orgs["A"]["org"])
    conn.commit()
    conn.execute("SET LOCAL ROLE ibex_app")
    assert conn.execute("SELECT current_setting('app.current_org_id', true)").fetchone()[0] == ""
    assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 0


def test_migrations_run_again_in_another_database_of_the_cluster(fresh_db, migrated_db):
    # migrated_db already created the cluster-wide role: a second database must reuse it, not fail.
    applied = migrate(fresh_db, ["ibex"])
    assert [m.name for m in applied][-1] == "0005_row_level_security.sql"
    with psycopg.connect(fresh_db) as conn:
        grants = conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = 'ibex_app' AND table_schema = 'ibex_core' AND table_name = 'memory_versions'"
        ).fetchall()
    assert sorted(g[0] for g in grants) == ["INSERT", "SELECT"]


@pytest.mark.parametrize("statement", ["UPDATE memory_versions SET change_reason = 'x'", "DELETE FROM memory_versions"])
def test_memory_versions_are_append_only_for_the_app(conn, orgs, statement):
    as_app(conn, orgs["A"]["org"])
    with pytest.raises(InsufficientPrivilege, match="permission denied"):
        conn.execute(statement)


@pytest.fixture(scope="module")
def engine(migrated_db):
    engine = sa.create_engine(migrated_db.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


@pytest.fixture
async def async_engine(migrated_db):
    engine = create_async_engine(migrated_db.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    await engine.dispose()


def test_org_session_runs_as_the_app_role_in_the_org(engine, orgs):
    a = orgs["A"]
    with org_session(engine, a["org"]) as s:
        role, org = s.execute(sa.text("SELECT current_user, current_setting('app.current_org_id')")).one()
        assert (role, org) == ("ibex_app", str(a["org"]))
        assert {m.org_id for m in s.scalars(sa.select(Memory))} == {a["org"]}


def test_org_session_refuses_rows_for_another_org(engine, orgs):
    b = orgs["B"]
    with pytest.raises(sa.exc.ProgrammingError) as caught:
        with org_session(engine, orgs["A"]["org"]) as s:
            s.add(Agent(org_id=b["org"], name="Mole", slug="mole"))
            s.flush()
    assert isinstance(caught.value.orig, InsufficientPrivilege)


def test_org_session_commits_on_exit_and_rolls_back_on_error(engine, orgs):
    a = orgs["A"]["org"]
    slugs = [f"kept-{uuid.uuid4().hex[:8]}", f"lost-{uuid.uuid4().hex[:8]}"]
    with org_session(sessionmaker(engine), a) as s:
        s.add(Agent(org_id=a, name="Kept", slug=slugs[0]))
    with pytest.raises(ZeroDivisionError):
        with org_session(engine, a) as s:
            s.add(Agent(org_id=a, name="Lost", slug=slugs[1]))
            s.flush()
            1 / 0
    with Session(engine) as s:
        found = s.scalars(sa.select(Agent.slug).where(Agent.slug.in_(slugs))).all()
    assert found == [slugs[0]]


def test_scope_session_reapplies_the_context_after_each_commit(engine, orgs):
    a = orgs["A"]["org"]
    with Session(engine) as s:
        scope_session(s, a)
        for _ in range(2):
            role, org = s.execute(sa.text("SELECT current_user, current_setting('app.current_org_id')")).one()
            assert (role, org) == ("ibex_app", str(a))
            s.commit()


def test_org_id_must_be_a_uuid(engine):
    with pytest.raises(RLSContextError, match="is not a UUID"):
        with org_session(engine, "acme"):
            pass


async def test_async_org_session_reads_only_its_org(async_engine, orgs):
    a = orgs["A"]
    async with async_org_session(async_engine, a["org"]) as s:
        assert await s.scalar(sa.text("SELECT current_user")) == "ibex_app"
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


def test_repository_refuses_a_session_that_bypasses_rls(engine, orgs):
    with Session(engine) as s:
        with pytest.raises(RLSContextError, match="bypasses row-level security"):
            BaseRepository(s, orgs["A"]["org"], model=Agent).list()


def test_repository_sets_the_org_setting_itself(engine, orgs):
    a = orgs["A"]["org"]
    with Session(engine) as s, s.begin():
        s.execute(sa.text("SET LOCAL ROLE ibex_app"))
        assert len(BaseRepository(s, a, model=Agent).list()) >= 1
        assert s.scalar(sa.text("SELECT current_setting('app.current_org_id')")) == str(a)


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
                agent_id=agent.id, content=f"memory {name}", embedding=embedding, category=MemoryCategory.FACTUAL,
                **fields,
            )).id
        made["agent"] = agent.id
    with org_session(engine, orgs["B"]["org"]) as s:
        b_agent = orgs["B"]["agents"]
        made["b"] = MemoryRepository(s, orgs["B"]["org"]).add(Memory(
            agent_id=b_agent, content="B's x", content_hash=sha("bx"), embedding=vec(1.0), category="factual",
        )).id
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
def test_memory_queries_match_their_index(engine, orgs, memories, query, index):
    # On a few rows the planner may rightly prefer another index, so the others are dropped (and restored
    # by the rollback): what is checked is that the query's WHERE and ORDER BY fit this index, partial
    # predicate included, so that no sort is needed.
    args = {
        "_hot_cache_stmt": (memories["agent"], 20),
        "_duplicate_stmt": (memories["agent"], sha("x")),
        "_search_stmt": (vec(1.0), 10, memories["agent"]),
    }[query]
    stmt = getattr(MemoryRepository(None, orgs["A"]["org"]), query)(*args)
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        others = connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'ibex_core' AND tablename = 'memories'"
            " AND indexname NOT IN ('memories_pkey', %(keep)s)", {"keep": index}
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
