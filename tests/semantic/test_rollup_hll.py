# SPDX-License-Identifier: MIT
"""Approximate count distinct in rollups: a daily rollup by region stores HyperLogLog sketches, which
merge into months, years and fewer dimensions; each answer is within the sketch's error bound of the
exact pandas `nunique`, the other measures of the same query stay exact, and an exact count distinct
is never answered from a rollup at another grain (explain says why)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from chat2chart.semantic.sketches import relative_error
from tests.semantic.rollup_fixtures import ask, build, create_model
from tests.sources.fixtures_api import upload_source

MODEL_YAML = """\
source: {source}
cubes:
  - name: visits
    sql_table: visits
    measures:
      - {{name: visitors, type: count_distinct_approx, sql: visitor}}
      - {{name: exact_visitors, type: count_distinct, sql: visitor}}
      - {{name: amount, type: sum, sql: amount}}
    dimensions:
      - {{name: id, type: number, primary_key: true}}
      - {{name: region, type: string}}
      - {{name: visited_at, type: time}}
    pre_aggregations:
      - name: by_day
        measures: [visitors, exact_visitors, amount]
        dimensions: [region]
        time_dimension: visited_at
        granularity: day
"""
# 3 standard deviations: every one of the many groups checked here falls inside (99.7 % each).
BOUND = relative_error(standard_deviations=3)


def visit_rows(count: int = 30_000, seed: int = 5) -> pd.DataFrame:
    rng = random.Random(seed)
    start = datetime(2023, 1, 1)
    rows = [
        (
            i,
            (start + timedelta(minutes=rng.randrange(0, 730 * 24 * 60))).strftime("%Y-%m-%d %H:%M:%S"),
            rng.choice(["North", "South", "East", "West"]),
            rng.randrange(12_000),
            rng.randrange(1, 100),
        )
        for i in range(1, count + 1)
    ]
    return pd.DataFrame(rows, columns=["id", "visited_at", "region", "visitor", "amount"])


FRAME = visit_rows()


@pytest.fixture
def built(alpha) -> tuple[Any, int]:
    client = alpha.client("editor")
    created = upload_source(client, FRAME.to_csv(index=False), file_name="visits.csv", name="Visits")
    assert created.status_code == 201, created.content
    model = create_model(client, created.json()["id"], MODEL_YAML, name="Visits")
    state = build(client, model, "visits.by_day")
    assert state["status"] == "ready", state
    assert state["notes"][0].startswith("'visitors' is an approximate count distinct")
    return client, model


def exact(grain: str, *by: str) -> dict[tuple[Any, ...], int]:
    moments = pd.to_datetime(FRAME["visited_at"])
    period = moments.dt.to_period({"month": "M", "year": "Y"}[grain]).dt.start_time.dt.date.astype(str)
    grouped = FRAME.assign(period=period).groupby(["period", *by])["visitor"].nunique()
    return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in grouped.items()}


def within_bound(answer: dict[str, Any], want: dict[tuple[Any, ...], int], width: int) -> None:
    got = {(str(row[0])[:10], *row[1:width]): row[width] for row in answer["rows"]}
    assert set(got) == set(want)
    for key, count in want.items():
        assert abs(got[key] - count) <= BOUND * count, (key, got[key], count)


@pytest.mark.parametrize("grain", ["month", "year"])
def test_approximate_visitors_merge_from_daily_sketches_within_the_error_bound(built, grain):
    client, model = built
    query = {
        "measures": ["visits.visitors"],
        "dimensions": [{"member": "visits.visited_at", "granularity": grain}],
    }

    answer = ask(client, model, query)

    assert answer["explain"]["rollup"] == "visits.by_day"
    assert "HyperLogLog" in answer["explain"]["reason"]
    within_bound(answer, exact(grain), 1)
    assert [c["name"] for c in answer["columns"]] == [f"visits.visited_at.{grain}", "visits.visitors"]


def test_sketches_merge_across_regions_and_keep_the_other_measures_exact(built):
    client, model = built
    query = {
        "measures": ["visits.amount", "visits.visitors"],
        "dimensions": [{"member": "visits.visited_at", "granularity": "month"}, "visits.region"],
        "order": [{"field": "visits.visitors", "dir": "desc"}],
        "limit": 5,
    }

    answer = ask(client, model, query)
    raw = ask(client, model, {**query, "order": [], "limit": None}, use_rollups=False)

    assert answer["explain"]["rollup"] == "visits.by_day"
    assert len(answer["rows"]) == 5
    assert [row[3] for row in answer["rows"]] == sorted((row[3] for row in answer["rows"]), reverse=True)
    amounts = {(str(r[0])[:10], r[1]): r[2] for r in raw["rows"]}
    for row in answer["rows"]:
        assert row[2] == amounts[(str(row[0])[:10], row[1])]
    want = exact("month", "region")
    for row in answer["rows"]:
        count = want[(str(row[0])[:10], row[1])]
        assert abs(row[3] - count) <= BOUND * count


def test_an_exact_count_distinct_is_never_merged_and_explain_says_why(built):
    client, model = built
    query = {
        "measures": ["visits.exact_visitors"],
        "dimensions": [{"member": "visits.visited_at", "granularity": "year"}],
    }

    answer = ask(client, model, query)

    assert answer["explain"]["rollup"] is None
    assert "exact count distinct" in answer["explain"]["rejected"]["visits.by_day"]
    assert {(str(r[0])[:10],): r[1] for r in answer["rows"]} == exact("year")
