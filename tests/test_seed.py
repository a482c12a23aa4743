"""`dbkit seed` across the registry: every table filled, the same rows for the same seed, one transaction per
schema for real, a bounded wait behind other sessions, and bad input refused before anything changes."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading

import numpy as np
import psycopg
import pytest
from kit_fixtures import digests, owner_conn

import dbkit
from dbkit import NotFoundError, SeedError, UsageError, registry
from dbkit.migrate import migrate
from dbkit.seed import SeedContext, seed, seeded

ENTRIES = registry.with_seed()


def _fingerprint(schema: str, seed_value: int, scale: int = 1) -> str:
    """A digest of every generated row, values in the table's column order (hashing embeddings: no model)."""
    from dbkit.embed import HashingEmbedder

    entry = registry.find(schema)
    ctx = SeedContext(entry.schema, seed=seed_value, scale=scale, embed=HashingEmbedder().embed)
    digest = hashlib.sha256()
    for table in entry.seed_module().generate(ctx):
        digest.update(table.name.encode())
        for row in table.rows:
            for column in sorted(row):
                value = row[column]
                digest.update(column.encode() + (value.tobytes() if isinstance(value, np.ndarray) else repr(value).encode()))
    return digest.hexdigest()


@pytest.fixture(scope="module")
def elsewhere() -> dict[str, str]:
    """Every schema's fingerprint for seed 42, computed by another Python process (one for all schemas)."""
    script = (
        "import json, sys; sys.path.insert(0, 'tests'); from test_seed import ENTRIES, _fingerprint; "
        "print(json.dumps({e.schema: _fingerprint(e.schema, 42) for e in ENTRIES}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.schema)
def test_the_same_seed_gives_the_same_rows_in_any_process_and_another_seed_others(entry, elsewhere):
    here = _fingerprint(entry.schema, 42)
    assert here == elsewhere[entry.schema]
    assert _fingerprint(entry.schema, 7) != here


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.schema)
def test_rows_are_named_records_with_one_set_of_columns_per_table(entry):
    from dbkit.embed import HashingEmbedder

    tables = entry.seed_module().generate(SeedContext(entry.schema, embed=HashingEmbedder().embed))
    for table in tables:
        assert table.rows and all(isinstance(row, dict) for row in table.rows)
        assert len({tuple(row) for row in table.rows}) == 1, f"{table.name}: rows with different columns"


def test_every_table_has_rows(seeded_db):
    found = digests(seeded_db)
    assert len(found) == 46
    assert sorted(name for name, (rows, _) in found.items() if rows == 0) == []


def test_two_seeds_with_the_same_seed_give_identical_tables(seeded_db, seeded_clone):
    seed(seeded_clone, ["iris", "orchestrator", "syris"])
    first, second = (
        digests(seeded_db, ["iris", "orchestrator", "syris"]),
        digests(seeded_clone, ["iris", "orchestrator", "syris"]),
    )
    assert sorted(name for name in first if first[name] != second[name]) == []


def test_reseeding_replaces_the_data(seeded_db, seeded_clone):
    with psycopg.connect(seeded_clone, autocommit=True) as conn:
        conn.execute("DELETE FROM iris.execution_history WHERE status = 'failed'")
    seed(seeded_clone, ["iris"], seed=42)
    assert digests(seeded_clone, ["iris"]) == digests(seeded_db, ["iris"])


@pytest.fixture
def hashing(monkeypatch):
    """Hashing embeddings: these tests are about transactions, not about what the vectors mean (and MiniLM is slow)."""
    from dbkit import embed

    monkeypatch.setattr(embed, "embedder", lambda: embed.HashingEmbedder("tests of transactions"))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.schema)
