"""notebooks/00_start_here.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_fixtures import owner_conn
from nbtools import executed
from psycopg import sql

from dbkit.migrate import discover

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "00_start_here.ipynb"


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_connects_to_postgresql_18_with_pgvector(tb):
    assert tb.ref("server_version").startswith("18.")
    assert tb.ref("vector_version").startswith("0.8.")


def test_migrate_leaves_nothing_pending(tb):
    assert tb.value("len(dbkit.plan())") == 0
    assert tb.value("int((status['applied'] + status['pending']).sum())") == len(discover())
    assert tb.value("len(applied)") == tb.value("int(status['pending'].sum())")


def test_ledger_lists_every_file(tb):
    assert tb.value("len(ledger)") == len(discover())
    assert tb.value("sorted(ledger['schema'].unique())") == ["ibex_core", "iris", "myloware", "orchestrator", "syris"]


def test_five_systems_side_by_side_from_the_live_catalog(tb, seeded_clone):
    systems = tb.value(
        "systems[['system', 'schema', 'key tables', 'tables', 'rows', 'notebook', 'what it teaches']].to_dict('records')"
    )
    assert [s["system"] for s in systems] == ["IRIS", "IBEX", "Orchestrator", "MyloWare", "SYRIS"]  # notebook order
    assert [s["notebook"] for s in systems] == ["01_iris", "02_ibex", "03_orchestrator", "04_myloware", "05_syris"]
    assert sum(s["tables"] for s in systems) == 46
    assert "5 systems, 46 tables" in tb.cell_output_text("systems")
    with owner_conn(seeded_clone) as conn:  # every row, also where forced row-level security binds the owner
        for system in systems:
            assert system["what it teaches"]
            # the key tables are real tables, the most referenced first (IBEX: everything points at organizations)
            keys = system["key tables"].split(", ")
            inbound = dict(conn.execute(_INBOUND, (system["schema"],)).fetchall())
            assert keys == sorted(inbound, key=lambda t: (-inbound[t], t))[:3]
            # rows are exact counts of the seeded tables
            counted = 0
            for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (system["schema"],)):
                counted += conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(system["schema"], name))
                ).fetchone()[0]
            assert system["rows"] == counted > 0
    assert systems[1]["key tables"].startswith("organizations")


_INBOUND = """
    SELECT c.relname, count(k.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_constraint k ON k.confrelid = c.oid AND k.contype = 'f'
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
    GROUP BY c.relname
"""


def test_status_is_a_table_not_a_repr(tb):
    text = tb.cell_output_text("status")
    assert "ServerStatus(" not in text and "Status(" not in text
    assert tb.value("list(server_status.index)") == ["embedded server", "pid", "data directory", "database in use", "chosen from"]


def test_masked_url_hides_the_password(tb):
    assert "dbkit:***@db.internal" in tb.cell_output_text("mask")
