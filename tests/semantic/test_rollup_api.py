# SPDX-License-Identifier: MIT
"""Rollups through the API on an uploaded file: built to Parquet in the organisation's folder, listed
with their state, and answering month by region, filters and segments exactly like pandas over the
rows and like the raw path; refused (with the reason) when they cannot answer exactly."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from tests.semantic.rollup_fixtures import (
    ask,
    build,
    create_model,
    rollups,
    sales_frame,
    sales_rows,
    upload_sales,
)
from tests.sources.fixtures_api import workspace_files

ROWS = sales_rows()
FRAME = sales_frame(ROWS)
MONTH_BY_REGION = {
    "measures": [
        "sales.count",
        "sales.amount",
        "sales.average",
        "sales.smallest",
        "sales.largest",
        "sales.per_sale",
    ],
    "dimensions": [{"member": "sales.sold_at", "granularity": "month"}, "sales.region"],
}


@pytest.fixture
def built(alpha):
    client = alpha.client("editor")
    source = upload_sales(client, ROWS)
    model = create_model(client, source)
    state = build(client, model)
    return client, model, state


def pandas_month_by_region(frame: pd.DataFrame) -> list[list[Any]]:
    grouped = frame.assign(month=frame["sold_at"].dt.to_period("M").dt.start_time.dt.date.astype(str))
    rows = []
    for (month, region), group in grouped.groupby(["month", "region"]):
        amount = group["amount"].sum(min_count=1)
        amount = None if pd.isna(amount) else float(amount)
        average = group["amount"].mean()
        rows.append(
            [
                month,
                region,
                len(group),
                amount,
                None if pd.isna(average) else float(average),
                int(group["quantity"].min()),
                int(group["quantity"].max()),
                None if amount is None else amount / len(group),
            ]
        )
    return rows


def same(actual: list[list[Any]], expected: list[list[Any]]) -> bool:
    """Equal rows; dates compared by their day, floats to 1e-9 relative (sums of cents in binary)."""
    if len(actual) != len(expected):
        return False
    for got, want in zip(actual, expected, strict=True):
        for a, b in zip(got, want, strict=True):
            if isinstance(b, float) and isinstance(a, int | float):
                if not math.isclose(a, b, rel_tol=1e-9):
                    return False
            elif isinstance(b, str) and isinstance(a, str) and len(b) == 10:
                if a[:10] != b:
                    return False
            elif a != b:
                return False
    return True


def test_a_built_rollup_is_listed_with_its_rows_partitions_and_file_in_the_organisations_folder(alpha, built):
    client, model, state = built
    groups = FRAME.groupby([FRAME["sold_at"].dt.date, "region"]).ngroups
    assert state["status"] == "ready"
    assert state["usable"] is True
    assert state["rows"] == groups
    assert state["partitions"] == 4  # January to April 2024
    assert state["size_bytes"] > 0
    assert state["last_refresh_at"] is not None
    assert state["notes"][0].startswith("'buyers' is a count distinct")
    listed = rollups(client, model)
    assert listed["sales.by_day"]["rows"] == groups
    files = [str(p) for p in workspace_files(alpha.workspace_name) if "/rollups/" in str(p)]
    assert len(files) == 5  # four partitions and the merged file
    assert all(f"/{alpha.workspace_name}/rollups/model-{model}/" in f for f in files)


def test_month_by_region_from_the_daily_rollup_equals_pandas_and_the_raw_tables(built):
    client, model, _ = built
    routed = ask(client, model, MONTH_BY_REGION)
    raw = ask(client, model, MONTH_BY_REGION, use_rollups=False)
    assert routed["explain"]["rollup"] == "sales.by_day"
    assert raw["explain"]["rollup"] is None
    assert '"rollup"' in routed["sql"]
    assert '"sales"' in raw["sql"]
    assert routed["columns"] == raw["columns"]
    assert routed["rows"] == raw["rows"]
    assert same(routed["rows"], pandas_month_by_region(FRAME))


def test_filters_on_rollup_dimensions_and_bucket_boundaries_are_answered_from_the_rollup(built):
    client, model, _ = built
    query = {
        "measures": ["sales.amount", "sales.count", "sales.average"],
        "dimensions": [{"member": "sales.sold_at", "granularity": "quarter"}],
        "filters": [
            {"field": "sales.region", "op": "in", "value": ["North", "East"]},
            {"field": "sales.sold_at", "op": "gte", "value": "2024-02-01"},
            {"field": "sales.sold_at", "op": "lt", "value": "2024-04-01"},
        ],
        "segments": ["sales.north"],
    }
    routed = ask(client, model, query)
    assert routed["explain"]["rollup"] == "sales.by_day"
    assert routed["rows"] == ask(client, model, query, use_rollups=False)["rows"]
    picked = FRAME[
        (FRAME["region"] == "North") & (FRAME["sold_at"] >= "2024-02-01") & (FRAME["sold_at"] < "2024-04-01")
    ]
    ((quarter, amount, count, average),) = routed["rows"]
    assert quarter[:10] == "2024-01-01"
    assert amount == pytest.approx(picked["amount"].sum(), rel=1e-9)
    assert count == len(picked)
    assert average == pytest.approx(picked["amount"].mean(), rel=1e-9)


def test_a_total_without_dimensions_and_an_empty_filter_match_the_raw_answer(built):
    client, model, _ = built
    total = {"measures": ["sales.count", "sales.amount", "sales.smallest"]}
    routed = ask(client, model, total)
    assert routed["explain"]["rollup"] == "sales.by_day"
    assert routed["rows"][0][0] == len(FRAME)
    assert routed["rows"][0][1] == pytest.approx(FRAME["amount"].sum(), rel=1e-9)
    nothing = {**total, "filters": [{"field": "sales.region", "op": "eq", "value": "Atlantis"}]}
    assert ask(client, model, nothing)["rows"] == ask(client, model, nothing, use_rollups=False)["rows"]
    assert ask(client, model, nothing)["rows"][0][0] == 0


def test_a_count_distinct_at_a_coarser_grain_is_refused_and_answered_from_the_raw_tables(built):
    client, model, _ = built
    by_month = {
        "measures": ["sales.buyers"],
        "dimensions": [{"member": "sales.sold_at", "granularity": "month"}],
    }
    answer = ask(client, model, by_month)
    assert answer["explain"]["rollup"] is None
    assert "count distinct" in answer["explain"]["rejected"]["sales.by_day"]
    expected = FRAME.groupby(FRAME["sold_at"].dt.to_period("M"))["customer"].nunique().tolist()
    assert [row[1] for row in answer["rows"]] == expected
    # at exactly the rollup's grain the stored count distinct is the answer
    by_day = {
        "measures": ["sales.buyers"],
        "dimensions": [{"member": "sales.sold_at", "granularity": "day"}, "sales.region"],
    }
    routed = ask(client, model, by_day)
    assert routed["explain"]["rollup"] == "sales.by_day"
    assert routed["rows"] == ask(client, model, by_day, use_rollups=False)["rows"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"measures": ["sales.count"], "dimensions": ["sales.product"]}, "does not store the dimension"),
        ({"measures": ["sales.count"], "segments": ["sales.gadgets"]}, "sales.product"),
        (
            {
                "measures": ["sales.count"],
                "filters": [{"field": "sales.product", "op": "eq", "value": "Gizmo"}],
            },
            "which the query filters on",
        ),
        (
            {
                "measures": ["sales.count"],
                "filters": [{"field": "sales.sold_at", "op": "gte", "value": "2024-02-10 12:00:00"}],
            },
            "is not at the start of a day",
        ),
        (
            {
                "measures": ["sales.last_week"],
                "dimensions": [{"member": "sales.sold_at", "granularity": "day"}],
            },
            "rolling window",
        ),
        ({"measures": ["sales.count"], "dimensions": ["sales.sold_at"]}, "raw values"),
    ],
)
def test_queries_a_rollup_cannot_answer_exactly_say_why_and_match_the_raw_tables(built, query, reason):
    client, model, _ = built
    answer = ask(client, model, query)
    assert answer["explain"]["rollup"] is None
    assert reason in answer["explain"]["rejected"]["sales.by_day"]
    assert answer["rows"] == ask(client, model, query, use_rollups=False)["rows"]
