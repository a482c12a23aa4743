"""notebooks/09_explore_any_database.ipynb: the toolkit on a schema the kit never wrote; asserts on real values."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from nbtools import check_diagram, executed

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "09_explore_any_database.ipynb"
TABLES = ["agents", "articles", "customers", "ticket_log", "tickets"]
FIXED = {
    "fk-without-index helpdesk.tickets.customer_id",
    "vector-without-ann-index helpdesk.articles.embedding",
    "jsonb-containment-without-gin helpdesk.tickets.details",
}


@pytest.fixture(scope="module")
def tb(seeded_clone):
    scratch = NOTEBOOK.parent / "scratch"
    try:
        with executed(NOTEBOOK, seeded_clone) as notebook:
            yield notebook
    finally:  # the walkthrough the notebook wrote and ran (scratch/ is git-ignored, but leave nothing behind)
        for path in scratch.glob("helpdesk_walkthrough.*"):
            path.unlink()


def test_the_schema_is_created_and_filled(tb):
    rows = tb.value("{t: int(n) for t, n in zip(created['table'], created['rows'])}")
    assert rows == {"agents": 5, "articles": 6, "customers": 60, "ticket_log": rows["ticket_log"], "tickets": 400}
    assert rows["ticket_log"] > 400


def test_search_finds_tables_and_columns_by_name_and_comment(tb):
    found = tb.value("[[kind, name] for kind, name in zip(found['kind'], found['name'])]")
    assert ["table", "tickets"] in found and ["table", "ticket_log"] in found and ["column", "tickets.details"] in found
    assert ["constraint", "tickets_customer_id_fkey"] in found
    assert not [name for kind, name in found if kind == "table" and "ticket" not in name]


def test_diagram_draws_every_table_and_both_foreign_keys(tb):
    markup = check_diagram(tb, TABLES)
    assert re.search(r"customers \S+ tickets : \"customer_id\"", markup)
    assert re.search(r"tickets \S+ ticket_log : \"ticket_id\"", markup)
    assert "vector(384) embedding" in markup and "timestamp created_at" in markup


def test_containment_and_similarity_answer_with_the_data(tb, seeded_clone):
    by_status = tb.value("dict(zip(urgent_chats['status'], map(int, urgent_chats['tickets'])))")
    assert sum(by_status.values()) > 0 and set(by_status) <= {"open", "pending", "solved"}
    assert tb.value("answers['title'].iloc[0]") == "Reset your password"


def test_lint_finds_the_everyday_problems_and_the_fix_removes_exactly_three(tb):
    before = set(tb.value("list(findings['rule'] + ' ' + findings['object'])"))
    after = set(tb.value("list(after_fix['rule'] + ' ' + after_fix['object'])"))
    for expected in (
        "table-without-primary-key helpdesk.ticket_log",
        "probable-missing-fk helpdesk.tickets.agent_id",
        "timestamp-without-time-zone helpdesk.customers.created_at",
        "table-without-comment helpdesk.agents",
        *FIXED,
    ):
        assert expected in before, expected
    assert before - after == FIXED and after <= before  # the three fixed, nothing new
    assert tb.value("'error' in set(findings['severity'])")


def test_diff_of_before_and_after_is_the_three_new_indexes(tb):
    changes = tb.value("[(c.table, c.kind, c.name, c.change) for c in changes]")
    assert sorted(changes) == [
        ["articles", "index", "articles_embedding_idx", "added"],
        ["tickets", "index", "tickets_customer_id_idx", "added"],
        ["tickets", "index", "tickets_details_idx", "added"],
    ]


def test_docs_write_a_page_with_a_diagram_and_an_index(tb):
    assert tb.value("[p.name for p in pages]") == ["helpdesk.md", "README.md"]
    page = tb.ref("page")
    assert "```mermaid\nerDiagram" in page
    for table in TABLES:
        assert f"\n### `{table}`" in page, table


def test_the_generated_walkthrough_ran_without_error_and_covers_every_table(tb):
    text = tb.cell_output_text("walkthrough")
    assert ", 0 errors; sections: What it is, Diagram, " + ", ".join(TABLES) in text
    assert "The nearest neighbours of the first row's `embedding` by cosine distance, through `articles_embedding_idx`" in text
    assert "Rows by `status`" in text and "The most common keys of `details`" in text


def test_nothing_is_left_behind(tb, seeded_clone):
    assert "schemas named helpdesk left: 0" in tb.cell_output_text("cleanup")
    with psycopg.connect(seeded_clone) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'helpdesk'").fetchone()[0] == 0
    assert not Path(tb.ref("str(out)")).exists()