def test_a_failing_seed_leaves_every_schema_as_it_was(seeded_clone, monkeypatch, hashing, entry):
    """A failure late in one schema's load: that schema stays as it was, and the one seeded before it committed."""
    module = entry.seed_module()
    original = module.generate

    def broken(ctx):
        tables = original(ctx)
        last = next(t for t in reversed(tables) if t.rows)
        last.rows.append(dict(last.rows[0]))  # a duplicate primary key, late in the load
        return tables

    before = digests(seeded_clone)
    monkeypatch.setattr(module, "generate", broken)
    others = ["syris" if entry.schema == "iris" else "iris"]  # cheap to seed: no embeddings
    with pytest.raises(SeedError, match=rf"seeding {entry.schema} failed, nothing changed: SQLSTATE 23505"):
        seed(seeded_clone, [*others, entry.schema], seed=99)
    after = digests(seeded_clone)
    assert {k: v for k, v in after.items() if k.startswith(entry.schema + ".")} == {
        k: v for k, v in before.items() if k.startswith(entry.schema + ".")
    }
    changed = {k.split(".")[0] for k in after if after[k] != before[k]}
    assert changed <= set(others)  # the schema seeded first committed on its own: one transaction per schema
    seed(seeded_clone, others)  # put them back for the next test


def test_a_seed_behind_an_idle_transaction_fails_fast_and_names_the_session(seeded_clone, monkeypatch):
    monkeypatch.setenv("DBKIT_LOCK_TIMEOUT", "500ms")
    notebook = psycopg.connect(seeded_clone, application_name="a quiet notebook")
    try:
        notebook.execute("SELECT count(*) FROM iris.sprites")  # a transaction opened and left idle
        pid = notebook.info.backend_pid
        with pytest.raises(SeedError) as caught:
            seed(seeded_clone, ["iris"])
        message = str(caught.value)
        assert f"pid {pid} (application 'a quiet notebook'" in message and "idle in transaction since" in message
        assert "waited 500ms" in message and "pg_terminate_backend" in message and "\n" not in message
    finally:
        notebook.close()
    seed(seeded_clone, ["iris"])  # and once it is gone, the seed goes through


def test_the_kits_own_connections_never_sit_idle_in_a_transaction(seeded_clone, monkeypatch):
    monkeypatch.setenv("DBKIT_LOCK_TIMEOUT", "2s")
    conn = dbkit.connect(seeded_clone)  # what a notebook is handed
    conn.execute("SELECT count(*) FROM iris.sprites")
    dbkit.explore.query("SELECT count(*) FROM iris.sprites", url=seeded_clone)
    try:
        assert seed(seeded_clone, ["iris"])["iris"] > 0
    finally:
        conn.close()


def test_if_needed_skips_a_schema_seeded_the_same_way_and_keeps_what_was_added(seeded_clone):
    with psycopg.connect(seeded_clone, autocommit=True) as conn:
        conn.execute("INSERT INTO iris.councils (domain, sprites, gate_agents) VALUES ('added-by-hand', '[]', '[]')")
    seed(seeded_clone, ["iris"], if_needed=True)
    with psycopg.connect(seeded_clone) as conn:
        assert conn.execute("SELECT count(*) FROM iris.councils WHERE domain = 'added-by-hand'").fetchone()[0] == 1
    seed(seeded_clone, ["iris"], seed=7, if_needed=True)  # another seed: replaced
    with psycopg.connect(seeded_clone) as conn:
        assert conn.execute("SELECT count(*) FROM iris.councils WHERE domain = 'added-by-hand'").fetchone()[0] == 0
        assert seeded(conn)["iris"].seed == 7
    seed(seeded_clone, ["iris"])


