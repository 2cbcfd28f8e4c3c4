# SPDX-License-Identifier: MIT
"""Multi-dimensional root causes: the fewest segment combinations explaining a change of an additive measure.

A greedy, simplified take on Squeeze (Li et al., ISSRE 2019) and RiskLoc (Kalander, 2022): find the
one-dimension value carrying the most change, split it into its children while its change is uneven across
them (a true cause changes all of its cells alike), take the segments out, and repeat on what is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from chat2chart.analytics.findings import RootCause

KEEP = 0.9  # children are taken until they hold this share of their parent's change
RIPPLE = 0.2  # a segment whose change departs this far from proportional is split (total variation distance)
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


def _scope(cells: pd.DataFrame, segment: dict[str, str]) -> pd.DataFrame:
    inside = pd.Series(True, index=cells.index)
    for key, value in segment.items():
        inside &= cells[key] == value
    return cells[inside]


def _uneven_dimension(scope: pd.DataFrame, free: Sequence[str]) -> tuple[str, float] | None:
    """The free dimension across which the segment's change is least proportional to the earlier sizes
    (total variation distance between the change's split and the earlier split), with that distance."""
    total = float(scope["change"].sum())
    if total == 0:
        return None
    best: tuple[str, float] | None = None
    for dimension in free:
        sums = scope.groupby(dimension)[["before", "change"]].sum()
        base = sums["before"] / sums["before"].sum() if sums["before"].sum() else sums["before"] * 0
        distance = float((sums["change"] / total - base).abs().sum() / 2)
        if best is None or distance > best[1]:
            best = (dimension, distance)
    return best


def _refine(
    cells: pd.DataFrame,
    segment: dict[str, str],
    carried: float,
    dimensions: Sequence[str],
    direction: float,
    depth: int,
) -> list[tuple[dict[str, str], float]]:
    """Split a segment into the children that carry its change when the change is not spread over it
    evenly (the 'ripple effect' test of Squeeze: a true cause changes all of its cells alike)."""
    free = [d for d in dimensions if d not in segment]
    scope = _scope(cells, segment)
    uneven = _uneven_dimension(scope, free) if free and len(segment) < depth else None
    if uneven is None or uneven[1] < RIPPLE:
        return [(segment, carried)]
    sums = (scope.groupby(uneven[0])["change"].sum() * direction).sort_values(ascending=False)
    children: list[tuple[dict[str, str], float]] = []
    for value, amount in sums.items():
        if amount <= 0 or sum(c for _, c in children) >= KEEP * carried:
            break
        child = {**segment, uneven[0]: str(value)}
        children += _refine(cells, child, float(amount), dimensions, direction, depth)
    return children or [(segment, carried)]


def _generalise(
    cells: pd.DataFrame, segment: dict[str, str], carried: float, direction: float
) -> tuple[dict[str, str], float]:
    """Drop a condition from the segment while the wider segment changed evenly across the dropped
    dimension and carries at least as much change: the cause is the wider one."""
    improved = True
    while improved and len(segment) > 1:
        improved = False
        for key in list(segment):
            wider = {k: v for k, v in segment.items() if k != key}
            scope = _scope(cells, wider)
            amount = float(scope["change"].sum()) * direction
            uneven = _uneven_dimension(scope, [key])
            if amount >= carried and uneven is not None and uneven[1] < RIPPLE:
                segment, carried, improved = wider, amount, True
                break
    return segment, carried


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
    change in the measure's unit and its share of the total change (signed), in the order found.
    Algorithm: take the one-dimension value carrying the most change; while its change is uneven across
    another dimension (total variation distance to the earlier split ≥ RIPPLE), replace it by the children
    carrying the change; take the causes out and repeat until ENOUGH of the change is explained.
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
        for narrow, amount in _refine(remaining, found[0], found[1], dimensions, direction, max_depth):
            if len(causes) >= max_causes:
                break
            segment, carried = _generalise(remaining, narrow, amount, direction)
            causes.append(
                RootCause(segment=segment, change=direction * carried, share=direction * carried / total)
            )
            explained += carried / abs(total)
            remaining = remaining.drop(_scope(remaining, segment).index)
    return causes
