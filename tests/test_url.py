"""Which database, and what a person may see of its URL: resolution order, validation, masking everywhere."""

from __future__ import annotations

import pytest

import dbkit
from dbkit import ConfigError, server
from dbkit.url import Resolved, mask, mask_text, resolve, sqlalchemy_url, with_database, with_user

SECRET = "s3cr3t-Pa55"


def test_resolution_order(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@db.example/x")
    assert resolve("postgresql://arg@h/y") == Resolved("postgresql://arg@h/y", "argument")
    assert resolve().source == "DATABASE_URL" and resolve().url == "postgresql://env@db.example/x"
    monkeypatch.delenv("DATABASE_URL")
    embedded = resolve()
    assert embedded.source == "embedded" and embedded.url == server.status().url


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://kit:{SECRET}@h:5432/db?sslmode=require",
        f"postgresql://kit@h/db?password={SECRET}",
        f"postgresql://kit@h/db?sslmode=require&password={SECRET}&application_name=x",
        f"postgresql://kit@h/db?sslpassword={SECRET}",
        f"postgresql+psycopg://kit:{SECRET}@h/db",
    ],
)
def test_a_password_is_masked_wherever_it_sits(url):
    assert SECRET not in mask(url) and "***" in mask(url)
    assert SECRET not in repr(resolve(url)) and SECRET not in str(resolve(url).masked)
    assert SECRET not in mask_text(f"could not reach {url}: refused")


def test_a_query_password_moves_into_the_userinfo_where_sqlalchemy_masks_it():
    url = f"postgresql://kit@h/db?password={SECRET}&sslmode=require"
    assert sqlalchemy_url(url) == f"postgresql+psycopg://kit:{SECRET}@h/db?sslmode=require"
    engine = dbkit.engine(url)
    try:
        assert SECRET not in repr(engine) and SECRET not in str(engine.url)
    finally:
        engine.dispose()


def test_mask_leaves_urls_without_passwords_alone():
    assert mask("postgresql://kit@/db?host=/tmp/x") == "postgresql://kit@/db?host=/tmp/x"


def test_url_forms():
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert with_database("postgresql://u@/db?host=/tmp/x&port=5432", "other") == "postgresql://u@/other?host=/tmp/x&port=5432"
    assert with_user("postgresql://a:b@h:1/db?password=b&sslmode=require", "r", "p") == "postgresql://r:p@h:1/db?sslmode=require"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u:p@h/db", "is not a PostgreSQL URL"),
        ("localhost:5432", "is not a PostgreSQL URL"),
        ("postgresql://u:p@h:notaport/db", "is not a valid PostgreSQL URL"),
        ("postgresql://u:p@h:99999/db", "is not a valid PostgreSQL URL"),
        ("postgresql://h/db?sslmode", "is not a valid PostgreSQL URL"),
        ("sqlite://", "names no file"),
        ("sqlite:///:memory:", "names no file"),
    ],
)
def test_a_bad_url_is_one_line_that_names_the_fix(url, says):
    with pytest.raises(ConfigError, match=says) as caught:
        resolve(url)
    assert "\n" not in str(caught.value) and "p@" not in str(caught.value)


def test_a_url_that_is_no_string_is_refused():
    with pytest.raises(ConfigError, match="must be a string"):
        resolve(5432)  # type: ignore[arg-type]
