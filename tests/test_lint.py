"""dbkit lint: every rule fires on a small schema of its own and stays quiet on the fixed one; the five schemas lint
clean with every remaining finding accepted for a reason; acceptances without a reason, or stale, are reported."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import dbkit
from dbkit.errors import ConfigError, NotFoundError, UsageError
from dbkit.lint import RULES, Findings, lint

ROOT = Path(__file__).resolve().parent.parent
KIT_CONFIG = ROOT / "dbkit-lint.toml"


@dataclass(frozen=True)
class Case:
    bad: str  # SQL run with the case's schema first on search_path
    fixed: str
    object: str  # the object the finding names, `{s}` for the schema
    queries: tuple[str, ...] = ()  # evidence, `{s}` for the schema
    then_fails: str = ""  # run after `bad`, meant to fail: what leaves the schema broken


def _columns(n: int) -> str:
    return ", ".join(["id bigint PRIMARY KEY", *(f"c{i} int" for i in range(1, n))])


TENANT = """
    CREATE TABLE a (id int PRIMARY KEY, org_id uuid NOT NULL);
    CREATE TABLE b (id int PRIMARY KEY, org_id uuid NOT NULL);
    ALTER TABLE a ENABLE ROW LEVEL SECURITY;
    ALTER TABLE b ENABLE ROW LEVEL SECURITY;
    CREATE POLICY a_org ON a USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);
    CREATE POLICY b_org ON b USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);
    CREATE TABLE c (id int PRIMARY KEY, org_id uuid NOT NULL);
