# SPDX-License-Identifier: MIT
"""A saved chart's data at another grain, and numbers in the workspace's locale, through the API;
numbers checked against pandas over the uploaded CSV, and each organisation keeps its own locale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chat2chart.charts import services as chart_services
from chat2chart.core.principal import Principal
from tests.dashboards.conftest import create_file_source


def _orders() -> pd.DataFrame:
    start = dt.date(2024, 1, 1)
    rows = [
        {"order_date": (start + dt.timedelta(days=day)).isoformat(), "revenue": round(10 + day * 1.25, 2)}
        for day in range(0, 200)
        if day % 9 != 4  # some days have no orders
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def daily_chart(alpha: Any, tmp_path: Path, settings: Any) -> tuple[Any, pd.DataFrame]:
    settings.MEDIA_ROOT = tmp_path / "media"
    orders = _orders()
    with alpha.activate():
        source = create_file_source(
            name="Orders",
            file_name="orders.csv",
            content=orders.to_csv(index=False),
            owner=alpha.users["owner"],
            folder=tmp_path,
        )
        table = source.tables.get(is_current=True).name
        chart = chart_services.chart_create(
            principal=Principal.for_user(alpha.users["owner"]),
            title="Revenue over time",
            spec={"type": "line", "encoding": {"x": "order_date_week", "y": ["revenue"]}},
            query={
                "source": source.pk,
                "table": table,
                "dimensions": [{"field": "order_date", "granularity": "week"}],
                "measures": [{"field": "revenue", "agg": "sum"}],
                "order": [{"field": "order_date_week"}],
            },
        )
    return chart, orders


def _by(orders: pd.DataFrame, freq: str) -> dict[str, float]:
    dates = pd.to_datetime(orders["order_date"])
    starts = dates.dt.to_period(freq).dt.start_time.dt.strftime("%Y-%m-%d")
    return {k: round(float(v), 2) for k, v in orders.groupby(starts)["revenue"].sum().items()}


def _points(body: dict[str, Any], date: str) -> dict[str, float]:
    columns = [c["name"] for c in body["data"]["columns"]]
    at, value = columns.index(date), columns.index("revenue")
    return {str(row[at])[:10]: round(float(row[value]), 2) for row in body["data"]["rows"]}


def test_a_chart_redraws_at_another_grain_with_the_right_totals(alpha, daily_chart):
    chart, orders = daily_chart
    client = alpha.client("viewer")
    weekly = client.get(f"/api/v1/charts/{chart.pk}/data/").json()
    assert weekly["grain"] == "week"
    assert weekly["grains"] == ["day", "week", "month", "quarter", "year"]
    assert _points(weekly, "order_date_week") == _by(orders, "W-SUN")
    monthly = client.get(f"/api/v1/charts/{chart.pk}/data/?grain=month").json()
    assert monthly["grain"] == "month"
    assert _points(monthly, "order_date_month") == _by(orders, "M")
    assert monthly["option"]["xAxis"]["type"] == "time"
    assert monthly["option"]["xAxis"]["name"] == "order_date by month"
    daily = client.get(f"/api/v1/charts/{chart.pk}/data/?grain=day").json()
    drawn = daily["option"]["series"][0]["data"]
    missing = {d for d, v in drawn if v is None}
    every_day = {(dt.date(2024, 1, 1) + dt.timedelta(days=d)).isoformat() for d in range(200)}
    assert missing == every_day - set(orders["order_date"])  # each day without orders is a gap
    with alpha.activate():
        chart.refresh_from_db()
    assert chart.query["dimensions"][0]["granularity"] == "week"  # viewing at a grain saves nothing


def test_an_unknown_grain_is_refused_with_a_reason(alpha, daily_chart):
    chart, _ = daily_chart
    response = alpha.client("viewer").get(f"/api/v1/charts/{chart.pk}/data/?grain=fortnight")
    assert response.status_code == 400
    assert "'fortnight' is not a grain" in response.json()["error"]["message"]


def test_numbers_follow_each_workspaces_own_locale(alpha, beta, daily_chart):
    chart, _ = daily_chart
    patched = alpha.client("admin").patch(
        "/api/v1/workspace/settings/", {"locale": "de-DE"}, content_type="application/json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["locale"] == "de-DE"
    body = alpha.client("viewer").get(f"/api/v1/charts/{chart.pk}/data/").json()
    assert body["option"]["aiser"]["numberLocale"]["decimal"] == ","
    assert beta.client("admin").get("/api/v1/workspace/settings/").json()["effective_locale"] == "en-US"
    assert beta.client("viewer").get(f"/api/v1/charts/{chart.pk}/data/").status_code == 404


def test_an_unsupported_locale_is_refused(alpha):
    response = alpha.client("admin").patch(
        "/api/v1/workspace/settings/", {"locale": "klingon"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "not a supported locale" in str(response.json())
    for tag in ("und", "root", "x" * 1000):
        refused = alpha.client("admin").patch(
            "/api/v1/workspace/settings/", {"locale": tag}, content_type="application/json"
        )
        assert refused.status_code == 400
        assert len(refused.json()["error"]["message"]) < 200
