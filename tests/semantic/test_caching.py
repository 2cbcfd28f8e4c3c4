# SPDX-License-Identifier: MIT
"""Caching policies of a model: a time-to-live, a refresh key (SQL on the customer's database whose
value changing invalidates answers, checked at most once per interval) and always fresh; the key
names the model version, and one organisation's answers never serve another."""

from __future__ import annotations

import os

import psycopg
import pytest
from django.core.cache import cache

from chat2chart.semantic.caching import refresh_memo_key
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.yaml_io import load_model, parse_model
from chat2chart.sources.models import Source
from tests.semantic.rollup_fixtures import ask, create_model, sales_rows, upload_sales
from tests.sources.fixtures_api import patch_json, post_json

ROWS = sales_rows(120, seed=5)
PLAIN = """\
source: {source}
{cache}
cubes:
  - name: sales
    sql_table: sales
    measures:
      - {{name: count, type: count}}
      - {{name: amount, type: sum, sql: amount}}
    dimensions:
      - {{name: id, type: number, primary_key: true}}
      - {{name: region, type: string}}
"""
COUNT = {"measures": ["sales.count"]}


def model_text(cache_yaml: str) -> str:
    return PLAIN.replace("{cache}", cache_yaml.replace("{", "{{").replace("}", "}}"))


def test_a_time_to_live_serves_the_stored_answer_until_the_model_changes(alpha):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source, model_text("cache: {ttl: 300}"))
    first, second = ask(client, model, COUNT), ask(client, model, COUNT)
    assert first["cache"] == {"hit": False, "policy": "ttl"}
    assert second["cache"] == {"hit": True, "policy": "ttl"}
    assert first["rows"] == second["rows"] == [[len(ROWS)]]

    changed = model_text("cache: {ttl: 300}").replace("type: count}", "type: count, title: Sales}")
    saved = patch_json(client, f"/api/v1/semantic/models/{model}/", {"yaml": changed.format(source=source)})
    assert saved.json()["version"] == 2
    assert ask(client, model, COUNT)["cache"]["hit"] is False  # the key names the model version


def test_always_fresh_never_reuses_an_answer(alpha):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source, model_text("cache: {always_fresh: true}"))
    assert [ask(client, model, COUNT)["cache"] for _ in range(2)] == [
        {"hit": False, "policy": "always_fresh"}
    ] * 2


def test_without_a_policy_the_workspace_time_to_live_applies(alpha):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source, model_text(""))
    assert ask(client, model, COUNT)["cache"]["hit"] is False
    assert ask(client, model, COUNT)["cache"] == {"hit": True, "policy": "ttl"}


def test_a_policy_is_exactly_one_of_ttl_refresh_key_or_always_fresh():
    _, problems = parse_model(model_text("cache: {ttl: 60, always_fresh: true}").format(source=1))
    assert (
        problems[0].message == "a cache policy is exactly one of `ttl`, `refresh_key` or `always_fresh: true`"
    )
    assert problems[0].line == 2
    _, problems = parse_model(model_text("cache: {refresh_key: {every: 1 hour}}").format(source=1))
    assert "a cache refresh_key needs `sql`" in problems[0].message


@pytest.fixture
def live_sales():
    name = f"aiser_cache_db_{os.getpid()}"
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    conn = psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True)
    conn.execute("CREATE TABLE sales (id integer PRIMARY KEY, region text, amount numeric(10,2))")
    conn.execute("INSERT INTO sales VALUES (1, 'North', 10), (2, 'South', 20)")
    yield (
        conn,
        {"host": "127.0.0.1", "port": 5432, "database": name, "user": "postgres", "password": "x-unused-1"},
    )
    conn.close()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_refresh_key_invalidates_answers_when_its_value_changes_checked_at_most_every_interval(
    alpha, live_sales, settings
):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True
    conn, config = live_sales
    client = alpha.client("editor")
    created = post_json(client, "/api/v1/sources/", {"name": "Live", "kind": "postgres", "config": config})
    assert created.status_code == 201, created.content
    policy = "cache: {refresh_key: {sql: 'SELECT max(id) FROM sales', every: 1 hour}}"
    model = create_model(client, created.json()["id"], model_text(policy))
    assert ask(client, model, COUNT)["rows"] == [[2]]
    assert ask(client, model, COUNT)["cache"] == {"hit": True, "policy": "refresh_key"}

    conn.execute("INSERT INTO sales VALUES (3, 'East', 5)")
    stored = ask(client, model, COUNT)
    assert stored["cache"]["hit"] is True  # the key's value is checked at most once an hour
    assert stored["rows"] == [[2]]
    with alpha.activate():  # an hour passes: the remembered value expires
        record = SemanticModel.objects.get(pk=model)
        parsed = load_model(record.yaml)
        cache.delete(
            refresh_memo_key(record=record, model=parsed, source=Source.objects.get(pk=created.json()["id"]))
        )
    fresh = ask(client, model, COUNT)
    assert fresh["cache"]["hit"] is False
    assert fresh["rows"] == [[3]]


def test_one_organisations_cached_answer_never_serves_another(alpha, beta):
    alpha_client, beta_client = alpha.client("editor"), beta.client("editor")
    alpha_model = create_model(alpha_client, upload_sales(alpha_client, ROWS), model_text(""))
    beta_rows = sales_rows(40, seed=8)
    beta_model = create_model(beta_client, upload_sales(beta_client, beta_rows), model_text(""))
    assert ask(alpha_client, alpha_model, COUNT)["rows"] == [[len(ROWS)]]
    assert ask(alpha_client, alpha_model, COUNT)["cache"]["hit"] is True
    beta_answer = ask(beta_client, beta_model, COUNT)
    assert beta_answer["cache"]["hit"] is False
    assert beta_answer["rows"] == [[len(beta_rows)]]