"""
POLICY_TABLE = "CREATE TABLE t (id int PRIMARY KEY, org_id uuid); ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
TOUCH = """
    CREATE TABLE t (id int PRIMARY KEY, n int);
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
"""
ITEMS = "CREATE TABLE items (id bigint PRIMARY KEY, active boolean NOT NULL DEFAULT true, embedding vector(3));"
ROWS = "INSERT INTO items SELECT g, true, ARRAY[g, g % 7, g % 3]::vector FROM generate_series(1, 60) g;"
NEAREST = "SELECT id FROM {s}.items ORDER BY embedding <-> $1 LIMIT 5"
DEFINER = "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT 1';"

CASES: dict[str, Case] = {
    "table-without-primary-key": Case("CREATE TABLE t (a int);", "CREATE TABLE t (a int PRIMARY KEY);", "{s}.t"),
    "fk-without-index": Case(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p);",
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p);"
        "CREATE INDEX c_p_id ON c (p_id);",
        "{s}.c.p_id",
    ),
    "probable-missing-fk": Case(
        "CREATE TABLE chains (id uuid PRIMARY KEY); CREATE TABLE history (id uuid PRIMARY KEY, chain_id uuid NOT NULL);",
        "CREATE TABLE chains (id uuid PRIMARY KEY); CREATE TABLE history (id uuid PRIMARY KEY, chain_id uuid REFERENCES chains);",
        "{s}.history.chain_id",
    ),
    "fk-type-mismatch": Case(
        "CREATE TABLE p (id bigint PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p);",
        "CREATE TABLE p (id bigint PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id bigint REFERENCES p);",
        "{s}.c.p_id",
    ),
    "constraint-not-validated": Case(
        "CREATE TABLE t (id int PRIMARY KEY, n int); ALTER TABLE t ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;",
        "CREATE TABLE t (id int PRIMARY KEY, n int); ALTER TABLE t ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;"
        "ALTER TABLE t VALIDATE CONSTRAINT n_positive;",
        "{s}.t.n_positive",
    ),
    "duplicate-index": Case(
        "CREATE TABLE t (id int PRIMARY KEY, b int); CREATE INDEX t_b ON t (b); CREATE INDEX t_b_again ON t (b);",
        "CREATE TABLE t (id int PRIMARY KEY, b int); CREATE INDEX t_b ON t (b); CREATE INDEX t_b_desc ON t (b) WHERE b > 0;",
        "{s}.t.t_b_again",
    ),
    "redundant-index": Case(
        "CREATE TABLE t (id int PRIMARY KEY, b int, c int); CREATE INDEX t_b ON t (b); CREATE INDEX t_b_c ON t (b, c);",
        "CREATE TABLE t (id int PRIMARY KEY, b int, c int); CREATE INDEX t_b_c ON t (b, c); CREATE INDEX t_c ON t (c);",
        "{s}.t.t_b",
    ),
    "invalid-index": Case(
        "CREATE TABLE t (id int PRIMARY KEY, b int); INSERT INTO t VALUES (1, 7), (2, 7);",
        "CREATE TABLE t (id int PRIMARY KEY, b int); INSERT INTO t VALUES (1, 7), (2, 8);"
        "CREATE UNIQUE INDEX CONCURRENTLY t_b ON t (b);",
        "{s}.t.t_b",
        then_fails="CREATE UNIQUE INDEX CONCURRENTLY t_b ON t (b)",  # the duplicate 7 stops it half-way: invalid
    ),
    "nullable-unique-column": Case(
        "CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE);",
        "CREATE TABLE t (id int PRIMARY KEY, code text NOT NULL UNIQUE, key text, other text UNIQUE NULLS NOT DISTINCT);"
        "CREATE UNIQUE INDEX t_key ON t (key) WHERE key IS NOT NULL;",
        "{s}.t.code",
    ),
    "table-without-comment": Case(
        "CREATE TABLE t (id int PRIMARY KEY);",
        "CREATE TABLE t (id int PRIMARY KEY); COMMENT ON TABLE t IS 'One row per thing.';",
        "{s}.t",
    ),
    "column-without-comment": Case(
        "CREATE TABLE t (id int PRIMARY KEY);",
        "CREATE TABLE t (id int PRIMARY KEY); COMMENT ON COLUMN t.id IS 'The thing.';",
        "{s}.t.id",
    ),
    "too-many-columns": Case(f"CREATE TABLE t ({_columns(31)});", f"CREATE TABLE t ({_columns(30)});", "{s}.t"),
    "identifier-needs-quoting": Case(
        'CREATE TABLE t (id int PRIMARY KEY, "user" text, "Name" text);',
        "CREATE TABLE t (id int PRIMARY KEY, user_name text, name text);",
        "{s}.t.user",
    ),
    "timestamp-without-time-zone": Case(
        "CREATE TABLE t (id int PRIMARY KEY, at timestamp(3));",
        "CREATE TABLE t (id int PRIMARY KEY, at timestamptz);",
        "{s}.t.at",
    ),
    "varchar-without-reason": Case(
        "CREATE TABLE t (id int PRIMARY KEY, code varchar(20));", "CREATE TABLE t (id int PRIMARY KEY, code text);", "{s}.t.code"
    ),
    "char-type": Case(
        "CREATE TABLE t (id int PRIMARY KEY, c char(3));", "CREATE TABLE t (id int PRIMARY KEY, c text);", "{s}.t.c"
    ),
    "money-type": Case(
        "CREATE TABLE t (id int PRIMARY KEY, price money);",
        "CREATE TABLE t (id int PRIMARY KEY, price numeric(12, 2));",
        "{s}.t.price",
    ),
    "serial-column": Case(
        "CREATE TABLE t (id serial PRIMARY KEY);",
        "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);",
        "{s}.t.id",
    ),
    "int4-primary-key": Case(
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "{s}.t.id",
    ),
    "json-type": Case(
        "CREATE TABLE t (id int PRIMARY KEY, doc json);", "CREATE TABLE t (id int PRIMARY KEY, doc jsonb);", "{s}.t.doc"
    ),
    "rls-without-policies": Case(POLICY_TABLE, POLICY_TABLE + "CREATE POLICY t_some ON t USING (id > 0);", "{s}.t"),
    "policies-without-rls": Case(
        "CREATE TABLE t (id int PRIMARY KEY); CREATE POLICY t_some ON t USING (id > 0);",
        "CREATE TABLE t (id int PRIMARY KEY); CREATE POLICY t_some ON t USING (id > 0); ALTER TABLE t ENABLE ROW LEVEL SECURITY;",
        "{s}.t",
    ),
    "rls-not-forced": Case(
        POLICY_TABLE + "CREATE POLICY t_org ON t USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);",
        POLICY_TABLE + "CREATE POLICY t_org ON t USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);"
        "ALTER TABLE t FORCE ROW LEVEL SECURITY;",
        "{s}.t",
    ),
    "rls-missing-on-tenant-table": Case(
        TENANT,
        TENANT + "ALTER TABLE c ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY c_org ON c USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);",
        "{s}.c",
    ),
    "policy-current-setting-not-missing-ok": Case(
        POLICY_TABLE + "CREATE POLICY t_org ON t USING (org_id = current_setting('app.org')::uuid);",
        POLICY_TABLE + "CREATE POLICY t_org ON t USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);",
        "{s}.t.t_org",
    ),
    "policy-setting-cast-without-nullif": Case(
        POLICY_TABLE + "CREATE POLICY t_org ON t USING (org_id = current_setting('app.org', true)::uuid);",
        POLICY_TABLE + "CREATE POLICY t_org ON t USING (org_id = NULLIF(current_setting('app.org', true), '')::uuid);",
        "{s}.t.t_org",
    ),
    "policy-always-true": Case(
        POLICY_TABLE + "CREATE POLICY t_all ON t USING (true);",
        POLICY_TABLE + "CREATE POLICY t_all ON t AS RESTRICTIVE USING (true); CREATE POLICY t_some ON t USING (id > 0);",
        "{s}.t.t_all",
    ),
    "security-definer-search-path": Case(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';", DEFINER, "{s}.f()"
    ),
    "function-search-path-mutable": Case(
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a + 1';",
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT a + 1';",
        "{s}.f(a integer)",
    ),
    "security-definer-public-execute": Case(DEFINER, DEFINER + "REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;", "{s}.f()"),
    "trigger-disabled": Case(TOUCH + "ALTER TABLE t DISABLE TRIGGER t_touch;", TOUCH, "{s}.t.t_touch"),
    "vector-without-ann-index": Case(
        ITEMS, ITEMS + "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops);", "{s}.items.embedding"
    ),
    "vector-without-dimensions": Case(
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector);",
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));",
        "{s}.items.embedding",
    ),
    "vector-too-wide-for-ann": Case(
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector(2001));",
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector(2001));"
        "CREATE INDEX items_half ON items USING hnsw ((embedding::halfvec(2001)) halfvec_cosine_ops);",
        "{s}.items.embedding",
    ),
    "vector-opclass-mismatch": Case(
        ITEMS + "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_cosine_ops);",
        ITEMS + "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops);",
        "{s}.items.embedding",
        (NEAREST,),
    ),
    "ann-index-partial-predicate": Case(
        ITEMS + "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops) WHERE active;",
        ITEMS + "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops) WHERE active;",
        "{s}.items.items_hnsw",
        (NEAREST,),
    ),
    "ivfflat-built-empty": Case(
        ITEMS + "CREATE INDEX items_ivf ON items USING ivfflat (embedding vector_l2_ops) WITH (lists = 2);" + ROWS,
        ITEMS + ROWS + "CREATE INDEX items_ivf ON items USING ivfflat (embedding vector_l2_ops) WITH (lists = 2);",
        "{s}.items.items_ivf",
    ),
    "jsonb-containment-without-gin": Case(
        "CREATE TABLE docs (id int PRIMARY KEY, doc jsonb, tags text[]);",
        "CREATE TABLE docs (id int PRIMARY KEY, doc jsonb, tags text[]);"
        "CREATE INDEX docs_doc ON docs USING gin (doc jsonb_path_ops); CREATE INDEX docs_tags ON docs USING gin (tags);",
        "{s}.docs.doc",
        ("SELECT id FROM {s}.docs d WHERE d.doc @> $1 AND $2 <@ tags",),
    ),
    "json-containment-needs-jsonb": Case(
        "CREATE TABLE docs (id int PRIMARY KEY, doc json);",
        "CREATE TABLE docs (id int PRIMARY KEY, doc jsonb);",
        "{s}.docs.doc",
        ("SELECT id FROM {s}.docs WHERE doc::jsonb @> $1",),
    ),
}
# The fixed version of the partial-predicate case asks the index's question the way the index holds it.
FIXED_QUERIES = {"ann-index-partial-predicate": ("SELECT id FROM {s}.items WHERE active ORDER BY embedding <-> $1 LIMIT 5",)}


def _schema(rule: str, side: str) -> str:
    return f"{side}_{rule.replace('-', '_')}"[:63]


def _run(conn: psycopg.Connection, text: str) -> None:
    from dbkit.sqltext import split

    for statement in split(text):  # one by one, in autocommit: CREATE INDEX CONCURRENTLY needs it
        conn.execute(statement.text)


@pytest.fixture(scope="module")
def rules_db(pg_url):
    """One database, two schemas per rule: `bad_<rule>` where it fires, `ok_<rule>` where it is fixed."""
    from conftest import create_database, drop_database

    url = create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public")
        for rule, case in CASES.items():
            for side, text in (("bad", case.bad), ("ok", case.fixed)):
                schema = _schema(rule, side)
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema)))
                _run(conn, text)
                if side == "bad" and case.then_fails:
                    with pytest.raises(psycopg.Error):
                        conn.execute(case.then_fails)
        conn.execute("RESET search_path")
    yield url
    dbkit.db.forget()
    drop_database(url)


@pytest.fixture(scope="module")
def quiet_config(tmp_path_factory) -> Path:
    """A configuration with no acceptances and no evidence, so only each case's own queries count."""
    path = tmp_path_factory.mktemp("lint") / "dbkit-lint.toml"
    path.write_text("[settings]\nevidence = []\n")
    return path


