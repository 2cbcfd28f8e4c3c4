# SPDX-License-Identifier: MIT
"""Forecasts on planted series: the chosen model beats seasonal naive on structure, intervals nest, and
short or irregular series are refused with a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.analytics.forecast import FIT_WINDOW, forecast, mase, smape


def test_mase_and_smape_match_their_definitions():
    actual, predicted = np.array([10.0, 20.0, 30.0]), np.array([12.0, 18.0, 30.0])
    history = np.array([1.0, 3.0, 2.0, 6.0])  # naive lag-1 errors 2, 1, 4: mean 7/3
    assert mase(actual, predicted, history, 1) == pytest.approx((4 / 3) / (7 / 3))
    expected = 100 * np.mean([2 * 2 / 22, 2 * 2 / 38, 0.0])
    assert smape(actual, predicted) == pytest.approx(expected)


def test_a_trend_with_a_yearly_pattern_is_forecast_better_than_seasonal_naive():
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    rng = np.random.default_rng(0)
    values = 200 + 4 * np.arange(60) + 30 * np.sin(2 * np.pi * np.arange(60) / 12) + rng.normal(0, 2, 60)
    found = forecast(months, values, horizon=6, measure="sales")
    assert found.season_length == 12
    scores = {s.model: s for s in found.backtest}
    assert set(scores) == {"AutoETS", "AutoTheta", "SeasonalNaive", "MSTL"}
    assert scores[found.model].mase < scores["SeasonalNaive"].mase
    assert found.model in found.reason
    assert "seasonal naive" in found.reason
    assert [p.at for p in found.points] == [f"2024-{m:02d}-01" for m in range(1, 7)]
    for point in found.points:
        assert point.lo95 <= point.lo80 <= point.mean <= point.hi80 <= point.hi95
    # The truth continues the planted line and season; the forecast lands close to it.
    truth = 200 + 4 * np.arange(60, 66) + 30 * np.sin(2 * np.pi * np.arange(60, 66) / 12)
    assert np.abs(np.array([p.mean for p in found.points]) - truth).mean() < 10


def test_a_series_too_short_for_the_horizon_is_refused_with_the_count_needed():
    days = pd.date_range("2024-01-01", periods=12, freq="D")
    with pytest.raises(AnalyticsError, match="at least 24"):
        forecast(days, np.arange(12.0), horizon=10)


def test_an_irregular_series_is_refused():
    stamps = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09", "2024-01-10", "2024-02-20"] * 1)
    days = stamps.append(pd.date_range("2024-03-01", periods=15, freq="3D"))
    with pytest.raises(AnalyticsError, match="not evenly spaced"):
        forecast(days, np.arange(20.0), horizon=2)


def test_a_long_daily_series_is_forecast_from_its_recent_history_and_says_so():
    # Three years of days with a weekly and a yearly pattern. AutoETS, AutoTheta and seasonal naive see
    # their window (FIT_WINDOW + horizon points), MSTL the whole series so that it can see the year; the
    # back-test picks one, the forecast follows the planted curve, and the reason names the window.
    n, horizon = 3 * 365, 28
    days = pd.date_range("2022-01-01", periods=n, freq="D")
    t = np.arange(n + horizon)
    truth = 500 + 40 * np.sin(2 * np.pi * t / 7) + 120 * np.sin(2 * np.pi * t / 365.25)
    values = truth[:n] + np.random.default_rng(3).normal(0, 10, n)
    found = forecast(days, values, horizon=horizon, measure="visits")
    assert found.season_length == 7
    assert {s.model for s in found.backtest} == {"AutoETS", "AutoTheta", "SeasonalNaive", "MSTL"}
    windowed = f"It was fitted on the last {FIT_WINDOW + horizon} of the {n} points."
    assert (windowed in found.reason) == (found.model != "MSTL")
    error = np.abs(np.array([p.mean for p in found.points]) - truth[n:]).mean()
    assert (
        error < 25
    )  # the noise alone has a standard deviation of 10; the yearly swing over 28 days is about 50
    short = forecast(days[-200:], values[-200:], horizon=7, measure="visits")
    assert "fitted on the last" not in short.reason  # 200 points: every model saw all of them
