# SPDX-License-Identifier: MIT
"""Key drivers on planted changes: one segment, a combination, mix versus rate, what drives high values."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from chat2chart.analytics.associations import what_drives
from chat2chart.analytics.drivers import explain_change, explain_dimension, split_periods
from chat2chart.analytics.findings import AnalyticsError

REGIONS, PRODUCTS, CHANNELS = (
    ["North", "South", "East", "West"],
    ["Laptops", "Phones", "Tablets"],
    ["Online", "Store"],
)


def _cells(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = itertools.product(REGIONS, PRODUCTS, CHANNELS)
    return pd.DataFrame(
        [{"region": r, "product": p, "channel": c, "revenue": rng.uniform(80, 120)} for r, p, c in rows]
    )


def test_contributions_and_shares_match_pandas_and_sum_to_the_change():
    before = _cells()
    after = before.assign(revenue=before["revenue"] * np.where(before["region"] == "West", 0.5, 1.02))
    found = explain_dimension(before, after, measure="revenue", dimension="region")
    by_value = {c.value: c for c in found.contributions}
    expected = after.groupby("region")["revenue"].sum() - before.groupby("region")["revenue"].sum()
    for region in REGIONS:
        assert by_value[region].change == pytest.approx(expected[region])
    assert sum(c.share for c in found.contributions) == pytest.approx(1.0)
    assert found.contributions[0].value == "West"


def test_a_drop_in_one_combination_is_traced_to_it_and_said_in_one_sentence():
    before = _cells(1)
    after = before.copy()
    hit = (after["region"] == "West") & (after["product"] == "Laptops") & (after["channel"] == "Online")
    after.loc[hit, "revenue"] *= 0.1
    found = explain_change(
        before,
        after,
        measure="revenue",
        dimensions=["region", "product", "channel"],
        before_label="February",
        after_label="March",
    )
    assert found.change == pytest.approx(after["revenue"].sum() - before["revenue"].sum())
    assert found.root_causes[0].segment == {"region": "West", "product": "Laptops", "channel": "Online"}
    assert found.root_causes[0].share == pytest.approx(1.0)
    assert found.drill_parent is not None
    assert found.drill_parent.share == pytest.approx(1.0)
    assert found.sentence.startswith("revenue fell by")
    assert "from February to March" in found.sentence
    assert "100 % of the drop" in found.sentence


def test_two_planted_segments_are_two_root_causes():
    before = _cells(2)
    after = before.copy()
    after.loc[(after["region"] == "West") & (after["product"] == "Laptops"), "revenue"] *= 0.3
    after.loc[(after["region"] == "East") & (after["product"] == "Phones"), "revenue"] *= 0.5
    found = explain_change(before, after, measure="revenue", dimensions=["region", "product", "channel"])
    segments = [c.segment for c in found.root_causes]
    assert segments == [{"region": "West", "product": "Laptops"}, {"region": "East", "product": "Phones"}]
    assert sum(c.share for c in found.root_causes) == pytest.approx(1.0)


def test_a_ratio_change_splits_exactly_into_mix_and_rate():
    before = pd.DataFrame({"channel": ["Online", "Store"], "orders": [50.0, 30.0], "visits": [1000.0, 300.0]})
    # Traffic moves to the low-converting channel; each channel's own rate stays the same.
    after = pd.DataFrame({"channel": ["Online", "Store"], "orders": [100.0, 15.0], "visits": [2000.0, 150.0]})
    found = explain_change(before, after, measure="orders", dimensions=["channel"], denominator="visits")
    rate_before, rate_after = 80 / 1300, 115 / 2150
    assert found.before == pytest.approx(rate_before)
    assert found.after == pytest.approx(rate_after)
    parts = found.dimensions[0].contributions
    assert sum(c.mix + c.rate for c in parts) == pytest.approx(rate_after - rate_before)
    assert all(c.rate == pytest.approx(0.0) for c in parts)


def test_the_default_comparison_is_the_latest_month_against_the_one_before():
    frame = pd.DataFrame({"day": ["2024-01-31", "2024-02-01", "2024-03-05", "2024-03-31"], "v": [1, 2, 3, 4]})
    before, after, before_label, after_label = split_periods(frame, time="day")
    assert (before_label, after_label) == ("2024-02", "2024-03")
    assert before["v"].tolist() == [2]
    assert after["v"].tolist() == [3, 4]


def test_what_drives_keeps_only_factors_that_pass_the_test():
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame(
        {
            "segment": rng.choice(["A", "B", "C"], n),
            "colour": rng.choice(["red", "blue"], n),
            "discount": rng.uniform(0, 1, n),
            "noise": rng.normal(0, 1, n),
        }
    )
    frame["revenue"] = 100 + 30 * (frame["segment"] == "A") - 20 * frame["discount"] + rng.normal(0, 5, n)
    found = what_drives(
        frame, measure="revenue", dimensions=["segment", "colour"], numeric=["discount", "noise"]
    )
    assert {a.factor for a in found} == {"segment", "discount"}
    for item in found:
        assert item.ci_low <= item.effect <= item.ci_high
        assert item.p_value < 0.05
    discount = next(a for a in found if a.factor == "discount")
    assert discount.effect < 0


def test_a_missing_column_is_refused_by_name():
    with pytest.raises(AnalyticsError, match="returns"):
        explain_change(_cells(), _cells(), measure="returns", dimensions=["region"])


def _countries() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planted: Singapore falls by 4,470 while the other countries rise by 3,470 in all, a drop of 1,000."""
    before = pd.DataFrame(
        {
            "country": ["Singapore", "Japan", "Germany", "Brazil"],
            "channel": ["Online", "Online", "Retail", "Retail"],
            "revenue": [5000.0, 4000.0, 3000.0, 2000.0],
        }
    )
    after = before.assign(revenue=[530.0, 6000.0, 4000.0, 2470.0])
    return before, after


