# SPDX-License-Identifier: MIT
"""Trend on planted series: known slope, known shift, known weekly pattern, a flat series, a late outlier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.analytics.trend import analyse_trend

DAYS = pd.date_range("2024-01-01", periods=140, freq="D")


def _weekly(n: int = 140) -> np.ndarray:
    return 10 * np.sin(2 * np.pi * np.arange(n) / 7)


def test_a_planted_daily_slope_is_found_in_units_per_day_with_its_interval():
    rng = np.random.default_rng(1)
    values = 100 + 2.5 * np.arange(140) + rng.normal(0, 1, 140)
    found = analyse_trend(DAYS, values, measure="revenue")
    assert found.direction == "up"
    assert found.p_value < 1e-6
    assert found.slope_unit == "per day"
    assert found.slope == pytest.approx(2.5, abs=0.05)
    assert found.slope_low < 2.5 < found.slope_high
    assert found.change_points == []


def test_a_monthly_series_quotes_its_slope_per_month_and_finds_the_yearly_pattern():
    months = pd.date_range("2020-01-01", periods=48, freq="MS")
    rng = np.random.default_rng(2)
    values = 500 - 3 * np.arange(48) + 40 * np.sin(2 * np.pi * np.arange(48) / 12) + rng.normal(0, 1, 48)
    found = analyse_trend(months, values)
    assert found.direction == "down"
    assert found.slope_unit == "per month"
    # 3 per observation; a month is 30.44 days on average and observations are 30.4 days apart.
    assert found.slope == pytest.approx(-3, abs=0.3)
    assert [s.name for s in found.seasonalities] == ["yearly"]
    assert found.seasonalities[0].strength > 0.9


def test_a_level_shift_is_one_change_point_at_the_planted_day():
    rng = np.random.default_rng(3)
    values = 100 + _weekly() + rng.normal(0, 1, 140)
    values[90:] += 40
    found = analyse_trend(DAYS, values)
    assert [c.index for c in found.change_points] == [90]
    shift = found.change_points[0]
    assert shift.at == "2024-03-31"
    assert shift.mean_after - shift.mean_before == pytest.approx(40, abs=3)
    assert "weekly" in [s.name for s in found.seasonalities]


def test_noise_alone_is_flat_with_no_change_point_or_season():
    rng = np.random.default_rng(4)
    found = analyse_trend(DAYS, 50 + rng.normal(0, 5, 140))
    assert found.direction == "flat"
    assert found.p_value > 0.05
    assert found.change_points == []
    assert found.seasonalities == []
    assert not found.latest_unusual


def test_an_unusual_latest_point_is_flagged_and_growth_is_measured():
    rng = np.random.default_rng(5)
    values = 100 + np.arange(140) * 0.5 + rng.normal(0, 1, 140)
    values[-1] += 30
    found = analyse_trend(DAYS, values)
    assert found.latest_unusual
    assert found.latest_z > 10
    assert found.growth_last == pytest.approx((values[-1] - values[-2]) / values[-2])


def test_too_few_points_are_refused_with_a_reason():
    with pytest.raises(AnalyticsError, match="too few"):
        analyse_trend(DAYS[:3], [1, 2, 3])
