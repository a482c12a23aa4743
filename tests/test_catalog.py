"""The one catalog layer: typed records of a live schema, on PostgreSQL and SQLite, for schemas the kit never wrote."""

from __future__ import annotations

import textwrap

import psycopg
import pytest

from dbkit import NotFoundError, catalog

# A schema the repository has never seen: every kind of object the catalog reports.
UNSEEN = textwrap.dedent("""
    CREATE SCHEMA "Odd Shop";
    COMMENT ON SCHEMA "Odd Shop" IS 'A shop with awkward names.';
    CREATE TABLE "Odd Shop".customers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email varchar(200) NOT NULL UNIQUE,
        tags text[] NOT NULL DEFAULT '{}',
        seen timestamptz,
        born timestamp,
        score numeric(4,3) CHECK (score BETWEEN 0 AND 1),
        full_name text GENERATED ALWAYS AS (email || '!') STORED
    );
    COMMENT ON TABLE "Odd Shop".customers IS 'People who buy.';
    COMMENT ON COLUMN "Odd Shop".customers.email IS 'Where receipts go.';
    CREATE TABLE "Odd Shop"."Order Lines" (
        customer_id bigint NOT NULL REFERENCES "Odd Shop".customers (id) ON DELETE CASCADE ON UPDATE RESTRICT,
        line int NOT NULL,
        doc jsonb,
        PRIMARY KEY (customer_id, line)
    );
    CREATE INDEX lines_doc ON "Odd Shop"."Order Lines" USING gin (doc jsonb_path_ops) WHERE doc IS NOT NULL;
    ALTER TABLE "Odd Shop"."Order Lines" ENABLE ROW LEVEL SECURITY;
    CREATE POLICY only_mine ON "Odd Shop"."Order Lines" AS RESTRICTIVE FOR SELECT TO PUBLIC USING (line > 0);
    CREATE FUNCTION "Odd Shop".touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER touch_lines BEFORE INSERT OR UPDATE ON "Odd Shop"."Order Lines" FOR EACH ROW EXECUTE FUNCTION "Odd Shop".touch();
    CREATE VIEW "Odd Shop".emails AS SELECT email FROM "Odd Shop".customers;
    CREATE TABLE public.elsewhere (customer_id bigint REFERENCES "Odd Shop".customers (id) ON DELETE SET NULL);
""")


@pytest.fixture(scope="module")
def shop(pg_url):
    from conftest import create_database, drop_database

    url = create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(UNSEEN)
    yield url
    from dbkit import db

    db.forget()
    drop_database(url)


def test_schemas_lists_user_schemas_with_comments(shop):
    found = {s.name: s for s in catalog.schemas(shop)}
    assert found["Odd Shop"].comment == "A shop with awkward names." and found["Odd Shop"].tables == 3
    assert "pg_catalog" not in found and "information_schema" not in found


def test_columns_carry_real_types_defaults_identity_and_generation(shop):
    customers = catalog.table("Odd Shop", "customers", shop)
    types = {c.name: c.type for c in customers.columns}
    assert types == {"id": "bigint", "email": "varchar(200)", "tags": "text[]", "seen": "timestamptz", "born": "timestamp",
                     "score": "numeric(4,3)", "full_name": "text"}  # fmt: skip
    assert [c.name for c in customers.columns] == ["id", "email", "tags", "seen", "born", "score", "full_name"]
    assert customers.column("id").identity == "always" and not customers.column("email").nullable
    assert customers.column("tags").default == "'{}'::text[]" and customers.column("full_name").generated
    assert customers.comment == "People who buy." and customers.column("email").comment == "Where receipts go."


def test_constraints_with_check_expressions_and_foreign_key_actions(shop):
    customers = catalog.table("Odd Shop", "customers", shop)
    kinds = sorted(k.kind for k in customers.constraints)
    assert kinds == ["check", "primary key", "unique"]
    check = next(k for k in customers.constraints if k.kind == "check")
    assert "score >= 0" in check.expression and check.columns == ("score",)
    lines = catalog.table("Odd Shop", "Order Lines", shop)
    (fk,) = lines.foreign_keys
    assert (fk.columns, fk.target, fk.ref_columns, fk.on_delete, fk.on_update) == (
        ("customer_id",),
        "Odd Shop.customers",
        ("id",),
        "CASCADE",
        "RESTRICT",
    )
    assert lines.primary_key == ("customer_id", "line")


def test_foreign_keys_both_ways_and_across_schemas(shop):
    customers = catalog.table("Odd Shop", "customers", shop)
    sources = sorted(fk.source for fk in customers.referenced_by)
    assert sources == ["Odd Shop.Order Lines", "public.elsewhere"]
    assert next(fk for fk in customers.referenced_by if fk.schema == "public").on_delete == "SET NULL"


def test_indexes_with_method_opclass_predicate_and_size(shop):
    lines = catalog.table("Odd Shop", "Order Lines", shop)
    gin = next(i for i in lines.indexes if i.name == "lines_doc")
    assert (gin.method, gin.opclasses, gin.predicate, gin.columns) == ("gin", ("jsonb_path_ops",), "doc IS NOT NULL", ("doc",))
    assert gin.size_bytes and gin.size_bytes > 0 and "USING gin" in gin.definition
    pkey = next(i for i in lines.indexes if i.primary)
    assert pkey.columns == ("customer_id", "line") and pkey.constraint == "Order Lines_pkey"


def test_policies_triggers_functions_and_views(shop):
    live = catalog.schema("Odd Shop", shop)
    lines = live.table("Order Lines")
    (policy,) = lines.policies
    assert (policy.name, policy.command, policy.permissive, policy.roles, policy.using) == (
        "only_mine",
        "SELECT",
        False,
        ("public",),
        "line > 0",
    )
    assert lines.rls_enabled and not lines.rls_forced
    (trigger,) = lines.triggers
    assert (trigger.timing, trigger.events, trigger.level, trigger.function) == (
        "BEFORE",
        ("INSERT", "UPDATE"),
        "ROW",
        '"Odd Shop".touch',
    )
    (function,) = live.functions
    assert function.security_definer and function.language == "plpgsql" and function.returns == "trigger"
    assert live.table("emails").kind == "view"


def test_unknown_schema_and_table_name_what_there_is(shop):
    with pytest.raises(NotFoundError, match="has no schema 'nope'; its schemas: .*Odd Shop"):
        catalog.schema("nope", shop)
    with pytest.raises(NotFoundError, match="has no table 'nope'; its tables: Order Lines, customers, emails"):
        catalog.table("Odd Shop", "nope", shop)


def test_sqlite_gives_the_same_records(tmp_path):
    from dbkit.migrate import migrate

    url = f"sqlite:///{tmp_path / 'syris.db'}"
    migrate(url)
    live = catalog.schema(None, url)
    assert live.engine == "sqlite" and len(live.tables) == 15 and "dbkit_schema_migrations" not in {t.name for t in live.tables}
    steps = live.table("steps")
    (fk,) = steps.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("task_id",), "tasks", ("id",))
    assert steps.primary_key == ("id",)
    partial = next(i for i in steps.indexes if i.predicate)
    assert partial.unique and "idempotency_key IS NOT NULL" in partial.predicate
    audit = live.table("audit_events")
    assert {t.timing + " " + t.events[0] for t in audit.triggers} >= {"BEFORE UPDATE", "BEFORE DELETE"}
    assert any(k.kind == "check" for k in live.table("tool_results").constraints)
    assert "steps" in {fk.table for fk in live.table("tasks").referenced_by}
