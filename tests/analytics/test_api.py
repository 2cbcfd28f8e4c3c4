# SPDX-License-Identifier: MIT
"""The analytics API end to end: a real uploaded CSV, a semantic query, findings checked against pandas."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.sources.fixtures_api import post_json, upload_source

SPIKE_DAY = "2024-02-14"


def _sales_csv() -> str:
    """Jan-Mar 2024, one row per day, region and product; West Laptops fall by 70 % in March and
    Valentine's day has a planted spike."""
    rng = np.random.default_rng(7)
    rows = []
    for day in pd.date_range("2024-01-01", "2024-03-31", freq="D"):
        for region in ("North", "South", "East", "West"):
            for product in ("Laptops", "Phones"):
                revenue = round(100 + rng.normal(0, 4), 2)
                if region == "West" and product == "Laptops" and day.month == 3:
                    revenue = round(revenue * 0.3, 2)
                if day.strftime("%Y-%m-%d") == SPIKE_DAY and region == "North":
                    revenue += 300
                rows.append(f"{day:%Y-%m-%d},{region},{product},{int(rng.integers(1, 9))},{revenue}")
    return "order_date,region,product,quantity,revenue\n" + "\n".join(rows) + "\n"


@pytest.fixture
def sales(alpha: Any) -> dict[str, Any]:
    csv = _sales_csv()
    created = upload_source(alpha.client("editor"), csv, name="Daily sales")
    assert created.status_code == 201, created.content
    frame = pd.read_csv(io.StringIO(csv))
    return {"source": created.json()["id"], "frame": frame}


def _query(source: int, *, dimensions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "source": source,
        "table": "sales",
        "measures": [{"field": "revenue", "agg": "sum"}, {"field": "quantity", "agg": "sum"}],
        "dimensions": dimensions,
    }


DAILY = [{"field": "order_date", "granularity": "day"}]
DAILY_BY_REGION_PRODUCT = [*DAILY, {"field": "region"}, {"field": "product"}]


def _post(workspace: Any, endpoint: str, body: dict[str, Any], role: str = "viewer") -> Any:
    return post_json(workspace.client(role), f"/api/v1/analytics/{endpoint}/", body)


def test_trend_of_daily_revenue_matches_pandas(alpha, sales):
    response = _post(alpha, "trend", {"query": _query(sales["source"], dimensions=DAILY)})
    assert response.status_code == 200, response.json()
    body = response.json()
    daily = sales["frame"].groupby("order_date")["revenue"].sum()
    assert body["n"] == len(daily) == 91
    assert body["slope_unit"] == "per day"
    assert body["growth_last"] == pytest.approx((daily.iloc[-1] - daily.iloc[-2]) / daily.iloc[-2])
    assert body["direction"] == "down"  # West Laptops fell in March


def test_anomalies_flag_the_planted_day_with_its_pandas_value(alpha, sales):
    body = {"query": _query(sales["source"], dimensions=DAILY), "sensitivity": "fewer_false_alarms"}
    response = _post(alpha, "anomalies", body)
    assert response.status_code == 200, response.json()
    flags = response.json()["findings"][0]["flags"]
    spike = [f for f in flags if f["at"].startswith(SPIKE_DAY)]
    assert len(spike) == 1
    daily = sales["frame"].groupby("order_date")["revenue"].sum()
    assert spike[0]["value"] == pytest.approx(daily[SPIKE_DAY])
    assert spike[0]["direction"] == "above"
    assert spike[0]["sigma"] > 4


def test_anomalies_per_segment_name_the_region_that_spiked(alpha, sales):
    query = _query(sales["source"], dimensions=[*DAILY, {"field": "region"}])
    response = _post(
        alpha, "anomalies", {"query": query, "segment": "region", "sensitivity": "fewer_false_alarms"}
    )
    assert response.status_code == 200, response.json()
    flagged = {f["segment"]: [x["at"][:10] for x in f["flags"]] for f in response.json()["findings"]}
    assert SPIKE_DAY in flagged["North"]
    assert all(SPIKE_DAY not in days for region, days in flagged.items() if region != "North")


def test_forecast_returns_intervals_and_the_backtest(alpha, sales):
    response = _post(alpha, "forecast", {"query": _query(sales["source"], dimensions=DAILY), "horizon": 7})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [p["at"] for p in body["points"]] == [f"2024-04-{d:02d}" for d in range(1, 8)]
    assert {s["model"] for s in body["backtest"]} >= {"AutoETS", "SeasonalNaive"}
    assert body["model"] in body["reason"]


def test_forecast_of_a_short_series_is_refused_with_a_reason(alpha, sales):
    query = {**_query(sales["source"], dimensions=[{"field": "order_date", "granularity": "month"}])}
    response = _post(alpha, "forecast", {"query": query, "horizon": 6})
    assert response.status_code == 422
    assert "too few" in response.json()["error"]["message"]


def test_drivers_explain_the_march_drop_with_pandas_numbers(alpha, sales):
    query = _query(sales["source"], dimensions=DAILY_BY_REGION_PRODUCT)
    response = _post(alpha, "drivers", {"query": query})
    assert response.status_code == 200, response.json()
    change = response.json()["change"]
    frame = sales["frame"].assign(month=sales["frame"]["order_date"].str[:7])
    monthly = frame.groupby("month")["revenue"].sum()
    assert change["before_label"] == "2024-02"
    assert change["after_label"] == "2024-03"
    assert change["change"] == pytest.approx(monthly["2024-03"] - monthly["2024-02"])
    region = next(d for d in change["dimensions"] if d["dimension"] == "region")
    by_region = frame.groupby(["month", "region"])["revenue"].sum()
    west = next(c for c in region["contributions"] if c["value"] == "West")
    assert west["change"] == pytest.approx(by_region["2024-03", "West"] - by_region["2024-02", "West"])
    assert change["root_causes"][0]["segment"] == {"region": "West", "product": "Laptops"}
    assert "West" in change["sentence"]
    assert "Laptops" in change["sentence"]


