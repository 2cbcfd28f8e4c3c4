# SPDX-License-Identifier: MIT
"""The streaming detector on planted spikes: flags explain themselves, presets order, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chat2chart.analytics.anomalies import anomaly_scores, detect_anomalies, detect_anomalies_by_segment
from chat2chart.analytics.findings import AnalyticsError


def _series(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 + 20 * np.sin(2 * np.pi * np.arange(n) / 7) + rng.normal(0, 2, n)


def test_a_planted_spike_is_flagged_with_expected_value_range_and_sigma():
    values = _series()
    values[80] += 40
    found = detect_anomalies(values, period=7, measure="orders")
    flag = max(found.flags, key=lambda f: abs(f.sigma))
    assert flag.index == 80
    assert flag.direction == "above"
    # The expected value is the median of the same weekday over the last three weeks.
    assert flag.expected == pytest.approx(np.median(values[[73, 66, 59]]))
    assert flag.deviation == pytest.approx(values[80] - flag.expected)
    assert flag.sigma > 3
    assert flag.low < flag.expected < flag.high
    assert "cycles of 7" in flag.compared_with


def test_presets_flag_fewer_points_as_they_ask_for_fewer_false_alarms():
    values = _series(seed=1)
    values[[60, 90]] += [12, 30]
    counts = {
        preset: len(detect_anomalies(values, period=7, sensitivity=preset).flags)
        for preset in ("miss_nothing", "balanced", "fewer_false_alarms")
    }
    assert counts["miss_nothing"] >= counts["balanced"] >= counts["fewer_false_alarms"] >= 1


def test_a_points_score_does_not_depend_on_later_points():
    values = _series(seed=2)
    full = detect_anomalies(values, period=7)
    cut = detect_anomalies(values[:70], period=7)
    assert full.scores[:70] == cut.scores
    stream = anomaly_scores(np.r_[values, values])
    assert np.array_equal(stream[:120], anomaly_scores(values))


def test_streaming_scores_peak_at_a_planted_level_shift():
    rng = np.random.default_rng(3)
    values = rng.normal(10, 1, 3000)
    values[2000:] += 8
    scores = anomaly_scores(values)
    assert scores.min() >= 0
    assert scores.max() < 1
    # Past the warm-up, the shift is the one alarm (score above 0.5 = the alarm level).
    assert scores[2000:2006].max() > 0.5
    assert scores[1000:2000].max() < 0.5
    assert scores[2006:2300].max() < 0.5


def test_per_segment_detection_names_the_segment_that_spiked():
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    rng = np.random.default_rng(4)
    frame = pd.concat(
        [
            pd.DataFrame({"day": days, "region": r, "sales": 50 + rng.normal(0, 1, 60)})
            for r in ("East", "West")
        ]
    )
    frame.loc[(frame.region == "West") & (frame.day == days[45]), "sales"] += 20
    found = detect_anomalies_by_segment(frame, time="day", measure="sales", segment="region")
    flagged = {f.segment: [flag.at[:10] for flag in f.flags] for f in found}
    assert flagged == {"East": [], "West": ["2024-02-15"]}


def test_short_series_and_unknown_presets_are_refused():
    with pytest.raises(AnalyticsError, match="too few"):
        detect_anomalies([1, 2, 3])
    with pytest.raises(AnalyticsError, match="balanced"):
        detect_anomalies(_series(), sensitivity="paranoid")


def test_streaming_scores_catch_a_daily_shape_that_flattens_within_its_usual_range():
    # A daily cycle of 288 points (5-minute steps) that goes flat at its mean for half a day: no value
    # leaves the usual range, so only the histogram-change detector can see it.
    rng = np.random.default_rng(5)
    t = np.arange(4000)
    values = 50 + 20 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 1, len(t))
    values[3000:3144] = 50 + rng.normal(0, 1, 144)
    scores = anomaly_scores(values)
    assert scores[1000:3000].max() < 0.5
    assert scores[3000:3144].max() > 0.5
    streamed = anomaly_scores(values[:3100])
    assert np.array_equal(streamed, scores[:3100])
