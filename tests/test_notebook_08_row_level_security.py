"""notebooks/08_row_level_security.ipynb, executed headlessly on the session's database; asserts on real values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit_fixtures import bypasses_rls, without_the_kit
from nbtools import executed

pytestmark = pytest.mark.notebooks
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "08_row_level_security.ipynb"


@pytest.fixture(scope="module")
def tb(seeded_clone):
    with executed(NOTEBOOK, seeded_clone) as notebook:
        yield notebook


def test_two_orgs_see_disjoint_non_empty_sets(tb):
    assert tb.value("len(ids_a)") > 0
    assert tb.value("len(ids_b)") > 0
    assert tb.value("len(ids_a & ids_b)") == 0
    assert tb.value("sorted(set(rows_a['running_as']) | set(rows_b['running_as']))") == ["ibex_app"]
    # each org sees exactly its own rows: the superuser's count per org_id agrees
    assert tb.value("len(ids_a)") == tb.value("int(orgs['memories'].iloc[0])")
    assert tb.value("len(ids_b)") == tb.value("int(orgs['memories'].iloc[1])")


def test_the_explorer_bypasses_rls_and_sees_the_sum(tb, seeded_clone):
    roles = tb.value("roles.set_index('rolname')[['rolsuper', 'rolbypassrls', 'rolcanlogin']].astype(bool).to_dict('index')")
    assert roles["ibex_app"] == {"rolsuper": False, "rolbypassrls": False, "rolcanlogin": True}
    # BYPASSRLS where the kit's role may grant it (a superuser); elsewhere the explorer reads past RLS as the owner
    bypasses = tb.ref("explorer_bypasses")
    assert bypasses is bypasses_rls(seeded_clone)  # the kit's role is a superuser, so may grant BYPASSRLS
    assert roles["dbkit_reader"] == {"rolsuper": False, "rolbypassrls": bypasses, "rolcanlogin": True}
    assert roles["postgres"]["rolsuper"] is True
    org_counts = tb.ref("org_counts")
    assert len(org_counts) >= 2 and all(n > 0 for n in org_counts.values())
    assert tb.ref("explorer_count") == sum(org_counts.values())
    assert tb.ref("explorer_with_context") == tb.ref("explorer_count")


def test_no_context_sees_nothing(tb):
    assert tb.ref("no_context_count") == 0
    assert tb.ref("no_context_orgs") == 0


def test_cross_org_insert_is_refused_by_with_check(tb):
    assert tb.ref("own_org_inserted") == 1
    assert tb.value("type(insert_error).__name__") == "InsufficientPrivilege"
    assert tb.value("insert_error.sqlstate") == "42501"
    assert "row-level security" in tb.value("str(insert_error)")
    # the own-org insert was rolled back: the seeded count is unchanged
    count_now = tb.value("int(explore.query('SELECT count(*) FROM ibex_core.memories').iloc[0, 0])")
    assert count_now == tb.ref("explorer_count")


def test_the_seeds_pattern_lets_code_choose_another_org_and_the_bound_tenant_cannot(tb):
    assert tb.ref("switched_org") == tb.value("int(orgs['memories'].iloc[1])") > 0
    assert tb.ref("tenant_role").startswith("ibex_org_")
    assert tb.ref("tenant_own") == tb.value("int(orgs['memories'].iloc[0])")
    assert tb.ref("tenant_after_switch") == 0
    assert tb.ref("tenant_set_role") == "InsufficientPrivilege"


def test_the_visibility_matrix_is_the_committed_snapshot_and_holds_each_org_to_its_rows(tb, seeded_clone):
    from dbkit import rlsmatrix

    snapshot = rlsmatrix.load(NOTEBOOK.parent.parent / "docs" / "rls" / "ibex_core.json")
    measured = rlsmatrix.Matrix.from_dict(json.loads(tb.value("matrix.to_json()")))
    shown = without_the_kit(measured, seeded_clone)  # measured too where RLS binds it (an ordinary owner)
    assert rlsmatrix.differences(snapshot, shown) == []
    assert len(shown.cells) == 5 * 4 * 11  # ibex_app, ibex_tenant, 3 tenants × none + 3 orgs × 11 tables
    if len(measured.roles) > len(shown.roles):  # the kit's role, bound by FORCE: it sees nothing, whatever is set
        assert all(c.select == 0 for c in measured.cells if c not in shown.cells)
    name_a = tb.value("str(name_a)")
    memories_a = tb.value("int(orgs['memories'].iloc[0])")
    assert shown.cell("ibex_app", name_a, "memories").row()[3:] == [memories_a] * 3  # the same count as the queries above
    assert shown.cell("ibex_app", None, "memories").select == 0
    tenant = tb.ref("tenant_role")
    assert [shown.cell(tenant, org, "memories").select for org in (None, *(n for n, _ in shown.orgs))] == [memories_a] * 4
    assert all(shown.cell("ibex_tenant", org, t).select == 0 for org in (None, name_a) for t in shown.tables)
    rows = tb.value("shown['role'].tolist()")
    assert f"tenant of {name_a}" in rows and "ibex_app" in rows


def test_force_binds_the_owner(tb):
    assert tb.value("bool(without_force['relforcerowsecurity'])") is False
    assert tb.value("bool(with_force['relforcerowsecurity'])") is True
    total, policy_rows = tb.ref("total_notes"), tb.ref("policy_rows")
    assert 0 < policy_rows < total
    assert tb.ref("owner_sees_without_force") == total
    assert tb.ref("owner_sees_with_force") == policy_rows
    assert tb.ref("explorer_sees_with_force") == total


def test_scratch_schema_and_role_are_dropped(tb):
    assert tb.ref("left") == 0
