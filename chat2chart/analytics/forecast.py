# SPDX-License-Identifier: MIT
"""Forecasts of a measure over time (statsforecast), the model chosen by a back-test on the series itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoETS, AutoTheta, SeasonalNaive

from chat2chart.analytics.findings import AnalyticsError, ForecastFinding, ForecastPoint, ModelScore
from chat2chart.analytics.timeseries import TimeSeries, to_time_series

BASELINE = "SeasonalNaive"
MIN_POINTS = 10
# The most recent points a forecast is fitted on: beyond about three years of days, older history changes
# the models' choices little and their fitting time a lot (chat answers in well under a second).
MAX_HISTORY = 1_200


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


def _models(seasons: list[int], only: str | None = None) -> list[Any]:
    """The candidate models (or just the one named `only`, e.g. the back-test's choice)."""
    season = seasons[0] if seasons else 1
    models: list[Any] = [
        AutoETS(season_length=season),
        AutoTheta(season_length=season),
        SeasonalNaive(season_length=season),
    ]
    if seasons:
        models.append(MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"), alias="MSTL"))
    if only is not None:
        models = [m for m in models if str(getattr(m, "alias", "")) == only or type(m).__name__ == only]
    return models


def _frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": "series", "ds": np.arange(len(values)), "y": values})


def backtest(values: np.ndarray, *, horizon: int, seasons: list[int]) -> list[ModelScore]:
    """MASE and sMAPE of every model, fitted on all but the last `horizon` points and scored on them."""
    train, test = values[:-horizon], values[-horizon:]
    predicted = StatsForecast(models=_models(seasons), freq=1, n_jobs=1).forecast(df=_frame(train), h=horizon)
    season = seasons[0] if seasons else 1
    scores = []
    for model in _model_names(predicted):
        guess = predicted[model].to_numpy(dtype=float)
        if not np.all(np.isfinite(guess)):
            continue
        scores.append(
            ModelScore(model=model, mase=mase(test, guess, train, season), smape=smape(test, guess))
        )
    return scores


def _model_names(predicted: pd.DataFrame) -> list[str]:
    return [
        c for c in predicted.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c
    ]


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
    in periods of that step (1-365); a longer history is cut to its last MAX_HISTORY points. Output: a
    ForecastFinding with the chosen model, why it was chosen, every model's back-test MASE and sMAPE on the
    last `horizon` points, and the forecast points (the chosen model alone refitted on the whole history).
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
    scores = backtest(series.values, horizon=horizon, seasons=seasons)
    if not scores:
        raise AnalyticsError("No model could be fitted to this series.")
    chosen, reason = choose_model(scores)
    predicted = StatsForecast(models=_models(seasons, only=chosen), freq=1, n_jobs=1).forecast(
        df=_frame(series.values), h=horizon, level=[80, 95]
    )
    future = _future_labels(series, horizon)
    points = [
        ForecastPoint(
            at=future[i],
            mean=float(row[chosen]),
            lo80=float(row[f"{chosen}-lo-80"]),
            hi80=float(row[f"{chosen}-hi-80"]),
            lo95=float(row[f"{chosen}-lo-95"]),
            hi95=float(row[f"{chosen}-hi-95"]),
        )
        for i, (_, row) in enumerate(predicted.iterrows())
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
