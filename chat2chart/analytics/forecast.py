# SPDX-License-Identifier: MIT
"""Forecasts of a measure over time (statsforecast), the model chosen by a back-test on the series itself."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsforecast.models import MSTL, AutoETS, AutoTheta, SeasonalNaive

from chat2chart.analytics.findings import AnalyticsError, ForecastFinding, ForecastPoint, ModelScore
from chat2chart.analytics.timeseries import TimeSeries, to_time_series

logger = logging.getLogger(__name__)

BASELINE = "SeasonalNaive"
MIN_POINTS = 10
# How much history each model sees (plus the horizon). Older points change the fitted models little and
# their fitting time a lot; chat must answer within half a second up to 10 000 points
# (bench/insights_bench.py). AutoETS, AutoTheta and seasonal naive see the last FIT_WINDOW points: over a
# year of days, eight years of weeks, 35 years of months. MSTL sees up to MAX_HISTORY points, so a daily
# series still shows its yearly pattern once it holds two years (bench/forecast_eval.py: cutting that
# history doubled the error on daily series with a yearly pattern).
FIT_WINDOW = 420
MAX_HISTORY = 1_200
# STL over a long period (a year of days) smooths windows of hundreds of points. R's stl() evaluates
# each loess every ~window/10 points and interpolates (Cleveland et al. 1990, section 3.7); statsmodels
# defaults to every point. A jump of 5 made MSTL 3-4x faster with the same back-test error.
_LONG_SEASON = 60
_STL_JUMPS = {"seasonal_jump": 5, "trend_jump": 5, "low_pass_jump": 5}
# Multiplicative ETS models (error or season proportional to the level) differ from additive ones only when
# the level moves by a good factor over the fitted window; when it moves less than this, AutoETS searches
# the additive-error models alone, a third of the time of the full search (bench/insights_bench.py).
_MULTIPLICATIVE_LEVEL_RATIO = 1.5


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE in percent, 0-200: mean of 200·|y - ŷ| / (|y| + |ŷ|), 0 where both are 0
    (Makridakis 1993, the M4 definition)."""
    denominator = np.abs(actual) + np.abs(predicted)
    ratio = np.where(
        denominator > 0, 2 * np.abs(actual - predicted) / np.where(denominator > 0, denominator, 1), 0
    )
    return float(100 * ratio.mean())


def mase(actual: np.ndarray, predicted: np.ndarray, history: np.ndarray, season_length: int) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006): forecast MAE over the in-sample MAE of the
    seasonal naive forecast on `history` (lag `season_length`, or lag 1 when the history is too short)."""
    lag = season_length if len(history) > season_length else 1
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag]))) if len(history) > lag else 0.0
    error = float(np.mean(np.abs(actual - predicted)))
    if scale == 0:
        return 0.0 if error == 0 else float("inf")
    return error / scale


def season_lengths(series: TimeSeries, horizon: int) -> list[int]:
    """Seasonal periods of the series' step for which two full cycles plus the back-test fit in the data."""
    return [p for _, p in series.seasonal_candidates() if len(series.values) >= 2 * p + horizon]


def ets_search_space(values: np.ndarray, season: int) -> str:
    """AutoETS's model string for `values` (the window it is fitted on): "ZZZ" (every error, trend and
    season type) when the series is positive and its level, the mean over one season (or 7 points), moves
    by a factor of _MULTIPLICATIVE_LEVEL_RATIO or more; else "AZZ" (additive error), because a
    multiplicative model then fits like its additive twin and costs three times as long to search."""
    if len(values) == 0 or float(np.min(values)) <= 0:
        return "AZZ"
    level = pd.Series(values).rolling(max(season, 7), min_periods=1).mean().to_numpy()
    return "ZZZ" if float(level.max()) >= _MULTIPLICATIVE_LEVEL_RATIO * float(level.min()) else "AZZ"


def _candidates(values: np.ndarray, seasons: list[int], horizon: int) -> list[tuple[Any, int]]:
    """The candidate models, unfitted, each with how many of the last points of `values` it is fitted on:
    AutoETS (search space from `ets_search_space`), AutoTheta and seasonal naive on the first seasonal
    period over the last FIT_WINDOW (+ horizon) points, MSTL over all the seasonal periods on the whole
    series (at most MAX_HISTORY), its smooth trend forecast by an additive-error AutoETS."""
    n = len(values)
    short = min(n, FIT_WINDOW + horizon)
    season = next((p for p in seasons if short >= 2 * p + horizon), 1)
    space = ets_search_space(values[-short:-horizon], season)
    candidates: list[tuple[Any, int]] = [
        (AutoETS(season_length=season, model=space), short),
        (AutoTheta(season_length=season), short),
        (SeasonalNaive(season_length=season), short),
    ]
    if seasons:
        jumps = _STL_JUMPS if max(seasons) >= _LONG_SEASON else {}
        mstl = MSTL(
            season_length=seasons, trend_forecaster=AutoETS(model="AZN"), stl_kwargs=jumps, alias="MSTL"
        )
        candidates.append((mstl, n))
    return candidates


