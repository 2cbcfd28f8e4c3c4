# SPDX-License-Identifier: MIT
"""Trend, why/driver, what-drives, pattern and "what is interesting" questions are answered in chat by the
analytics engine, over a file uploaded through the sources API, with follow-ups and refusals.

The numbers are checked against pandas and scipy computed here from the same CSV: the monthly totals and
the Theil-Sen line of the trend, the change of revenue and each region's contribution, the weekday means,
the Pareto share, the Kruskal-Wallis effect of the planted factor."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from scipy import stats

from chat2chart.analytics import forecast
from tests.conversations.asking import conversation_on

TODAY = datetime(2025, 3, 15, 12, 0)
REGIONS = ("North", "South", "East", "West")
PRODUCTS = {"Laptops": 300.0, "Phones": 120.0, "Tablets": 60.0}
CUSTOMERS = ("Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Helix", "Iris", "Juno")


def _csv() -> str:
    """Every day from Jan 2023 to Feb 2025, one row per region and product. Planted: growth, a level shift
    in January 2024, Saturdays at 1.6x, two customers with most of the revenue, and West Laptops falling
    to a fifth in February 2025."""
    lines = ["order_date,region,product,channel,customer,revenue,units"]
    day, n = date(2023, 1, 1), 0
    while day <= date(2025, 2, 28):
        growth = (1 + 0.0003 * (day - date(2023, 1, 1)).days) * (1.4 if day >= date(2024, 1, 1) else 1.0)
        weekday = 1.6 if day.weekday() == 5 else 1.0
        for r, region in enumerate(REGIONS):
            for product, base in PRODUCTS.items():
                customer = CUSTOMERS[0 if n % 7 < 3 else 1 if n % 7 < 5 else 2 + (n // 7) % 8]
                revenue = base * (1 + 0.1 * r) * growth * weekday + (n * 7) % 13
                if region == "West" and product == "Laptops" and (day.year, day.month) == (2025, 2):
                    revenue *= 0.2
                channel = "Online" if n % 5 < 3 else "Store"
                lines.append(f"{day},{region},{product},{channel},{customer},{revenue:.2f},{1 + n % 4}")
                n += 1
        day += timedelta(days=1)
    return "\n".join(lines) + "\n"


CSV = _csv()
FRAME = pd.read_csv(io.StringIO(CSV), parse_dates=["order_date"])


@pytest.fixture(autouse=True)
def _rule_planner(settings):
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def ask(alpha):
    return conversation_on(alpha.client(), CSV, file_name="orders.csv", at=TODAY)


def _monthly(frame: pd.DataFrame = FRAME) -> pd.Series:
    return frame.set_index("order_date").revenue.resample("MS").sum()


def _series(answer: dict) -> dict:
    return {s["name"]: s for s in answer["chart"]["option"]["series"]}


def test_a_trend_question_draws_the_theil_sen_line_and_marks_the_level_shift(ask):
    answer = ask("how is revenue trending")
    monthly = _monthly()
    days = (monthly.index - monthly.index[0]).days.to_numpy(dtype=float)
    slope, intercept, _low, _high = stats.theilslopes(monthly.to_numpy(), days)
    series = _series(answer)
    assert series["revenue"]["data"] == pytest.approx(monthly.tolist(), rel=1e-9)
    assert series["Trend (Theil–Sen)"]["data"] == pytest.approx(list(intercept + slope * days), rel=1e-6)
    shifts = [line["xAxis"] for line in series["revenue"]["markLine"]["data"]]
    assert "2024-01-01" in shifts, shifts
    assert answer["content"].startswith("Revenue is going up")
    assert "around January 2024: from an average of" in answer["content"], answer["content"]
    assert "Not yet" not in answer["explanation"]


def test_is_revenue_growing_is_a_trend_question(ask):
    answer = ask("is revenue growing?")
    assert answer["explanation"].startswith("Trend:")
    assert "Revenue is going up" in answer["content"]


def test_why_did_revenue_fall_names_the_planted_segment_with_its_numbers(ask):
    answer = ask("why did revenue fall in February 2025")
    january = FRAME[(FRAME.order_date >= "2025-01-01") & (FRAME.order_date < "2025-02-01")]
    february = FRAME[(FRAME.order_date >= "2025-02-01") & (FRAME.order_date < "2025-03-01")]
    change = february.revenue.sum() - january.revenue.sum()
    west = february[february.region == "West"].revenue.sum() - january[january.region == "West"].revenue.sum()
    text = answer["content"]
    assert text.startswith(
        f"Revenue fell from {january.revenue.sum():,.0f} in January 2025 to {february.revenue.sum():,.0f}"
    ), text
    assert f"Region West accounts for {west / change * 100:.0f} % of the drop" in text
    assert "most of it product Laptops" in text
    option = answer["chart"]["option"]
    assert option["xAxis"]["data"][0] == "January 2025"
    assert option["xAxis"]["data"][-1] == "February 2025"
    totals = _series(answer)["Total"]["data"]
    assert totals[0] == pytest.approx(january.revenue.sum())
    assert totals[-1] == pytest.approx(february.revenue.sum())
    # The first step of the waterfall is West's fall, by its size.
    assert option["xAxis"]["data"][1] == "region West"
    assert _series(answer)["Decrease"]["data"][1] == pytest.approx(-west)


def test_what_drove_the_change_last_month_compares_february_with_january(ask):
    answer = ask("what drove the change in revenue last month")
    assert "in January 2025 to" in answer["content"]
    assert "Region West" in answer["content"]


def test_a_why_follow_up_for_one_region_restricts_the_breakdown(ask):
    ask("why did revenue fall in February 2025")
    answer = ask("and for the West?")
    january = FRAME[(FRAME.order_date.dt.to_period("M") == "2025-01") & (FRAME.region == "West")]
    february = FRAME[(FRAME.order_date.dt.to_period("M") == "2025-02") & (FRAME.region == "West")]
    assert answer["content"].startswith(
        f"Revenue fell from {january.revenue.sum():,.0f} in January 2025 to {february.revenue.sum():,.0f}"
    ), answer["content"]
    assert "Product Laptops accounts for" in answer["content"]


def test_what_drives_high_revenue_ranks_the_planted_factor_first(ask):
    answer = ask("what drives high revenue")
    text = answer["content"]
    assert text.startswith("What goes with high revenue, strongest first: product"), text
    keys = ["region", "product", "channel", "customer", FRAME.order_date.dt.date]
    cells = FRAME.groupby(keys).revenue.sum()
    cells = cells.reset_index()
    groups = [g.revenue.to_numpy() for _, g in cells.groupby("product")]
    h = stats.kruskal(*groups).statistic
    eta = (h - len(groups) + 1) / (len(cells) - len(groups))
    assert f"η² = {eta:.2f}" in text
    bars = answer["chart"]["option"]["yAxis"]["data"]
    assert bars[-1] == "product"  # the strongest is drawn on top


def test_which_day_of_week_sells_most_is_the_planted_saturday(ask):
    answer = ask("which day of the week sells most?")
    daily = FRAME.groupby("order_date").revenue.sum()
    means = daily.groupby(daily.index.dayofweek).mean()
    text = answer["content"]
    assert text.startswith(f"Revenue is highest on Saturday (average {means[5]:,.0f} a day)"), text
    assert "the difference is significant" in text
    bars = answer["chart"]["option"]["series"][0]["data"]
    assert [b["value"] for b in bars] == pytest.approx(list(means.to_numpy()), rel=1e-9)


def test_is_revenue_concentrated_gives_the_pareto_share(ask):
    answer = ask("is revenue concentrated in customers?")
    totals = FRAME.groupby("customer").revenue.sum().sort_values(ascending=False)
    share = totals.iloc[:2].sum() / totals.sum()
    assert f"The top 2 of 10 customer values (20 %) carry {share * 100:.1f} % of revenue" in answer["content"]
    assert answer["chart"]["option"]["series"][0]["data"] == pytest.approx(totals.tolist())


def test_what_is_interesting_lists_findings_each_with_its_chart(ask):
    answer = ask("what is interesting in this table?")
    text = answer["content"]
    lines = [line for i, line in enumerate(text.splitlines()) if line.startswith(f"{i}. ")]
    option = answer["chart"]["option"]
    assert 1 <= len(lines) <= 4, text
    assert len(option["grid"]) == len(lines)
    assert [t["text"][:2] for t in option["title"]] == [f"{i}." for i in range(1, len(lines) + 1)]
    assert "Not yet" not in answer["explanation"]


def test_a_forecast_follow_up_for_the_west_forecasts_the_wests_series(ask):
    ask("forecast revenue for the next 3 months")
    answer = ask("and for the West?")
    monthly = _monthly(FRAME[FRAME.region == "West"])
    gold = forecast.forecast(list(monthly.index), monthly.to_numpy(), horizon=3, measure="revenue")
    means = [v for v in _series(answer)["Forecast"]["data"] if v is not None]
    assert means == pytest.approx([max(p.mean, 0) for p in gold.points], rel=1e-6)


def test_forecast_6_months_instead_changes_the_horizon(ask):
    ask("forecast revenue for the next 3 months")
    answer = ask("forecast 6 months instead")
    means = [v for v in _series(answer)["Forecast"]["data"] if v is not None]
    assert len(means) == 6
    assert "for the next 6 months" in answer["content"]


def test_a_why_question_with_nothing_before_it_is_refused_with_the_reason(ask):
    answer = ask("why did revenue change in January 2023")
    assert "There is no data in December 2022 to compare January 2023 with" in answer["content"]


def test_a_trend_of_a_short_series_is_refused_with_the_reason(alpha):
    csv = "order_date,revenue\n2025-01-03,10\n2025-01-20,12\n2025-02-05,9\n"
    ask = conversation_on(alpha.client(), csv, file_name="short.csv", at=TODAY)
    answer = ask("how is revenue trending")
    assert "at least 6" in answer["content"], answer["content"]
    assert "The chart shows the series as it is" in answer["content"]