def _found(findings: Findings, rule: str) -> list[str]:
    return sorted(findings[findings["rule"] == rule]["object"])


def test_every_rule_has_a_case_and_there_are_at_least_thirty():
    assert set(CASES) == set(RULES)
    assert len(RULES) >= 30
    for rule in RULES.values():
        assert rule.why and rule.fix and rule.severity in ("error", "warning", "info"), rule.id


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_its_schema_and_is_quiet_on_the_fixed_one(rule, rules_db, quiet_config):
    case = CASES[rule]
    bad, ok = _schema(rule, "bad"), _schema(rule, "ok")
    found = lint(bad, rules_db, quiet_config, queries=[q.format(s=bad) for q in case.queries])
    assert case.object.format(s=bad) in _found(found, rule), found[["rule", "object", "message"]].to_string()
    row = found[found["rule"] == rule].iloc[0]
    assert row["severity"] == RULES[rule].severity and row["why"] == RULES[rule].why and row["fix"] == RULES[rule].fix
    assert not row["accepted"] and row["message"]
    fixed_queries = FIXED_QUERIES.get(rule, case.queries)
    quiet = lint(ok, rules_db, quiet_config, queries=[q.format(s=ok) for q in fixed_queries])
    assert _found(quiet, rule) == [], quiet[["rule", "object", "message"]].to_string()


