"""notebooks/04_myloware.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from nbtools import check_diagram, check_every_table_walked, check_plot, executed, source

from dbkit.registry import SQL_DIR

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_myloware.ipynb"
TABLES = [
    "artifacts",
    "hitl_approvals",
    "kb_documents",
    "kb_embeddings",
    "orchestration_checkpoints",
    "project_socials",
    "runs",
    "socials",
    "webhook_dlq",
    "webhook_events",
]


def _source(tag: str) -> str:
    return source(NOTEBOOK, tag)


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_ledger_lists_every_myloware_file(tb):
    files = sorted(p.name for p in (SQL_DIR / "myloware").glob("*.sql"))
    assert files and tb.value("list(ledger['name'])") == files
    assert tb.value("len(dbkit.plan(schemas=['myloware']))") == 0


def test_uuid_keys_default_to_gen_random_uuid(tb):
    defaults = tb.value("uuid_defaults.to_dict('records')")
    assert {d["table_name"] for d in defaults} == {
        "artifacts",
        "kb_documents",
        "kb_embeddings",
        "project_socials",
        "socials",
        "webhook_dlq",
        "webhook_events",
    }
    assert {d["column_default"] for d in defaults} == {"gen_random_uuid()"}


def test_seed_fills_every_table(tb):
    rows = tb.value("{t: int(n) for t, n in zip(counts['table'], counts['rows'])}")
    assert sorted(rows) == TABLES
    assert all(n > 0 for n in rows.values()), rows
    assert sum(rows.values()) == tb.value("loaded['myloware']")


def test_diagram_is_mermaid_and_svg(tb):
    markup = check_diagram(tb, TABLES)
    for parent, child in [("runs", "artifacts"), ("kb_documents", "kb_embeddings"), ("socials", "project_socials")]:
        assert re.search(rf"{parent} \S+ {child}\b", markup), (parent, child)


def test_every_table_is_described_and_queried_schema_qualified(tb):
    check_every_table_walked(tb, NOTEBOOK, "myloware", TABLES)


def test_containment_on_runs_matches_python(tb):
    found = tb.value("sorted(voiceover['run_id'])")
    expected = tb.value(
        "sorted(r['run_id'] for r in explore.query('SELECT run_id, payload FROM myloware.runs').to_dict('records') "
        "if r['payload']['source'] == 'telegram' and r['payload']['options']['voiceover'] is True)"
    )
    assert found and found == expected
    assert tb.value("len(voiceover)") < tb.value("int(counts.set_index('table').at['runs', 'rows'])")


def test_containment_on_artifacts_matches_python(tb):
    found = tb.value("len(citing)")
    expected = tb.value(
        "sum(any(x['path'] == 'shared/policies/ai-disclosure.md' for x in t['results']) for t in explore.query("
        "\"SELECT retrieval_trace FROM myloware.artifacts WHERE retrieval_trace IS NOT NULL\")['retrieval_trace'])"
    )
    assert found > 0 and found == expected
    assert f"{found} retrievals cited" in tb.cell_output_text("contains-artifacts")


def test_replayed_webhook_is_refused_by_the_idempotency_constraint(tb):
    assert tb.value("type(replay_error).__name__") == "UniqueViolation"
    assert tb.value("isinstance(replay_error, psycopg.errors.UniqueViolation)") is True
    assert tb.value("replay_error.diag.constraint_name") == "uq_webhook_events_idempotency"
    text = tb.cell_output_text("replay")
    assert "UniqueViolation on uq_webhook_events_idempotency" in text
    assert 'violates unique constraint "uq_webhook_events_idempotency"' in text
    assert tb.value("replayed") == 0
    # both attempts rolled back: the table holds what the seed loaded
    assert tb.value("int(explore.query('SELECT count(*) FROM myloware.webhook_events').iloc[0, 0])") == tb.value(
        "int(counts.set_index('table').at['webhook_events', 'rows'])"
    )


def test_dlq_queue_is_ordered_by_next_retry_at_as_of_a_fixed_moment(tb):
    assert tb.value("AS_OF == dbkit.seed.END") is True
    rows = tb.value("[(t.isoformat(), s) for t, s in zip(queue['next_retry_at'], queue['state'])]")
    assert tb.value("bool(queue['next_retry_at'].is_monotonic_increasing)") is True
    assert {s for _, s in rows} == {"due now", "later"}
    assert tb.value("bool(((queue['next_retry_at'] <= AS_OF) == (queue['state'] == 'due now')).all())") is True
    given_up = tb.value("int(given_up)")
    total = tb.value("int(counts.set_index('table').at['webhook_dlq', 'rows'])")
    assert len(rows) + given_up == total
    due = sum(s == "due now" for _, s in rows)
    assert f"{due} due now, {len(rows) - due} later, {given_up} given up" in tb.cell_output_text("query-webhook_dlq")


def test_padding_fills_1536_dimensions_with_zeros(tb):
    row = tb.value("padding.iloc[0].astype(float).tolist()")
    vectors, _documents, dims, norm, padding = row
    assert dims == 1536 and padding == 0.0 and norm == pytest.approx(1.0, abs=1e-3)
    assert tb.value("int(counts.set_index('table').at['kb_embeddings', 'rows'])") == vectors


def test_kb_search_returns_the_expected_document(tb):
    assert tb.value("nearest.at[0, 'path']") == "shared/policies/ai-disclosure.md"
    distances = tb.value("[float(d) for d in nearest['distance']]")
    assert distances == sorted(distances)
    checks = tb.value("kb_checks[['expected', 'top_hit']].to_dict('records')")
    assert len(checks) == 3
    assert all(c["top_hit"] == c["expected"] for c in checks), checks
    assert "idx_kb_embeddings_cosine" in tb.ref("plan")
    assert "[…1536 numbers…]" in tb.cell_output_text("kb-plan")


def test_resumable_checkpoints_belong_to_unfinished_runs(tb):
    statuses = set(tb.value("list(resumable['status'])"))
    assert statuses and statuses <= {"pending", "running", "awaiting_approval"}


def test_each_project_has_one_primary_account(tb):
    assert set(tb.value("list(targets['primary_accounts'])")) == {1}
    assert tb.value("len(targets)") == 4


def test_webhook_plot_draws_every_delivery_and_every_dead_letter(tb, seeded_clone):
    check_plot(tb, "plot-webhooks")
    with psycopg.connect(seeded_clone) as conn:
        per_provider = dict(conn.execute("SELECT provider, count(*) FROM myloware.webhook_events GROUP BY provider").fetchall())
        dlq = conn.execute("SELECT count(*), count(*) FILTER (WHERE next_retry_at IS NULL) FROM myloware.webhook_dlq").fetchone()
        weeks = conn.execute(
            "SELECT count(DISTINCT date_trunc('week', received_at AT TIME ZONE 'UTC')) FROM myloware.webhook_events"
        ).fetchone()[0]
        never_given_up_early = conn.execute(
            "SELECT bool_and(retry_count = (SELECT max(retry_count) FROM myloware.webhook_dlq)) FROM myloware.webhook_dlq WHERE next_retry_at IS NULL"
        ).fetchone()[0]
    assert tb.value("{p: int(n) for p, n in weekly.sum().items()}") == per_provider
    assert tb.value("len(weekly)") == weeks
    assert tb.value("int(dead_letters.sum())") == dlq[0]
    assert tb.value("int(retries['waiting'].sum() + retries['given_up'].sum())") == dlq[0]
    assert tb.value("int(retries['given_up'].sum())") == dlq[1] > 0
    assert never_given_up_early  # the bar of given-up entries is the last one
    # drawn: one band per provider, one bar per retry count in each of the two stacks
    assert tb.value("len(left.collections)") == len(per_provider)
    assert tb.value("[len(c) for c in right.containers]") == [tb.value("len(retries)")] * 2
