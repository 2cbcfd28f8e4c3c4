# SPDX-License-Identifier: MIT
"""Multi-dimensional root causes: the fewest segment combinations explaining a change of an additive measure.

A greedy, simplified take on Squeeze (Li et al., ISSRE 2019) and RiskLoc (Kalander, 2022): find the
one-dimension value carrying the most change, descend into a combination with another dimension while the
combination keeps nearly all of it, take the segment out, and repeat on what is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from chat2chart.analytics.findings import RootCause

KEEP = 0.9  # descend into a child segment when it holds at least this share of its parent's change
ENOUGH = 0.9  # stop once the causes found explain this share of the change
SMALLEST = 0.1  # a cause must carry at least this share of the change


def _cells(
    before: pd.DataFrame, after: pd.DataFrame, measure: str, dimensions: Sequence[str]
) -> pd.DataFrame:
    keys = list(dimensions)
    left = before.assign(**{d: before[d].astype(str) for d in keys}).groupby(keys)[measure].sum()
    right = after.assign(**{d: after[d].astype(str) for d in keys}).groupby(keys)[measure].sum()
    cells = pd.concat([left.rename("before"), right.rename("after")], axis=1).fillna(0.0).reset_index()
    cells["change"] = cells["after"] - cells["before"]
    return cells


def _best(
    cells: pd.DataFrame, fixed: dict[str, str], free: Sequence[str], direction: float
) -> tuple[dict[str, str], float] | None:
    scope = cells
    for key, value in fixed.items():
        scope = scope[scope[key] == value]
    best: tuple[dict[str, str], float] | None = None
    for dimension in free:
        sums = scope.groupby(dimension)["change"].sum() * direction
        if sums.empty:
            continue
        value = str(sums.idxmax())
        if best is None or sums.max() > best[1]:
            best = ({**fixed, dimension: value}, float(sums.max()))
    return best


def root_causes(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    measure: str,
    dimensions: Sequence[str],
    max_causes: int = 3,
    max_depth: int = 3,
) -> list[RootCause]:
    """The segments (combinations of dimension values) that together explain the change of `measure`.

    Inputs: two frames of grouped rows with the `dimensions` and the additive `measure`. Output: up to
    `max_causes` RootCause items, each a {dimension: value} segment of at most `max_depth` dimensions, its
    change in the measure's unit and its share of the total change (signed), largest first.
    """
    cells = _cells(before, after, measure, dimensions)
    total = float(cells["change"].sum())
    if total == 0:
        return []
    direction = 1.0 if total > 0 else -1.0
    causes: list[RootCause] = []
    remaining = cells
    explained = 0.0
    while len(causes) < max_causes and explained < ENOUGH:
        found = _best(remaining, {}, dimensions, direction)
        if found is None or found[1] < SMALLEST * abs(total):
            break
        segment, carried = found
        while len(segment) < max_depth:
            child = _best(remaining, segment, [d for d in dimensions if d not in segment], direction)
            if child is None or child[1] < KEEP * carried:
                break
            segment, carried = child
        causes.append(
            RootCause(segment=segment, change=direction * carried, share=direction * carried / total)
        )
        explained += carried / abs(total)
        inside = pd.Series(True, index=remaining.index)
        for key, value in segment.items():
            inside &= remaining[key] == value
        remaining = remaining[~inside]
    return causes
