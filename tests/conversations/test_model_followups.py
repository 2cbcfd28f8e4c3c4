# SPDX-License-Identifier: MIT
"""Questions over a data model with periods, follow-ups and analytics, through the conversations API:
"revenue by month in 2024", then "only Q1", "now by region", "as a pie", and "forecast revenue" answer
from the model's members as they would over a table. Every number is pandas over the uploaded
workbook's joined sheets; the forecast is the engine run on the pandas series."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.dashboards.test_member_analysis_widgets import MODEL_YAML, gold, monthly, shop_frames
from tests.dashboards.test_member_widgets import workbook
from tests.sources.fixtures_api import post_json, upload_source


def _ask_in(client: Any, source: int) -> Any:
    created = post_json(client, "/api/v1/conversations/", {"source": source, "table": "orders"})
    assert created.status_code == 201, created.content
    conversation = created.json()["id"]

    def ask(question: str) -> dict[str, Any]:
        response = post_json(client, f"/api/v1/conversations/{conversation}/messages/", {"content": question})
        assert response.status_code == 201, response.content
        answer = response.json()
        assert answer["status"] == "done", answer
        return answer

    return ask


@pytest.fixture
def shop(alpha) -> dict[str, Any]:
    client = alpha.client("editor")
    frames = shop_frames(1.0)
    uploaded = upload_source(client, workbook(frames), file_name="shop.xlsx", name="Shop")
    assert uploaded.status_code == 201, uploaded.content
    source = uploaded.json()["id"]
    created = post_json(
        client, "/api/v1/semantic/models/", {"name": "Shop", "yaml": MODEL_YAML.format(source=source)}
    )
    assert created.status_code == 201, created.content
    return {"client": client, "source": source, "frames": frames}


def _by_month(answer: dict[str, Any]) -> dict[str, float]:
    return {str(row[0])[:10]: round(float(row[1]), 2) for row in answer["data"]["rows"]}


def _by_key(answer: dict[str, Any]) -> dict[Any, float]:
    return {row[0]: round(float(row[1]), 2) for row in answer["data"]["rows"]}


def _months(series: pd.Series, first: str, last: str) -> dict[str, float]:
    part = series[(series.index >= first) & (series.index <= last)]
    return {str(day.date()): round(float(value), 2) for day, value in part.items()}


def _by_region(frames: dict[str, pd.DataFrame], first: str, last: str) -> dict[str, float]:
    joined = frames["orders"].merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    joined = joined[(joined["order_date"] >= first) & (joined["order_date"] <= last)]
    return {k: round(float(v), 2) for k, v in joined.groupby("region")["amount"].sum().items()}


def test_a_period_then_follow_ups_answer_from_the_model_like_pandas(shop):
    ask = _ask_in(shop["client"], shop["source"])
    series = monthly(shop["frames"])

    year = ask("revenue by month in 2024")
    assert year["planner"] == "model"
    assert _by_month(year) == _months(series, "2024-01-01", "2024-12-01")
    assert year["query"]["filters"] == [
        {"field": "orders.ordered_on", "op": "between", "value": ["2024-01-01", "2024-12-31"]}
    ]

    quarter = ask("only Q1")  # the year of the answer before, not this year's first quarter
    assert quarter["planner"] == "model"
    assert _by_month(quarter) == _months(series, "2024-01-01", "2024-03-01")

    regions = ask("now by region")
    assert regions["planner"] == "model"
    assert _by_key(regions) == _by_region(shop["frames"], "2024-01-01", "2024-03-31 23:59")
    assert [c["name"] for c in regions["data"]["columns"]] == ["Region", "Revenue"]

    pie = ask("as a pie")
    assert pie["chart"]["type"] == "pie"
    assert _by_key(pie) == _by_key(regions)


def test_forecast_revenue_over_a_model_is_the_engines_forecast_of_the_pandas_series(shop):
    ask = _ask_in(shop["client"], shop["source"])

    answer = ask("forecast revenue")

    series = monthly(shop["frames"])
    assert answer["planner"] == "model"
    assert answer["narrative"].startswith("Forecast of Revenue for the next 6 months")
    drawn = {s["name"]: s for s in answer["chart"]["option"]["series"]}
    means = [v for v in drawn["Forecast"]["data"] if v is not None]
    assert means == pytest.approx(gold(series), rel=1e-6)


def test_a_table_without_the_model_answers_as_before_in_another_organisation(shop, beta):
    client = beta.client("editor")
    uploaded = upload_source(client, workbook(shop_frames(3.0)), file_name="shop.xlsx", name="Shop")
    assert uploaded.status_code == 201, uploaded.content
    ask = _ask_in(client, uploaded.json()["id"])

    answer = ask("revenue by month in 2024")

    assert answer["planner"] != "model"
