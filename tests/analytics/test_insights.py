# SPDX-License-Identifier: MIT
"""The insights feed on a planted table: the planted facts come out on top, each a sentence and a chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chat2chart.analytics.insights import table_insights


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=91, freq="D")
    rows = []
    for _i, day in enumerate(days):
        for region in ("North", "South", "East", "West"):
            revenue = 100 + rng.normal(0, 3)
            if region == "West" and day.month == 3:
                revenue *= 0.4  # the planted drop
            rows.append({"day": day.strftime("%Y-%m-%d"), "region": region, "revenue": revenue})
    return pd.DataFrame(rows)


def test_the_planted_drop_is_among_the_top_findings():
    findings = table_insights(_table(), measures=["revenue"], dimensions=["region"], time_column="day", top=5)
    kinds = [f.kind for f in findings]
    assert "drivers" in kinds
    drivers = next(f for f in findings if f.kind == "drivers")
    assert "region West" in drivers.sentence
    assert "from 2024-02 to 2024-03" in drivers.sentence
    assert all(f.sentence.endswith(".") and f.chart["series"] for f in findings)
    # Tested findings first, best score first; findings that describe the rows' distribution after them.
    descriptive = [f.kind in {"distribution", "outliers", "zeros", "distribution_segment"} for f in findings]
    assert descriptive == sorted(descriptive)
    for group in (False, True):
        scores = [f.score for f, d in zip(findings, descriptive, strict=True) if d == group]
        assert scores == sorted(scores, reverse=True)
    assert len({(f.kind, f.detail.get("measure"), f.detail.get("dimension")) for f in findings}) == len(
        findings
    )


def test_a_spent_budget_stops_before_the_next_analysis():
    ticks = iter(range(0, 1000, 100))
    findings = table_insights(
        _table(),
        measures=["revenue"],
        dimensions=["region"],
        time_column="day",
        budget_s=50,
        clock=lambda: next(ticks),
    )
    # The clock reads 0 at the start and 100 before the first analysis: nothing ran.
    assert findings == []