def test_the_array_side_of_containment_is_checked_too(rules_db, quiet_config):
    bad = _schema("jsonb-containment-without-gin", "bad")
    found = lint(bad, rules_db, quiet_config, queries=[CASES["jsonb-containment-without-gin"].queries[0].format(s=bad)])
    assert f"{bad}.docs.tags" in _found(found, "jsonb-containment-without-gin")


def test_findings_are_a_result_frame_sorted_errors_first(rules_db, quiet_config):
    found = lint([_schema("fk-type-mismatch", "bad"), _schema("column-without-comment", "bad")], rules_db, quiet_config)
    assert isinstance(found, Findings) and isinstance(found, dbkit.display.Result)
    assert list(found.columns) == ["rule", "severity", "object", "message", "why", "fix", "accepted", "reason"]
    order = {"error": 0, "warning": 1, "info": 2}
    assert list(found["severity"].map(order)) == sorted(found["severity"].map(order))
    assert "error" in found.summary() and len(found.failing()) >= 1
    assert "<table" in found._repr_html_()


def test_lint_is_callable_as_the_module_and_as_its_function(rules_db, quiet_config):
    from dbkit import lint as module

    schema = _schema("char-type", "bad")
    assert callable(module) and module is dbkit.lint
    assert module(schema, rules_db, quiet_config).equals(dbkit.lint.lint(schema, rules_db, quiet_config))
    assert "lint" not in dbkit.__all__
    assert list(dbkit.lint.rules()["rule"]) == [r.id for r in dbkit.lint.all_rules()]