def fit_backtest(
    values: np.ndarray, *, horizon: int, seasons: list[int]
) -> list[tuple[ModelScore, Any, int]]:
    """Every candidate model fitted on its window of the series minus the last `horizon` points, with its
    MASE and sMAPE on those points (all models are scored on the same points).

    Returns (score, fitted model, window) triples; a model that fails to fit or predicts a non-finite
    value is left out. `model.forward(y=values[-window:], h, level=...)` applies the fitted parameters
    to the series up to its end, without a second search."""
    test = values[-horizon:]
    season = seasons[0] if seasons else 1
    fitted = []
    for model, window in _candidates(values, seasons, horizon):
        train = values[-window:-horizon]
        try:
            guess = np.asarray(model.fit(train).predict(h=horizon)["mean"], dtype=float)
        except Exception:  # statsforecast raises bare errors for series a model cannot represent
            logger.debug("forecast candidate %s failed to fit", _name(model), exc_info=True)
            continue
        if not np.all(np.isfinite(guess)):
            continue
        history = values[:-horizon]
        score = ModelScore(
            model=_name(model), mase=mase(test, guess, history, season), smape=smape(test, guess)
        )
        fitted.append((score, model, window))
    return fitted


def backtest(values: np.ndarray, *, horizon: int, seasons: list[int]) -> list[ModelScore]:
    """MASE and sMAPE of every model, fitted on all but the last `horizon` points and scored on them."""
    return [score for score, _, _ in fit_backtest(values, horizon=horizon, seasons=seasons)]


def _name(model: Any) -> str:
    return str(getattr(model, "alias", "") or type(model).__name__)


def choose_model(scores: list[ModelScore]) -> tuple[str, str]:
    """The model with the lowest back-test MASE (sMAPE breaks ties), and a sentence saying why."""
    ranked = sorted(scores, key=lambda s: (s.mase, s.smape))
    best = ranked[0]
    baseline = next((s for s in scores if s.model == BASELINE), None)
    if best.model == BASELINE or baseline is None:
        return best.model, f"{best.model} had the lowest back-test error (MASE {best.mase:.2f})."
    gain = 1 - best.mase / baseline.mase if baseline.mase else 0.0
    return best.model, (
        f"{best.model} had the lowest back-test error (MASE {best.mase:.2f}, sMAPE {best.smape:.1f} %), "
        f"{gain:.0%} below the seasonal naive baseline (MASE {baseline.mase:.2f})."
    )


def forecast(
    times: Sequence[Any], values: Sequence[Any], *, horizon: int = 6, measure: str = "value"
) -> ForecastFinding:
    """Forecast `horizon` periods of a measure over time with 80 % and 95 % prediction intervals.

    Inputs: `times` (dates at a regular step: daily, weekly, monthly ...) and `values` (numbers); `horizon`
    in periods of that step (1-365); see FIT_WINDOW for how much history each model sees. Output: a
    ForecastFinding with the chosen model, why it was chosen, every model's back-test MASE and sMAPE on the
    last `horizon` points, and the forecast points (the chosen model's back-test parameters applied to the
    whole window, so the last points count without a second search).
    Models: AutoETS (Hyndman et al. 2008), AutoTheta (Fiorucci et al. 2016), MSTL (Bandara et al. 2021)
    over all seasonal periods that fit, and the seasonal naive baseline, all from Nixtla's statsforecast.
    Raises AnalyticsError for a series that is too short (fewer than 10 points or than 2·horizon + 4)
    or irregular (gaps that vary by more than 11 % of the usual step).
    """
    if not 1 <= horizon <= 365:
        raise AnalyticsError("The horizon must be between 1 and 365 periods.")
    series = to_time_series(times, values, min_points=MIN_POINTS)
    if len(series.values) > MAX_HISTORY:
        series = TimeSeries(
            times=series.times[-MAX_HISTORY:],
            values=series.values[-MAX_HISTORY:],
            step_days=series.step_days,
            regular=series.regular,
        )
    n = len(series.values)
    if n < 2 * horizon + 4:
        raise AnalyticsError(
            f"{n} points are too few to forecast {horizon} periods: at least {2 * horizon + 4} are needed "
            "(the last periods are kept aside to test the models)."
        )
    if not series.regular:
        raise AnalyticsError(
            "The dates are not evenly spaced (gaps vary), so the series cannot be forecast as it is: "
            "group it by a time period (day, week or month) first."
        )
    seasons = season_lengths(series, horizon)
    fitted = fit_backtest(series.values, horizon=horizon, seasons=seasons)
    if not fitted:
        raise AnalyticsError("No model could be fitted to this series.")
    scores = [score for score, _, _ in fitted]
    chosen, reason = choose_model(scores)
    model, window = next((model, window) for score, model, window in fitted if score.model == chosen)
    if window < len(series.values):
        reason += f" It was fitted on the last {window} of the {len(series.values)} points."
    predicted = model.forward(y=series.values[-window:], h=horizon, level=[80, 95])
    future = _future_labels(series, horizon)
    points = [
        ForecastPoint(
            at=future[i],
            mean=float(predicted["mean"][i]),
            lo80=float(predicted["lo-80"][i]),
            hi80=float(predicted["hi-80"][i]),
            lo95=float(predicted["lo-95"][i]),
            hi95=float(predicted["hi-95"][i]),
        )
        for i in range(horizon)
    ]
    return ForecastFinding(
        measure=measure,
        horizon=horizon,
        season_length=seasons[0] if seasons else 1,
        model=chosen,
        reason=reason,
        backtest=sorted(scores, key=lambda s: s.mase),
        points=points,
    )


def _future_labels(series: TimeSeries, horizon: int) -> list[str]:
    freq = pd.infer_freq(series.times) if len(series.times) >= 3 else None
    last = series.times[-1]
    if freq:
        future = pd.date_range(last, periods=horizon + 1, freq=freq)[1:]
    else:
        future = pd.DatetimeIndex(
            [last + pd.Timedelta(days=series.step_days * (k + 1)) for k in range(horizon)]
        )
    if series.step_days >= 1:
        return [t.strftime("%Y-%m-%d") for t in future]
    return [t.isoformat() for t in future]
