# SPDX-License-Identifier: MIT
"""Back-test harness for `chat2chart.analytics.forecast` on synthetic series of known structure.

    .venv/bin/python bench/forecast_eval.py [--seeds 5]

Families: daily trend with a weekly pattern; daily weekly + yearly patterns (MSTL territory); a level shift;
intermittent demand (mostly zeros); monthly trend with a yearly pattern. For each series the last `h` points
are hidden; every model is fitted on the rest, the product's own back-test picks one (on the rest only), and
MASE and sMAPE are measured on the hidden points. Prints the mean per family and model, the chosen model's
mean, and whether the chosen model beats seasonal naive on average (it must not lose).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat2chart.analytics import forecast as fc  # noqa: E402
from chat2chart.analytics.timeseries import to_time_series  # noqa: E402

Family = Callable[[np.random.Generator], tuple[pd.DatetimeIndex, np.ndarray, int]]


def trend_weekly(rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
    n = 210
    t = np.arange(n)
    y = 200 + 0.8 * t + 25 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 6, n)
    return pd.date_range("2023-01-01", periods=n, freq="D"), y, 14


def weekly_yearly(rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
    n = 800
    t = np.arange(n)
    y = 500 + 40 * np.sin(2 * np.pi * t / 7) + 120 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 10, n)
    return pd.date_range("2022-01-01", periods=n, freq="D"), y, 28


def level_shift(rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
    n = 180
    t = np.arange(n)
    y = 100 + 15 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 4, n)
    y[int(n * 0.7) :] += 60
    return pd.date_range("2023-01-01", periods=n, freq="D"), y, 14


def intermittent(rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
    n = 200
    demand = rng.poisson(3, n) * (rng.uniform(size=n) < 0.25)
    return pd.date_range("2023-01-01", periods=n, freq="D"), demand.astype(float), 14


def monthly_yearly(rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
    n = 72
    t = np.arange(n)
    y = 1000 + 6 * t + 150 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 25, n)
    return pd.date_range("2018-01-01", periods=n, freq="MS"), y, 6


FAMILIES: dict[str, Family] = {
    "trend + weekly (daily)": trend_weekly,
    "weekly + yearly (daily)": weekly_yearly,
    "level shift (daily)": level_shift,
    "intermittent demand": intermittent,
    "trend + yearly (monthly)": monthly_yearly,
}


def evaluate(family: Family, seed: int) -> dict[str, tuple[float, float]]:
    """{model: (MASE, sMAPE)} on the hidden points, plus "chosen"."""
    times, values, horizon = family(np.random.default_rng(seed))
    history, future = values[:-horizon], values[-horizon:]
    recent = history[-fc.MAX_HISTORY :]  # the points the product reads
    seasons = fc.season_lengths(to_time_series(times[:-horizon][-fc.MAX_HISTORY :], recent), horizon)
    season = seasons[0] if seasons else 1
    scores = {}
    # Each model at its best: fitted on its whole window up to the hidden points, scored on them.
    for _, model, window in fc.fit_backtest(np.append(recent, future), horizon=horizon, seasons=seasons):
        guess = np.asarray(model.forward(y=recent[-(window - horizon) :], h=horizon)["mean"], dtype=float)
        scores[fc._name(model)] = (fc.mase(future, guess, history, season), fc.smape(future, guess))
    # What the product itself forecasts (its back-test sees only `history`).
    chosen = fc.forecast(times[:-horizon], history, horizon=horizon)
    guess = np.array([point.mean for point in chosen.points])
    scores["chosen"] = (fc.mase(future, guess, history, season), fc.smape(future, guess))
    scores[f"chosen={chosen.model}"] = scores["chosen"]
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    overall: dict[str, list[float]] = defaultdict(list)
    overall_smape: dict[str, list[float]] = defaultdict(list)
    print(f"{'family':26} {'model':14} {'MASE':>7} {'sMAPE %':>8}")
    for name, family in FAMILIES.items():
        runs = [evaluate(family, seed) for seed in range(args.seeds)]
        models = ["AutoETS", "AutoTheta", "MSTL", "SeasonalNaive", "chosen"]
        for model in models:
            pairs = [r[model] for r in runs if model in r]
            if not pairs:
                continue
            m, s = statistics.mean(p[0] for p in pairs), statistics.mean(p[1] for p in pairs)
            overall[model].append(m)
            overall_smape[model].append(s)
            print(f"{name:26} {model:14} {m:7.3f} {s:8.2f}")
        picks = [k.split("=", 1)[1] for r in runs for k in r if k.startswith("chosen=")]
        print(f"{'':26} picked: {', '.join(f'{p} x{picks.count(p)}' for p in sorted(set(picks)))}")
    print()
    for model in ("chosen", "SeasonalNaive", "AutoETS", "AutoTheta"):
        print(
            f"mean over families  {model:14} MASE {statistics.mean(overall[model]):.3f}"
            f"  sMAPE {statistics.mean(overall_smape[model]):.2f} %"
        )
    regular = [i for i, name in enumerate(FAMILIES) if name != "intermittent demand"]
    for model in ("chosen", "SeasonalNaive"):
        mean_smape = statistics.mean(overall_smape[model][i] for i in regular)
        print(f"sMAPE without intermittent demand (zeros make sMAPE 200 %)  {model:14} {mean_smape:.2f} %")
    verdict = statistics.mean(overall["chosen"]) <= statistics.mean(overall["SeasonalNaive"])
    print(f"chosen model does not lose to seasonal naive on average: {verdict}")
    print(f"{len(FAMILIES) * args.seeds} series in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