def test_registry_names_select_their_schema_and_unknown_names_are_refused(rules_db, quiet_config, seeded_db):
    assert lint("ibex", seeded_db, quiet_config).attrs["schemas"] == ["ibex_core"]
    with pytest.raises(NotFoundError, match="has no schema 'nope'; its schemas: .*bad_char_type"):
        lint("nope", rules_db, quiet_config)


def test_sqlite_is_refused_in_one_line(tmp_path):
    from dbkit.migrate import migrate

    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    with pytest.raises(UsageError, match="reads PostgreSQL catalogs"):
        lint(url=url)


# -- the five schemas ------------------------------------------------------------------------------


def test_the_five_schemas_lint_clean_with_every_finding_accepted_for_a_reason(cli, seeded_db):
    ran = cli("lint", "--url", seeded_db, "--config", str(KIT_CONFIG), "--strict")
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "0 errors, 0 warnings, 0 info open" in ran.stdout
    found = lint(None, seeded_db, KIT_CONFIG)
    assert {"ibex_core", "iris", "myloware", "orchestrator", "syris"} <= set(found.attrs["schemas"])
    assert len(found.open()) == 0 and found["accepted"].all() and found["reason"].str.len().min() > 20
    assert "stale-acceptance" not in set(found["rule"])


def test_accepted_findings_show_their_reasons(cli, seeded_db):
    found = lint("iris", seeded_db, KIT_CONFIG)
    row = found[(found["rule"] == "probable-missing-fk") & (found["object"] == "iris.execution_history.chain_id")].iloc[0]
    assert row["accepted"] and "History outlives the chains" in row["reason"]
    ran = cli("lint", "iris", "--url", seeded_db, "--config", str(KIT_CONFIG), "--show-accepted")
    assert "accepted warning  probable-missing-fk: iris.execution_history.chain_id" in ran.stdout
    assert "reason: History outlives the chains it records" in ran.stdout


def test_the_fixes_are_in_the_schemas(seeded_db):
    """What lint found in the five schemas and new migrations fixed: GIN for @>, pinned search_path."""
    from dbkit import catalog

    runs = catalog.table("myloware", "runs", seeded_db)
    assert any(i.method == "gin" and i.opclasses == ("jsonb_path_ops",) for i in runs.indexes)
    for schema, function in (("ibex_core", "set_updated_at"), ("orchestrator", "agents_set_updated_at"),
                             ("syris", "audit_events_append_only")):  # fmt: skip
        found = next(f for f in catalog.schema(schema, seeded_db).functions if f.name == function)
        assert "search_path=pg_catalog, pg_temp" in found.config


# -- the configuration -------------------------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dbkit-lint.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_an_acceptance_without_a_reason_is_refused(cli, rules_db, tmp_path):
    schema = _schema("char-type", "bad")
    path = _config(tmp_path, f'[[accept]]\nrule = "char-type"\nobject = "{schema}.t.c"\n')
    with pytest.raises(ConfigError, match=r"\[\[accept\]\] 1 accepts char-type for bad_char_type.t.c without a reason"):
        lint(schema, rules_db, path)
    ran = cli("lint", schema, "--url", rules_db, "--config", str(path))
    assert ran.code == 1 and len(ran.lines) == 1 and "without a reason" in ran.stderr
    blank = _config(tmp_path, f'[[accept]]\nrule = "char-type"\nobject = "{schema}.t.c"\nreason = "  "\n')
    with pytest.raises(ConfigError, match="without a reason"):
        lint(schema, rules_db, blank)


