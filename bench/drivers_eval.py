# SPDX-License-Identifier: MIT
"""Planted-cause evaluation of `chat2chart.analytics.drivers.explain_change`.

    .venv/bin/python bench/drivers_eval.py [--trials 200]

Each trial draws a table of segments (4 dimensions with 3-6 values each, every combination a row with a
log-normal size and 3 % noise between periods), then plants a cause:
- one segment: one value of one dimension falls (or rises) by 20-60 %;
- two segments: two combinations of two dimensions change in the same direction;
- mix vs rate (ratio measure conversions/visits): either the visits move towards a low-converting value
  (mix) or one value's conversion rate falls (rate).
Hit = the top-ranked dimension and its leading value are the planted ones (one segment); the first two root
causes are the planted combinations, in any order (two segments); the leading value is the planted one
and its larger part (mix or rate) is the planted kind (mix vs rate).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chat2chart.analytics.drivers import explain_change  # noqa: E402

DIMENSIONS = ["region", "product", "channel", "segment"]


def _table(rng: np.random.Generator) -> pd.DataFrame:
    values = {d: [f"{d}{i}" for i in range(int(rng.integers(3, 7)))] for d in DIMENSIONS}
    rows = list(itertools.product(*values.values()))
    frame = pd.DataFrame(rows, columns=DIMENSIONS)
    frame["revenue"] = rng.lognormal(4, 0.8, len(frame))
    return frame


def _noisy(frame: pd.DataFrame, rng: np.random.Generator, column: str = "revenue") -> pd.DataFrame:
    return frame.assign(**{column: frame[column] * rng.normal(1, 0.03, len(frame))})


def one_segment(rng: np.random.Generator) -> bool:
    before = _table(rng)
    after = _noisy(before, rng)
    dimension = str(rng.choice(DIMENSIONS))
    value = str(rng.choice(before[dimension].unique()))
    factor = rng.choice([rng.uniform(0.4, 0.8), rng.uniform(1.2, 1.6)])
    after.loc[after[dimension] == value, "revenue"] *= factor
    found = explain_change(before, after, measure="revenue", dimensions=DIMENSIONS)
    top = found.dimensions[0]
    return top.dimension == dimension and found.drill_parent is not None and found.drill_parent.value == value


def two_segments(rng: np.random.Generator) -> bool:
    before = _table(rng)
    after = _noisy(before, rng)
    planted = []
    first, second = (str(d) for d in rng.choice(DIMENSIONS, 2, replace=False))
    factor = rng.choice([rng.uniform(0.2, 0.5), rng.uniform(1.5, 1.8)])
    while len(planted) < 2:
        segment = {
            first: str(rng.choice(before[first].unique())),
            second: str(rng.choice(before[second].unique())),
        }
        if segment in planted or (planted and segment[first] == planted[0][first]):
            continue
        planted.append(segment)
        mask = (after[first] == segment[first]) & (after[second] == segment[second])
        after.loc[mask, "revenue"] *= factor
    found = explain_change(before, after, measure="revenue", dimensions=DIMENSIONS)
    causes = [c.segment for c in found.root_causes[:2]]
    return all(p in causes for p in planted)


def mix_or_rate(rng: np.random.Generator) -> bool:
    before = _table(rng).rename(columns={"revenue": "visits"})
    dimension = str(rng.choice(DIMENSIONS))
    # The planted dimension's values convert differently (as channels or segments do), 0.5x to 1.5x.
    levels = dict(
        zip(before[dimension].unique(), rng.uniform(0.5, 1.5, before[dimension].nunique()), strict=True)
    )
    base_rate = rng.uniform(0.02, 0.1, len(before)) * before[dimension].map(levels).to_numpy()
    before["conversions"] = before["visits"] * base_rate
    rates = before.groupby(dimension)["conversions"].sum() / before.groupby(dimension)["visits"].sum()
    after = _noisy(before, rng, "visits")
    after["conversions"] = (
        after["visits"] * (before["conversions"] / before["visits"]) * rng.normal(1, 0.03, len(after))
    )
    kind = str(rng.choice(["mix", "rate"]))
    if kind == "mix":
        value = str(rates.idxmin())  # traffic moves towards the worst-converting value
        after.loc[after[dimension] == value, ["visits", "conversions"]] *= rng.uniform(2.0, 3.0)
    else:
        value = str(rng.choice(before[dimension].unique()))
        after.loc[after[dimension] == value, "conversions"] *= rng.uniform(0.3, 0.6)
    found = explain_change(before, after, measure="conversions", dimensions=DIMENSIONS, denominator="visits")
    top = found.dimensions[0]
    lead = max(top.contributions, key=lambda c: abs(c.change))
    found_kind = "mix" if abs(lead.mix or 0) > abs(lead.rate or 0) else "rate"
    return top.dimension == dimension and lead.value == value and found_kind == kind


SCENARIOS = {"one segment": one_segment, "two segments": two_segments, "mix vs rate": mix_or_rate}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    for name, scenario in SCENARIOS.items():
        rng = np.random.default_rng(2024)
        started = time.perf_counter()
        hits = sum(scenario(rng) for _ in range(args.trials))
        elapsed = (time.perf_counter() - started) / args.trials * 1000
        rate = f"{hits}/{args.trials} = {hits / args.trials:.1%}"
        print(f"{name:14} top driver is the planted one: {rate}  ({elapsed:.0f} ms per table)")


if __name__ == "__main__":
    main()