def test_seeding_an_unmigrated_database_says_what_to_do(fresh_db):
    with pytest.raises(SeedError, match=r"schema iris does not exist or has no tables: run `dbkit migrate iris` first"):
        seed(fresh_db, ["iris"])


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"schemas": ["nope"]}, NotFoundError, "unknown schema 'nope'"),
        ({"scale": 0}, UsageError, "--scale must be a whole number from 1 to 10,000, not 0"),
        ({"scale": 2.5}, UsageError, "--scale must be a whole number"),
        ({"seed": -5}, UsageError, "--seed must be a whole number from 0 to 2,147,483,647, not -5"),
        ({"seed": 99999999999}, UsageError, "--seed must be a whole number"),
        ({"seed": True}, UsageError, "--seed must be a whole number"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(migrated_db, kwargs, error, says):
    with pytest.raises(error, match=says):
        seed(migrated_db, **kwargs)


def test_a_sqlite_url_is_refused(tmp_path):
    with pytest.raises(UsageError, match="seeding needs PostgreSQL"):
        seed(f"sqlite:///{tmp_path / 'x.db'}")
    assert not (tmp_path / "x.db").exists()


def test_a_table_in_another_schema_that_references_a_seeded_one_is_not_emptied(seeded_clone):
    with psycopg.connect(seeded_clone, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.my_notes (council_id uuid REFERENCES iris.councils (id))")
        conn.execute("INSERT INTO public.my_notes SELECT id FROM iris.councils LIMIT 1")
    try:
        with pytest.raises(SeedError, match="cannot truncate a table referenced in a foreign key constraint"):
            seed(seeded_clone, ["iris"])
        with psycopg.connect(seeded_clone) as conn:
            assert conn.execute("SELECT count(*) FROM public.my_notes").fetchone()[0] == 1
    finally:
        with psycopg.connect(seeded_clone, autocommit=True) as conn:
            conn.execute("DROP TABLE public.my_notes")


def test_cli_seed(fresh_db, cli):
    migrate(fresh_db, ["iris"])
    done = cli("seed", "iris", "--url", fresh_db)
    assert done.code == 0, done.stderr
    assert re.search(r"^seeded   iris \([\d,]+ rows; embeddings: none: no vectors in this schema\)$", done.stdout, re.M)
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT seed, scale FROM dbkit.seed_runs WHERE schema = 'iris'").fetchone() == (42, 1)


def test_cli_refuses_bad_numbers_in_one_line(fresh_db, cli):
    for args in (["--seed", "-5"], ["--seed", "99999999999"], ["--scale", "0"], ["--seed", "x"]):
        done = cli("seed", "iris", "--url", fresh_db, *args)
        assert done.code == 1 and len(done.lines) == 1 and done.lines[0].startswith("dbkit: "), done.stderr


def test_concurrent_seeds_of_one_schema_both_finish_with_the_same_rows(seeded_db, seeded_clone):
    errors: list[BaseException] = []

    def run() -> None:
        try:
            seed(seeded_clone, ["iris"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] or all(isinstance(e, SeedError) and "waited" in str(e) for e in errors)
    assert digests(seeded_clone, ["iris"]) == digests(seeded_db, ["iris"])


def test_vector_indexes_come_back_exactly_as_the_migrations_made_them(migrated_db, seeded_db):
    """The loader drops HNSW and IVFFlat indexes for the COPY and builds them on the rows: same definition, same comment."""
    query = (
        "SELECT n.nspname, i.relname, pg_get_indexdef(i.oid), obj_description(i.oid, 'pg_class'), x.indisvalid "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
        "JOIN pg_namespace n ON n.oid = i.relnamespace WHERE am.amname IN ('hnsw', 'ivfflat') ORDER BY 1, 2"
    )
    with psycopg.connect(migrated_db) as before, owner_conn(seeded_db) as after:
        migrated, seeded_indexes = before.execute(query).fetchall(), after.execute(query).fetchall()
        memories = after.execute(
            "SELECT count(*) FROM ibex_core.memories WHERE status = 'active' AND deleted_at IS NULL"
        ).fetchone()[0]
        after.execute("SET LOCAL enable_seqscan = off")
        plan = " ".join(r[0] for r in after.execute(
            "EXPLAIN SELECT id FROM ibex_core.memories WHERE status = 'active' AND deleted_at IS NULL "
            "ORDER BY embedding <=> (SELECT embedding FROM ibex_core.memories LIMIT 1) LIMIT 5"
        ))  # fmt: skip
    assert migrated == seeded_indexes and len(migrated) >= 2
    assert memories > 1000 and "memories_embedding_hnsw_idx" in plan
