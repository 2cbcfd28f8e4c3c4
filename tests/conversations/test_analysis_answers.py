# SPDX-License-Identifier: MIT
"""Forecast and anomaly questions are answered in chat by the analytics engine, over a file uploaded through
the sources API: the forecast is the engine's forecast of the monthly totals computed independently with
pandas, an unfinished month is left out, and a month planted with a spike is the one flagged."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from chat2chart.analytics import forecast
from tests.conversations.asking import conversation_on

TODAY = datetime(2025, 3, 15, 12, 0)
SPIKE = date(2024, 6, 1)


def _csv() -> str:
    lines = ["order_date,region,revenue"]
    day = date(2023, 1, 1)
    n = 0
    while day <= date(2025, 3, 10):
        base = 100 + 0.15 * n
        revenue = base * (6 if day.replace(day=1) == SPIKE else 1) + (n * 7) % 13
        lines.append(f"{day.isoformat()},{['North', 'South'][n % 2]},{revenue:.2f}")
        day += timedelta(days=1)
        n += 1
    return "\n".join(lines) + "\n"


CSV = _csv()


@pytest.fixture(autouse=True)
def _rule_planner(settings):
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def ask(alpha):
    return conversation_on(alpha.client(), CSV, file_name="orders.csv", at=TODAY)


def _monthly_without_the_unfinished_month() -> pd.Series:
    frame = pd.read_csv(io.StringIO(CSV), parse_dates=["order_date"])
    monthly = frame.set_index("order_date").revenue.resample("MS").sum()
    return monthly[monthly.index < pd.Timestamp("2025-03-01")]


def test_a_forecast_question_is_answered_with_the_engines_forecast_and_its_band(ask):
    answer = ask("forecast revenue for the next 3 months")
    monthly = _monthly_without_the_unfinished_month()
    gold = forecast.forecast(list(monthly.index), monthly.to_numpy(), horizon=3, measure="revenue")
    series = {s["name"]: s for s in answer["chart"]["option"]["series"]}
    means = [v for v in series["Forecast"]["data"] if v is not None]
    assert means == pytest.approx([p.mean for p in gold.points], rel=1e-6)
    assert "80 % interval" in series
    assert "95 % interval" in series
    assert "Not yet" not in answer["content"]
    assert "Not yet" not in answer["explanation"]
    assert f"Model: {gold.model}" in answer["content"]
    assert "March 2025 is not over yet" in answer["content"]


def test_an_anomaly_question_flags_the_planted_month(ask):
    answer = ask("any anomalies in revenue?")
    flagged = [m["coord"][0] for m in answer["chart"]["option"]["series"][0]["markPoint"]["data"]]
    assert flagged, answer["content"]
    # Every flagged day is in the month planted with six times the usual revenue.
    assert {day[:7] for day in flagged} == {"2024-06"}
    assert "June 2024" in answer["content"] or "Jun 2024" in answer["content"]