def test_drivers_compare_two_named_periods_and_rank_associations(alpha, sales):
    query = _query(sales["source"], dimensions=DAILY_BY_REGION_PRODUCT)
    periods = {"before": ["2024-01-01", "2024-01-31"], "after": ["2024-03-01", "2024-03-31"]}
    response = _post(alpha, "drivers", {"query": query, **periods})
    assert response.status_code == 200, response.json()
    frame = sales["frame"]
    january = frame[frame["order_date"].str.startswith("2024-01")]["revenue"].sum()
    march = frame[frame["order_date"].str.startswith("2024-03")]["revenue"].sum()
    assert response.json()["change"]["change"] == pytest.approx(march - january)
    march_only = {
        **query,
        "filters": [{"field": "order_date", "op": "between", "value": ["2024-03-01", "2024-03-31"]}],
    }
    response = _post(alpha, "drivers", {"query": march_only, "mode": "associations"})
    assert response.status_code == 200, response.json()
    # In March, West (and within it Laptops) sells less per row; quantity is random and must not pass.
    factors = [a["factor"] for a in response.json()["associations"]]
    assert factors == ["region", "product"]


def test_drivers_compare_two_segments_by_the_other_dimensions(alpha, sales):
    query = _query(sales["source"], dimensions=[{"field": "region"}, {"field": "product"}])
    body = {"query": query, "segment_dimension": "region", "segment_values": ["East", "West"]}
    response = _post(alpha, "drivers", body)
    assert response.status_code == 200, response.json()
    change = response.json()["change"]
    totals = sales["frame"].groupby(["region", "product"])["revenue"].sum()
    assert change["change"] == pytest.approx(totals["West"].sum() - totals["East"].sum())
    product = change["dimensions"][0]
    assert product["dimension"] == "product"
    laptops = next(c for c in product["contributions"] if c["value"] == "Laptops")
    assert laptops["change"] == pytest.approx(totals["West", "Laptops"] - totals["East", "Laptops"])


def test_patterns_concentration_matches_pandas(alpha, sales):
    query = _query(sales["source"], dimensions=[{"field": "region"}])
    response = _post(alpha, "patterns", {"query": query})
    assert response.status_code == 200, response.json()
    concentration = response.json()["concentrations"][0]
    totals = sales["frame"].groupby("region")["revenue"].sum().sort_values(ascending=False)
    assert concentration["values"] == 4
    assert concentration["share_of_measure"] == pytest.approx(totals.iloc[0] / totals.sum(), abs=1e-4)


def test_insights_return_sentences_with_charts(alpha, sales):
    query = _query(sales["source"], dimensions=DAILY_BY_REGION_PRODUCT)
    response = _post(alpha, "insights", {"query": query, "measure": "revenue", "top": 5})
    assert response.status_code == 200, response.json()
    findings = response.json()["findings"]
    assert findings
    assert all(f["sentence"] and f["chart"]["series"] for f in findings)
    assert any(f["kind"] == "drivers" and "West" in f["sentence"] for f in findings)


def test_an_unknown_measure_and_a_missing_time_axis_are_refused_with_reasons(alpha, sales):
    query = _query(sales["source"], dimensions=[{"field": "region"}])
    response = _post(alpha, "trend", {"query": query})
    assert response.status_code == 422
    assert "time axis" in response.json()["error"]["message"]
    response = _post(
        alpha, "trend", {"query": _query(sales["source"], dimensions=DAILY), "measure": "profit"}
    )
    assert response.status_code == 422
    assert "'profit' is not a measure" in response.json()["error"]["message"]


def test_a_truncated_result_is_refused_rather_than_analysed_in_part(alpha, sales, settings):
    settings.AISER_QUERY_MAX_ROWS = 50
    response = _post(alpha, "trend", {"query": _query(sales["source"], dimensions=DAILY)})
    assert response.status_code == 422
    assert "coarser time period" in response.json()["error"]["message"]


def test_analytics_needs_a_signed_in_user(alpha, sales):
    client = alpha.anonymous_client()
    response = post_json(
        client, "/api/v1/analytics/trend/", {"query": _query(sales["source"], dimensions=DAILY)}
    )
    assert response.status_code in (401, 403)


@pytest.mark.enterprise
def test_beta_cannot_analyse_alphas_source(alpha, beta, sales):
    for endpoint in ("trend", "anomalies", "drivers", "insights"):
        response = _post(beta, endpoint, {"query": _query(sales["source"], dimensions=DAILY)}, role="owner")
        assert response.status_code == 404, (endpoint, response.json())
        assert "revenue" not in str(response.json().get("error", {}).get("details", ""))


def test_the_openapi_schema_documents_the_analytics_endpoints(alpha):
    response = alpha.client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/analytics/forecast/" in schema["paths"]
    forecast = schema["paths"]["/api/v1/analytics/forecast/"]["post"]
    ref = forecast["responses"]["200"]["content"]["application/json"]["schema"]
    assert ref.get("$ref", "").endswith("ForecastFinding")
