# SPDX-License-Identifier: MIT
"""Patterns on planted tables: correlation with its caveat, Pareto share, weekday cycle, outlier, shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chat2chart.analytics import patterns


def test_correlated_measures_are_found_with_the_caveat_and_unrelated_ones_are_not():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"ads": rng.uniform(0, 100, 200), "noise": rng.normal(0, 1, 200)})
    frame["sales"] = 3 * frame["ads"] + rng.normal(0, 10, 200)
    found = patterns.correlations(frame, ["ads", "sales", "noise"])
    assert [(c.left, c.right) for c in found] == [("ads", "sales")]
    assert found[0].pearson == pytest.approx(frame["ads"].corr(frame["sales"]), abs=1e-4)
    assert "does not say one causes the other" in found[0].caveat


def test_pareto_share_of_the_top_fifth_matches_pandas():
    frame = pd.DataFrame(
        {"customer": [f"c{i}" for i in range(10)], "revenue": [500, 300, 50, 40, 30, 25, 20, 15, 10, 10]}
    )
    found = patterns.concentration(frame, dimension="customer", measure="revenue")
    assert found.top_share_of_values == pytest.approx(0.2)
    assert found.share_of_measure == pytest.approx(800 / 1000)
    assert 0.5 < found.gini < 1


def test_a_weekend_dip_is_a_day_of_week_pattern():
    days = pd.date_range("2024-01-01", periods=84, freq="D")
    rng = np.random.default_rng(1)
    values = np.where(days.dayofweek >= 5, 20, 100) + rng.normal(0, 3, 84)
    found = patterns.cycle_pattern(days, values, measure="visits", cycle="day_of_week")
    assert found is not None
    assert found.p_value < 0.001
    assert found.lowest in ("Saturday", "Sunday")
    assert found.highest not in ("Saturday", "Sunday")
    assert found.means["Monday"] == pytest.approx(values[days.dayofweek == 0].mean())


def test_one_store_far_above_the_rest_is_an_outlier_segment():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"store": [f"s{i}" for i in range(12)], "sales": rng.normal(100, 5, 12)})
    frame.loc[7, "sales"] = 400
    found = patterns.outlier_segments(frame, dimension="store", measure="sales")
    assert [o.value for o in found] == ["s7"]
    assert found[0].robust_z > 3.5


def test_distribution_shapes_of_planted_samples():
    rng = np.random.default_rng(3)
    normal = patterns.distribution_shape(rng.normal(0, 1, 2000), measure="x")
    assert normal.skew_label == "symmetric"
    assert not normal.multimodal
    assert not normal.heavy_tailed
    two_peaks = patterns.distribution_shape(
        np.r_[rng.normal(0, 1, 1000), rng.normal(8, 1, 1000)], measure="x"
    )
    assert two_peaks.multimodal
    sample = rng.lognormal(0, 1, 2000)
    skewed = patterns.distribution_shape(sample, measure="x")
    assert skewed.skew_label == "right-skewed"
    assert skewed.heavy_tailed
    assert skewed.skewness == pytest.approx(pd.Series(sample).skew(), abs=1e-3)
    assert skewed.excess_kurtosis == pytest.approx(pd.Series(sample).kurt(), abs=1e-3)
