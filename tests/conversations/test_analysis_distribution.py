# SPDX-License-Identifier: MIT
"""The insights feed in chat reports a measure's distribution over rows (grouped in SQL as value counts):
planted excess zeros in one region come out with the shares pandas computes from the same CSV."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tests.conversations.asking import conversation_on


def _csv() -> str:
    """Order lines in five regions: units Poisson(3), except East where 90 % of lines have 0 units."""
    rng = np.random.default_rng(11)
    lines = ["region,product,units"]
    for region in ("North", "South", "East", "West", "Centre"):
        units = rng.poisson(3.0, 300)
        if region == "East":
            units[rng.uniform(size=300) < 0.9] = 0
        lines += [f"{region},{('Tea', 'Coffee', 'Cocoa')[i % 3]},{u}" for i, u in enumerate(units)]
    return "\n".join(lines) + "\n"


CSV = _csv()
FRAME = pd.read_csv(io.StringIO(CSV))


@pytest.fixture(autouse=True)
def _rule_planner(settings, monkeypatch):
    settings.AISER_LLM_MODEL = ""
    # The feed's time budget (2.5 s) is for production machines; a loaded CI box may spend it before the
    # distribution queries, which run only in its first half. What is tested here is the findings.
    monkeypatch.setattr("chat2chart.conversations.analysis_feed.BUDGET_S", 60.0)


def test_what_is_interesting_reports_the_planted_zeros_and_their_region(alpha):
    ask = conversation_on(alpha.client(), CSV, file_name="lines.csv")
    text = ask("what is interesting in this table?")["content"]
    zeros = (FRAME.units == 0).mean()
    expected = np.exp(-FRAME.units.mean())
    assert f"{zeros * 100:.0f} % of rows have units = 0, more than the {expected * 100:.0f} %" in text, text
    east = FRAME.region == "East"
    in_east, elsewhere = (FRAME.units[east] == 0).mean(), (FRAME.units[~east] == 0).mean()
    assert (
        f"In region East, {in_east * 100:.0f} % of rows have units = 0, against {elsewhere * 100:.0f} % "
        "in the other rows." in text
    ), text
