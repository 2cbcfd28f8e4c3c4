# SPDX-License-Identifier: MIT
"""Distribution shape over rows on planted samples: every figure equals scipy's or pandas' on the same rows,
whether the rows come one by one or as (value, row count) pairs, and the planted shape is the one named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from chat2chart.analytics import distribution
from chat2chart.analytics.findings import AnalyticsError
from chat2chart.analytics.insights import grouped_insights, table_insights


def _counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, counts = np.unique(x, return_counts=True)
    return values, counts


def _tukey(x: np.ndarray) -> tuple[float, float, int]:
    q1, q3 = pd.Series(x).quantile([0.25, 0.75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return low, high, int(((x < low) | (x > high)).sum())


def test_a_right_skewed_heavy_tailed_sample_matches_scipy_and_pandas():
    x = np.round(np.random.default_rng(1).lognormal(2, 0.8, 3000), 1)
    profile = distribution.distribution_profile(*_counts(x), measure="amount")
    assert profile.n == 3000
    assert profile.skewness == pytest.approx(stats.skew(x, bias=False), abs=1e-4)
    assert profile.excess_kurtosis == pytest.approx(stats.kurtosis(x, bias=False), abs=1e-4)
    assert profile.std == pytest.approx(np.std(x, ddof=1))
    assert (profile.q1, profile.median, profile.q3) == pytest.approx(
        tuple(pd.Series(x).quantile([0.25, 0.5, 0.75]))
    )
    low, high, outside = _tukey(x)
    assert (profile.iqr_low, profile.iqr_high, profile.iqr_outliers) == (
        pytest.approx(low),
        pytest.approx(high),
        outside,
    )
    mad = stats.median_abs_deviation(x)
    assert profile.mad == pytest.approx(mad)
    assert profile.mad_outliers == int((0.6745 * np.abs(x - np.median(x)) / mad > 3.5).sum())
    assert profile.skew_label == "right-skewed"
    assert profile.heavy_tailed
    assert not profile.multimodal
    assert not profile.zero_inflated


def test_rows_one_by_one_and_as_value_counts_give_the_same_profile():
    x = np.random.default_rng(2).integers(0, 40, 501).astype(float)
    one_by_one = distribution.distribution_profile(x, measure="m").model_dump()
    grouped = distribution.distribution_profile(*_counts(x), measure="m").model_dump()
    assert grouped == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in one_by_one.items()}


def test_two_separate_peaks_are_multimodal_and_a_normal_sample_is_plain():
    rng = np.random.default_rng(3)
    two = np.concatenate([rng.normal(10, 1, 1000), rng.normal(20, 1, 1000)])
    assert distribution.distribution_profile(two, measure="m").multimodal
    plain = distribution.distribution_profile(rng.normal(50, 5, 2000), measure="m")
    assert plain.skew_label == "symmetric"
    assert not plain.multimodal
    assert not plain.heavy_tailed
    assert plain.iqr_outlier_share < 0.02
    assert plain.mad_outliers <= 2


def test_heavy_tails_of_a_contaminated_normal_sample():
    rng = np.random.default_rng(4)
    x = np.where(rng.uniform(size=5000) < 0.1, rng.normal(0, 5, 5000), rng.normal(0, 1, 5000))
    profile = distribution.distribution_profile(x, measure="m")
    assert profile.heavy_tailed
    assert profile.skew_label == "symmetric"
    assert profile.excess_kurtosis == pytest.approx(stats.kurtosis(x, bias=False), abs=1e-4)


def test_zero_inflated_counts_are_told_apart_from_plain_poisson_counts():
    rng = np.random.default_rng(5)
    plain = rng.poisson(1.0, 4000).astype(float)  # about 37 % zeros, as Poisson expects
    assert not distribution.distribution_profile(plain, measure="units").zero_inflated
    inflated = np.where(rng.uniform(size=4000) < 0.4, 0, rng.poisson(4.0, 4000)).astype(float)
    profile = distribution.distribution_profile(inflated, measure="units")
    assert profile.zero_share == pytest.approx((inflated == 0).mean(), abs=1e-6)
    assert profile.expected_zero_share == pytest.approx(np.exp(-inflated.mean()), abs=1e-6)
    assert profile.zero_inflated


def test_too_few_rows_are_refused():
    with pytest.raises(AnalyticsError, match="at least 8"):
        distribution.distribution_profile([1, 2, 3], measure="m")


def _orders() -> pd.DataFrame:
    """Units per order line in five regions; East has 90 % zero lines, the others Poisson(3)."""
    rng = np.random.default_rng(6)
    rows = []
    for region in ("North", "South", "East", "West", "Centre"):
        units = rng.poisson(3.0, 400).astype(float)
        if region == "East":
            units[rng.uniform(size=400) < 0.9] = 0
        rows += [{"region": region, "units": u} for u in units]
    return pd.DataFrame(rows)


def test_the_region_with_planted_zeros_stands_apart():
    frame = _orders()
    shapes = distribution.segment_shapes(
        frame, dimension="region", value="units", count=None, measure="units"
    )
    assert [(s.segment, s.what) for s in shapes] == [("East", "zeros")]
    east = frame.region == "East"
    assert shapes[0].share == pytest.approx((frame.units[east] == 0).mean(), abs=1e-6)
    assert shapes[0].others_share == pytest.approx((frame.units[~east] == 0).mean(), abs=1e-6)


def test_the_feed_over_value_counts_reports_zeros_and_the_region_behind_them():
    frame = _orders()
    overall = frame.groupby("units").size().rename("rows").reset_index().rename(columns={"units": "value"})
    by_region = frame.groupby(["units", "region"]).size().rename("rows").reset_index()
    found = grouped_insights(
        measures=["units"],
        value_counts={"units": overall},
        value_counts_by={("units", "region"): by_region.rename(columns={"units": "value"})},
        top=10,
    )
    kinds = {f.kind: f for f in found}
    assert "distribution" not in kinds  # one finding per distribution: the zeros, the most specific
    zero_share = (frame.units == 0).mean()
    assert kinds["zeros"].sentence.startswith(
        f"{zero_share * 100:.0f} % of rows have units = 0, more than the"
    )
    east = (frame.units[frame.region == "East"] == 0).mean()
    assert kinds["distribution_segment"].sentence.startswith(f"In region East, {east * 100:.0f} % of rows")
    assert all(f.chart["series"][0]["data"] for f in found)


def test_table_insights_report_planted_outliers_with_their_share_of_the_total():
    rng = np.random.default_rng(7)
    amount = rng.normal(100, 10, 970).tolist() + [1000.0] * 30
    frame = pd.DataFrame({"amount": amount, "shop": [f"s{i % 6}" for i in range(1000)]})
    found = {f.kind: f for f in table_insights(frame, measures=["amount"], dimensions=["shop"], top=10)}
    assert "distribution" not in found  # its skew is the outliers' doing: one finding per distribution
    x = frame.amount.to_numpy()
    low, high, outside = _tukey(x)
    share = x[(x < low) | (x > high)].sum() / x.sum()
    assert found["outliers"].detail["share_of_measure"] == pytest.approx(share, abs=1e-6)
    assert found["outliers"].sentence.startswith(f"{outside:,} of 1,000 rows")
    assert found["outliers"].detail["profile"]["skewness"] == pytest.approx(
        stats.skew(x, bias=False), abs=1e-4
    )
