"""`dbkit diff`: two live databases that differ in each kind of object, each difference said; identical ones exit 0."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from dbkit import UsageError, catalog, db, diff

BASE = """
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'A small store.';
CREATE TABLE shop.customers (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.items (
    id bigserial PRIMARY KEY,
    customer_id bigint REFERENCES shop.customers (id) ON DELETE CASCADE,
    name text NOT NULL,
    qty int NOT NULL,
    status text NOT NULL DEFAULT 'new',
    note text,
    CONSTRAINT items_qty_positive CHECK (qty > 0)
);
COMMENT ON COLUMN shop.items.note IS 'Free text.';
CREATE INDEX items_name_idx ON shop.items (name);
CREATE INDEX items_open_idx ON shop.items (customer_id) WHERE status = 'new';
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER items_touch BEFORE UPDATE ON shop.items FOR EACH ROW EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY items_mine ON shop.items USING (customer_id = current_setting('shop.customer', true)::bigint);
CREATE TABLE shop.extra (id int PRIMARY KEY);
"""

# B: the same schema, changed once in each kind of object.
CHANGES = """
ALTER TABLE shop.items ALTER COLUMN qty TYPE bigint;
ALTER TABLE shop.items ALTER COLUMN status SET DEFAULT 'open';
ALTER TABLE shop.items ALTER COLUMN note SET NOT NULL;
ALTER TABLE shop.items ADD COLUMN added_at timestamptz;
ALTER TABLE shop.items DROP CONSTRAINT items_qty_positive;
ALTER TABLE shop.items ADD CONSTRAINT items_name_short CHECK (length(name) < 100);
DROP INDEX shop.items_name_idx;
CREATE INDEX items_name_idx ON shop.items USING hash (name);
DROP INDEX shop.items_open_idx;
CREATE INDEX items_open_idx ON shop.items (customer_id) WHERE status <> 'done';
ALTER POLICY items_mine ON shop.items USING (true);
CREATE POLICY items_insert ON shop.items FOR INSERT WITH CHECK (qty < 1000);
DROP TRIGGER items_touch ON shop.items;
DROP TABLE shop.extra;
CREATE TABLE shop.added (id int);
COMMENT ON COLUMN shop.items.note IS 'Notes.';
"""


def _database(*scripts: str) -> str:
    from conftest import create_database

    url = create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        for script in scripts:
            conn.execute(script)
    return url


@pytest.fixture(scope="module")
def urls(pg_url):
    from conftest import drop_database

    made = {
        "a": _database(BASE),
        "same": _database(BASE),
        "b": _database(BASE, CHANGES),
        "renamed": _database(BASE.replace("shop.", "shop_v2.").replace("SCHEMA shop", "SCHEMA shop_v2")),
    }
    yield made
    db.forget()
    for url in made.values():
        drop_database(url)


def test_each_kind_of_difference_is_said(urls, cli):
    done = cli("diff", urls["a"], urls["b"], "shop")
    assert done.code == 1, done.stderr
    out = done.stdout
    expected = [
        "~ column qty: type integer → bigint",
        "~ column status: default 'new'::text → 'open'::text",
        "~ column note: nullability nullable → NOT NULL",
        "~ column note: comment Free text. → Notes.",
        "+ column added_at only in B: timestamptz nullable",
        "- constraint items_qty_positive only in A: CHECK (qty > 0)",
        "+ constraint items_name_short only in B: CHECK (length(name) < 100)",
        "~ index items_name_idx: method btree → hash",
        "~ index items_open_idx: predicate status = 'new'::text → status <> 'done'::text",
        "~ policy items_mine: USING customer_id = current_setting('shop.customer'::text, true)::bigint → true",
        "+ policy items_insert only in B: permissive FOR INSERT TO public WITH CHECK (qty < 1000)",
        "- trigger items_touch only in A: CREATE TRIGGER items_touch BEFORE UPDATE ON shop.items",
        "shop.extra\n  - table extra only in A: 1 column(s)",
        "shop.added\n  + table added only in B: 1 column(s)",
    ]
    missing = [line for line in expected if line not in out]
    assert missing == [], out
    assert out.startswith("--- A: postgresql://") and "\n+++ B: postgresql://" in out
    assert out.index("shop.added") < out.index("shop.extra") < out.index("shop.items")  # grouped by table, in name order
    assert out.rstrip().splitlines()[-1].startswith("14 difference(s) in 3 table(s) or schema(s); compared: shop")


def test_identical_databases_exit_0(urls, cli):
    done = cli("diff", urls["a"], urls["same"])
    assert done.code == 0, done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("no differences: ")
    assert "shop" in done.stdout.splitlines()[-1] and "(3 table(s) compared)" in done.stdout


def test_a_renamed_schema_compares_equal_under_rename_and_is_missing_without(urls, cli):
    done = cli("diff", urls["a"], urls["renamed"], "shop", "--rename", "shop=shop_v2")
    assert done.code == 0, done.stdout  # REFERENCES shop_v2.customers, nextval('shop_v2...'), shop_v2.touch() all match
    assert "no differences: shop → shop_v2 (3 table(s) compared)" in done.stdout
    missing = cli("diff", urls["a"], urls["renamed"], "shop")
    assert missing.code == 1 and "- schema shop only in A: 3 table(s)" in missing.stdout
    assert cli("diff", urls["a"], urls["b"], "nosuch").code == 1
    bad = cli("diff", urls["a"], urls["b"], "--rename", "shop")
    assert bad.code == 1 and "--rename takes A_NAME=B_NAME" in bad.stderr


def test_compare_is_a_pure_function_of_two_records(urls):
    live = catalog.schema("shop", urls["a"])
    assert diff.compare(live, live) == []
    items = live.table("items")
    renamed = tuple(replace(i, name=i.name + "_renamed") if i.name == "items_name_idx" else i for i in items.indexes)
    moved = replace(items, columns=tuple(reversed(items.columns)), rls_forced=True, indexes=renamed)
    other = replace(live, tables=tuple(moved if t.name == "items" else t for t in live.tables))
    found = [str(d) for d in diff.compare(live, other)]
    assert "~ table items: FORCE ROW LEVEL SECURITY off → on" in found
    assert "~ index items_name_idx: renamed to items_name_idx_renamed (same definition)" in found
    assert any(s.startswith("~ column order: id, customer_id, name") for s in found)
    assert diff.compare(live, other, comments=False) == diff.compare(live, other)  # no comment changed here
    with pytest.raises(UsageError, match="--rename takes"):
        diff.parse_renames(["=x"])


def test_cosmetic_predicate_differences_are_not_differences(urls):
    """Predicates compare as `dbkit check` compares them: casts, parentheses and case do not count."""
    live = catalog.schema("shop", urls["a"])
    items = live.table("items")
    reworded = tuple(replace(i, predicate="((status)::text = 'new'::text)") if i.predicate else i for i in items.indexes)
    other = replace(live, tables=tuple(replace(t, indexes=reworded) if t.name == "items" else t for t in live.tables))
    assert diff.compare(live, other) == []


def test_identifiers_are_quoted_as_the_server_quotes_them(urls):
    """A's texts are read as B's with B's schema name quoted the way pg_get_*def() would print it."""
    from dbkit.sqltext import quote_identifier

    names = ["items", "user", "Mixed", "two words", 'a"b', "select", "type", "rows", "1x", "ünï", "char", "between", "a$b"]
    with psycopg.connect(urls["a"]) as conn:
        server = [conn.execute("SELECT quote_ident(%s)", [n]).fetchone()[0] for n in names]
    assert [quote_identifier(n) for n in names] == server