def test_an_acceptance_covers_its_object_and_a_stale_one_is_reported(cli, rules_db, tmp_path):
    schema = _schema("char-type", "bad")
    path = _config(
        tmp_path,
        f"""
        [settings]
        evidence = []

        [[accept]]
        rule = "char-type"
        object = "{schema}.*"
        reason = "fixed-width codes from a mainframe export"

        [[accept]]
        rule = "money-type"
        object = "{schema}.t.c"
        reason = "was true once"

        [[accept]]
        rule = "money-type"
        object = "elsewhere.t.price"
        reason = "about a schema this run does not lint"
        """,
    )
    found = lint(schema, rules_db, path)
    accepted = found[found["rule"] == "char-type"].iloc[0]
    assert accepted["accepted"] and accepted["reason"] == "fixed-width codes from a mainframe export"
    stale = found[found["rule"] == "stale-acceptance"]
    assert list(stale["object"]) == [f"{schema}.t.c"] and "nothing matches it any more" in stale.iloc[0]["message"]
    assert cli("lint", schema, "--url", rules_db, "--config", str(path)).code == 0
    assert cli("lint", schema, "--url", rules_db, "--config", str(path), "--strict").code == 1  # the stale one is a warning


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[accept]]\nrule = "no-such-rule"\nobject = "a.b"\nreason = "r"\n', "unknown rule 'no-such-rule'"),
        ("[settings]\nmax_colums = 3\n", "unknown setting 'max_colums'"),
        ("[settings]\nmax_columns = 0\n", "max_columns must be a whole number"),
        ('[settings]\ndisable = "char-type"\n', "disable must be a list of strings"),
        ('[[accept]]\nrule = "char-type"\nobject = "a.b"\nreason = "r"\nwhy = "x"\n', "unknown key 'why'"),
        ("[accept\n", "fix the TOML"),
        ("[lint]\n", "unknown key 'lint'"),
    ],
)
def test_a_wrong_configuration_is_refused_in_one_line(rules_db, tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        lint(_schema("char-type", "bad"), rules_db, _config(tmp_path, text))


def test_settings_disable_rules_and_set_the_width(rules_db, tmp_path):
    schema = _schema("too-many-columns", "bad")
    assert (
        _found(lint(schema, rules_db, _config(tmp_path, "[settings]\nmax_columns = 40\nevidence = []\n")), "too-many-columns")
        == []
    )
    disabled = lint(schema, rules_db, _config(tmp_path, '[settings]\ndisable = ["too-many-columns"]\nevidence = []\n'))
    assert _found(disabled, "too-many-columns") == []


def test_a_missing_configuration_path_is_refused(rules_db, tmp_path):
    with pytest.raises(ConfigError, match="no lint configuration at"):
        lint(_schema("char-type", "bad"), rules_db, tmp_path / "nope.toml")


# -- the command ---------------------------------------------------------------------------------------


def test_exit_status_is_one_on_errors_and_with_strict_on_warnings(cli, rules_db, quiet_config):
    error = cli("lint", _schema("fk-type-mismatch", "bad"), "--url", rules_db, "--config", str(quiet_config))
    assert error.code == 1 and "error    fk-type-mismatch (1)" in error.stdout and "why: " in error.stdout
    warning = _schema("char-type", "bad")
    assert cli("lint", warning, "--url", rules_db, "--config", str(quiet_config)).code == 0
    strict = cli("lint", warning, "--url", rules_db, "--config", str(quiet_config), "--strict")
    assert strict.code == 1 and strict.stdout.splitlines()[-1].startswith(f"lint: {warning}: 0 errors, 2 warnings")


def test_rules_lists_every_rule_with_its_severity(cli):
    ran = cli("lint", "--rules")
    assert ran.code == 0
    for rule in RULES.values():
        assert any(line.split()[:2] == [rule.id, rule.severity] for line in ran.stdout.splitlines()), rule.id
    assert "measured-table-rewrite" in ran.stdout


def test_options_of_migrations_need_migrations(cli):
    ran = cli("lint", "--all")
    assert ran.code == 1 and "go with --migrations" in ran.stderr and len(ran.lines) == 1


# -- evidence --------------------------------------------------------------------------------------------


def _notebook(path: Path, *cells: str) -> Path:
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    path.write_text(json.dumps(nb))
    return path


def test_notebooks_are_evidence_through_magics_and_python_strings(cli, rules_db, quiet_config, tmp_path):
    schema = _schema("jsonb-containment-without-gin", "bad")
    notebook = _notebook(
        tmp_path / "look.ipynb",
        f"%%sql rows <<\nSELECT id FROM {schema}.docs WHERE doc @> :wanted",
        f'explore.query("SELECT id FROM {schema}.docs AS x WHERE x.tags && %s", [["a"]])\n%time 1',
        "this is not python (",
    )
    found = lint(schema, rules_db, quiet_config, evidence_paths=[notebook])
    assert _found(found, "jsonb-containment-without-gin") == [f"{schema}.docs.doc", f"{schema}.docs.tags"]
    assert "look.ipynb cell 1" in found[found["object"] == f"{schema}.docs.doc"].iloc[0]["message"]
    ran = cli("lint", schema, "--url", rules_db, "--config", str(quiet_config), "--evidence", str(notebook))
    assert "look.ipynb" in ran.stdout and "evidence:" in ran.stdout


def test_uses_are_read_by_postgres_own_parser():
    from dbkit.lint.evidence import uses_in
    from dbkit.lint.parsing import conjuncts

    (use,) = uses_in("SELECT 1 FROM s.t AS a JOIN u ON true WHERE $1 @> a.doc AND a.x = 'it''s @>'", "here")
    assert (use.operator, use.column, use.qualifier) == ("<@", "doc", "a")  # `$1 @> doc` is doc contained in $1
    assert use.on("s", "t", ["doc"]) and not use.on("s", "u", ["doc"]) and not use.on("other", "t", ["doc"])
    assert uses_in("not sql at all @>", "x") == [] and uses_in("SELECT '@>' AS text", "x") == []
    assert conjuncts("(status)::text = 'active'::text AND deleted_at IS NULL") == conjuncts(
        "m.status = 'active' AND (m.deleted_at IS NULL)"
    )


def test_pg_stat_statements_is_read_only_when_installed(fresh_db, quiet_config):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.docs (id int PRIMARY KEY, doc jsonb)")
    assert "pg_stat_statements: not installed in this database" in lint("public", fresh_db, quiet_config).attrs["evidence"]
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        if not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            # Only a superuser may install it (a managed server's administrator does): the kit's role is refused
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("CREATE EXTENSION pg_stat_statements")
            return
        conn.execute("CREATE EXTENSION pg_stat_statements")
    dbkit.db.forget()
    notes = lint("public", fresh_db, quiet_config).attrs["evidence"]
    assert any(n.startswith("pg_stat_statements: ") and "not installed" not in n for n in notes), notes


def test_an_index_built_before_its_rows_is_found_while_other_sessions_write(rules_db, quiet_config, monkeypatch):
    """age() counts from the current transaction: other sessions' transactions between reading the catalog and
    sampling the rows must not make the rows look older than the index (the rule once compared across the two)."""
    from dbkit.lint import _vectors

    sample = _vectors._rows_after

    def meanwhile(ctx, table, index):
        with psycopg.connect(rules_db, autocommit=True) as other:
            for _ in range(20):
                other.execute("SELECT txid_current()")
        return sample(ctx, table, index)

    monkeypatch.setattr(_vectors, "_rows_after", meanwhile)
    bad, ok = _schema("ivfflat-built-empty", "bad"), _schema("ivfflat-built-empty", "ok")
    assert f"{bad}.items.items_ivf" in _found(lint(bad, rules_db, quiet_config), "ivfflat-built-empty")
    assert _found(lint(ok, rules_db, quiet_config), "ivfflat-built-empty") == []
