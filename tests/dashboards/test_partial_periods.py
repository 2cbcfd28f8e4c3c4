# SPDX-License-Identifier: MIT
"""The demo dashboard on 29 Nov 2026 (a time machine): the KPI "Revenue, last month" shows October 2026,
the last complete month, against September, and "Revenue by month" leaves out the one-day first month
(30 Nov 2024) and the month still under way, naming both. Numbers are checked against pandas over the
same generated sample."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import time_machine

TODAY = dt.date(2026, 11, 29)


@pytest.fixture
def demo(alpha):
    from chat2chart.charts.demo import seed_demo_content as seed_charts
    from chat2chart.dashboards.demo import seed_demo_content as seed_dashboard
    from chat2chart.dashboards.models import Dashboard
    from chat2chart.sources.demo import seed_demo_content as seed_sources

    with time_machine.travel(dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC), tick=False):
        with alpha.activate():
            for seed in (seed_sources, seed_charts, seed_dashboard):
                seed(owner=alpha.users["owner"], log=lambda line: None)
            dashboard = Dashboard.objects.get(title="Sales overview")
        yield dashboard


def _monthly_revenue() -> pd.Series:
    from chat2chart.sources.demo import sales_orders

    orders = sales_orders(TODAY)
    months = pd.to_datetime(orders.order_date).dt.to_period("M")
    return orders.groupby(months).revenue.sum()


def test_demo_kpi_last_month_is_the_last_complete_month_against_the_one_before(alpha, demo):
    monthly = _monthly_revenue()
    assert str(monthly.index[0]) == "2024-11"
    assert str(monthly.index[-1]) == "2026-11"
    body = alpha.client("viewer").get(f"/api/v1/dashboards/{demo.pk}/data/").json()
    widgets = {w["title"]: w for w in body["widgets"]}
    kpi = widgets["Revenue, last month"]
    assert "error" not in kpi, kpi
    rows = kpi["data"]["rows"]
    assert str(rows[-1][0])[:7] == "2026-10"
    assert rows[-1][1] == pytest.approx(monthly[pd.Period("2026-10")], abs=0.01)
    assert rows[-2][1] == pytest.approx(monthly[pd.Period("2026-09")], abs=0.01)
    texts = " ".join(e["style"]["text"] for e in kpi["option"]["graphic"]["elements"])
    change = (monthly[pd.Period("2026-10")] - monthly[pd.Period("2026-09")]) / monthly[pd.Period("2026-09")]
    assert f"{abs(change) * 100:.1f}%" in texts
    assert any("November 2026" in note and "not over" in note for note in kpi["partial_periods"])

    trend = widgets["Revenue by month"]
    months = [str(row[0])[:7] for row in trend["data"]["rows"]]
    assert months[0] == "2024-12"
    assert months[-1] == "2026-10"
    assert len(months) == 23
    expected = monthly.iloc[1:-1]
    assert [row[1] for row in trend["data"]["rows"]] == pytest.approx(list(expected), abs=0.01)
    notes = " ".join(trend["partial_periods"])
    assert "November 2024 is left out: it holds only 1 day of data (30 Nov 2024)" in notes
    assert "November 2026 is left out: it is not over yet (data to 29 Nov 2026)" in notes


def test_a_series_of_complete_periods_is_left_whole():
    # A date-range filter that ends on a month's last day and starts on a first day keeps every month.
    from chat2chart.dashboards.partial_periods import leave_out_partial_periods
    from chat2chart.sources.results import ResultColumn, ResultSet
    from chat2chart.sources.semantic import SemanticQuery

    query = SemanticQuery.parse(
        {
            "source": 1,
            "table": "t",
            "dimensions": [{"field": "d", "granularity": "month"}],
            "measures": [{"field": "v", "agg": "sum"}],
        }
    )
    columns = (
        ResultColumn(name="d_month", type="date", role="time"),
        ResultColumn(name="v", type="decimal", role="measure"),
    )
    result = ResultSet(columns=columns, rows=(("2026-09-01", 1.0), ("2026-10-01", 2.0)))
    bounds = ResultSet(
        columns=(
            ResultColumn(name="first_date", type="date", role="measure"),
            ResultColumn(name="last_date", type="date", role="measure"),
        ),
        rows=(("2026-09-01", "2026-10-31"),),
    )
    kept, notes = leave_out_partial_periods(query, result, run=lambda q: bounds, today=TODAY)
    assert kept.rows == result.rows
    assert notes == []