def test_the_concentration_index_stays_between_0_and_1_when_values_move_against_the_total():
    before, after = _countries()
    found = explain_change(before, after, measure="revenue", dimensions=["country", "channel"])
    for explanation in found.dimensions:
        assert 0.0 <= explanation.explained <= 1.0
        # Independent: total variation distance between the split of |change| and the earlier split.
        left = before.groupby(explanation.dimension)["revenue"].sum()
        moved = (after.groupby(explanation.dimension)["revenue"].sum() - left).abs()
        expected = ((moved / moved.sum()) - (left / left.sum())).abs().sum() / 2
        assert explanation.explained == pytest.approx(round(expected, 4), abs=1e-4)
    # Every value moving in proportion to its size scores 0.
    even = explain_dimension(
        before, before.assign(revenue=before.revenue * 0.9), measure="revenue", dimension="country"
    )
    assert even.explained == pytest.approx(0.0, abs=1e-9)


def test_a_value_that_moved_more_than_the_whole_change_is_said_in_plain_words():
    from chat2chart.analytics.words import drivers_sentence
    from chat2chart.conversations.analysis_tables import drivers_text

    before, after = _countries()
    found = explain_change(before, after, measure="revenue", dimensions=["country", "channel"])
    change = after.revenue.sum() - before.revenue.sum()
    singapore = float(after.revenue[0] - before.revenue[0])
    assert (change, singapore) == (-1000.0, -4470.0)
    assert found.drill_parent is not None
    assert found.drill_parent.value == "Singapore"
    assert found.drill_parent.share == pytest.approx(singapore / change)  # 4.47: above 1
    plain = (
        "fell by 4,470, more than the whole drop of 1,000, "
        "because the other country values together rose by 3,470"
    )
    for text in (drivers_sentence(found), drivers_text(found, "revenue", None)):
        assert plain in text, text
        assert "447" not in text
    assert "Country Singapore fell by 4,470" in drivers_text(found, "revenue", None)
