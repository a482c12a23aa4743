"""notebooks/03_orchestrator.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from nbtools import check_diagram, check_every_table_walked, check_plot, executed, source

from dbkit.registry import SQL_DIR

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_orchestrator.ipynb"
TABLES = ["agent_logs", "agents", "orchestrator_agents", "orchestrator_chat", "prompts", "system_logs"]


def _source(tag: str) -> str:
    return source(NOTEBOOK, tag)


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_ledger_lists_every_orchestrator_file(tb):
    files = sorted(p.name for p in (SQL_DIR / "orchestrator").glob("*.sql"))
    assert len(files) == 10  # the seed's 0000-0008 and the kit's 0009 (a fixed search_path, from lint)
    assert tb.value("list(ledger['name'])") == files
    assert tb.value("len(dbkit.plan(schemas=['orchestrator']))") == 0


def test_files_rerun_by_hand_change_nothing(tb):
    assert tb.value("len(files)") == 10
    assert tb.value("list(rerun['rows'] == rerun['rows_after_rerun'])") == [True] * len(TABLES)
    notices = tb.ref("notices")
    assert any(n == 'relation "agent_logs" already exists, skipping' for n in notices)
    assert "10 files ran again" in tb.cell_output_text("rerun")


def test_seed_fills_every_table(tb):
    rows = tb.value("{t: int(n) for t, n in zip(counts['table'], counts['rows'])}")
    assert sorted(rows) == TABLES
    assert all(n > 0 for n in rows.values()), rows
    assert sum(rows.values()) == tb.value("loaded['orchestrator']")


def test_diagram_is_mermaid_and_svg(tb):
    markup = check_diagram(tb, TABLES)
    assert re.search(r"orchestrator_agents \S+ agents", markup)


def test_every_table_is_described_and_queried_schema_qualified(tb):
    check_every_table_walked(tb, NOTEBOOK, "orchestrator", TABLES)


def test_log_tail_is_one_agents_latest_events_newest_first(tb):
    stamps = tb.value("[t.isoformat() for t in tail['timestamp']]")
    assert len(stamps) == 15
    assert stamps == sorted(stamps, reverse=True)
    # nothing of that agent is newer than the head of the tail, and it is the newest event of all
    newest = tb.value(
        "explore.query('SELECT max(timestamp) FROM orchestrator.agent_logs WHERE agent_id = %s', "
        "[last_agent.at[0, 'id']]).iloc[0, 0].isoformat()"
    )
    overall = tb.value("explore.query('SELECT max(timestamp) FROM orchestrator.agent_logs').iloc[0, 0].isoformat()")
    assert stamps[0] == newest == overall
    tools = tb.value("sorted(set(tail['tool_name'].dropna()))")
    assert tools and set(tools) <= {"Bash", "Read", "Edit", "Grep", "Glob", "Write", "TodoWrite", "Task", "WebFetch"}


def test_cost_rollups_equal_the_sum_of_agents_costs(tb):
    total = tb.value("str(explore.query('SELECT sum(total_cost) FROM orchestrator.agents').iloc[0, 0])")
    assert tb.value("str(sum(per_session['agents_cost']))") == total
    assert tb.value("str(sum(per_model['total_cost']))") == total
    assert tb.value("int(per_session['agents'].sum())") == tb.value("len(agents)")
    assert tb.value("bool((per_session['own_cost'] + per_session['agents_cost'] == per_session['session_cost']).all())")
    tokens = tb.value("int(explore.query('SELECT sum(input_tokens) FROM orchestrator.agents').iloc[0, 0])")
    assert tb.value("int(per_model['input_tokens'].sum())") == tokens == tb.value("int(per_session['input_tokens'].sum())")
    assert f"agents spent {total} USD in all" in tb.cell_output_text("costs-by-model")


def test_agent_tokens_are_the_usage_in_their_logs(tb):
    assert tb.value("bool((usage['input_tokens'] == usage['logged_input']).all())")
    assert tb.value("bool((usage['output_tokens'] == usage['logged_output']).all())")
    assert tb.value("len(usage)") == tb.value("len(agents)")


def test_trigger_sets_updated_at_to_the_transactions_now(tb):
    assert tb.value("after == transaction_now") is True
    assert tb.value("after > before") is True
    assert tb.value("still == before") is True  # rolled back
    assert "equal to now(): True" in tb.cell_output_text("trigger")


def test_chat_names_the_agent_exactly_when_one_takes_part(tb):
    rows = tb.value("parties.to_dict('records')")
    assert rows
    for row in rows:
        expected = row["messages"] if "agent" in (row["sender_type"], row["receiver_type"]) else 0
        assert row["with_agent_id"] == expected


def test_the_seeds_36_indexes(tb):
    assert tb.value("index_count.iloc[0].tolist()") == [36, 6]


def test_cost_plot_stacks_each_models_cost_by_month(tb, seeded_clone):
    check_plot(tb, "plot-costs")
    by_month = tb.value("{str(m): {k: round(v, 4) for k, v in row.items()} for m, row in cost_by_month.to_dict('index').items()}")
    months = sorted(by_month)
    # every month from the first agent to the last, quiet ones as zeros, so the x axis is time
    first, last = months[0], months[-1]
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
    assert len(months) == span and all(m.endswith("-01") for m in months)
    with psycopg.connect(seeded_clone) as conn:
        per_model = dict(conn.execute("SELECT model, sum(total_cost)::float FROM orchestrator.agents GROUP BY model").fetchall())
        started = {
            str(m)
            for (m,) in conn.execute(
                "SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC')::date FROM orchestrator.agents"
            )
        }
    for model, total in per_model.items():
        assert sum(row[model] for row in by_month.values()) == pytest.approx(total, abs=0.01)
    assert {m for m, row in by_month.items() if sum(row.values()) > 0} == started
    # the drawn bars are the frame's values, one stack per model in the legend's order (costliest first)
    heights = tb.value("[[round(b.get_height(), 4) for b in bars] for bars in ax.containers]")
    models = tb.value("list(cost_by_month.columns)")
    assert models == sorted(per_model, key=per_model.get, reverse=True)
    assert heights == [[by_month[m][model] for m in months] for model in models]
