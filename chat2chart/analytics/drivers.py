# SPDX-License-Identifier: MIT
"""Key drivers of a change ("why did revenue fall in March?") over a frame of grouped rows.

Two frames with the same dimension columns (the earlier and the later period, or two segments) in;
each dimension's contributions, the ranking of dimensions, a drill one level into the top one, the
root-cause segments and one sentence out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chat2chart.analytics.findings import (
    AnalyticsError,
    Contribution,
    DimensionExplanation,
    DriversFinding,
)
from chat2chart.analytics.rootcause import root_causes
from chat2chart.analytics.words import drivers_sentence


def _totals(before: pd.DataFrame, after: pd.DataFrame, dimension: str, column: str) -> pd.DataFrame:
    left = before.groupby(dimension, dropna=False)[column].sum()
    right = after.groupby(dimension, dropna=False)[column].sum()
    table = pd.concat([left.rename("before"), right.rename("after")], axis=1).fillna(0.0)
    table.index = table.index.map(lambda v: "(empty)" if pd.isna(v) else str(v))
    return table


def _concentration(change: np.ndarray, baseline: np.ndarray, total_change: float) -> float:
    """How far the change departs from every value moving in proportion to its earlier size, in [0, 1]:
    the total variation distance between the split of the movement (each value's |change| over the sum of
    |change|) and the earlier split (each value's share of the earlier total). 0: every value moved in
    proportion to its size (a dimension unrelated to the cause); near 1: all the movement is in one value
    that was small before (1 minus its earlier share). Absolute changes are split, not signed ones, so
    values that moved against the total (their signed shares below 0 or above 1) cannot push the index
    past 1. This is the "surprise" idea of Adtributor (Bhagwan et al., NSDI 2014)."""
    moved = np.abs(change)
    if total_change == 0 or not moved.sum():
        return 0.0
    weights = baseline / baseline.sum() if baseline.sum() else np.full(len(baseline), 1 / len(baseline))
    return float(np.abs(moved / moved.sum() - weights).sum() / 2)


def explain_dimension(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    measure: str,
    dimension: str,
    denominator: str | None = None,
) -> DimensionExplanation:
    """Each value's contribution to the change of `measure` (a sum), or of the ratio measure/denominator.

    For a sum: contribution = after - before of the value, share = contribution / total change.
    For a ratio R = Σnum / Σden: the change splits exactly into, per value, mix = (w' - w)·((r + r')/2 - R̄)
    and rate = (r' - r)·(w + w')/2, w being the value's share of the denominator, r its own ratio and R̄ the
    mean of the overall ratio before and after (the symmetric shift-share split of Kitagawa 1955, with mix
    measured against the average so a shift towards a below-average value counts as negative).
    Contributions are ordered by |change|.
    """
    table = _totals(before, after, dimension, measure)
    if denominator is None:
        change = (table["after"] - table["before"]).to_numpy()
        total = float(change.sum())
        rows = [
            Contribution(
                dimension=dimension,
                value=str(value),
                before=float(table.at[value, "before"]),
                after=float(table.at[value, "after"]),
                change=float(c),
                share=float(c / total) if total else 0.0,
            )
            for value, c in zip(table.index, change, strict=True)
        ]
        explained = _concentration(change, table["before"].to_numpy(), total)
    else:
        rows, explained = _ratio_contributions(before, after, measure, denominator, dimension, table)
    rows.sort(key=lambda r: abs(r.change), reverse=True)
    return DimensionExplanation(dimension=dimension, explained=round(explained, 4), contributions=rows)


def _ratio_contributions(
    before: pd.DataFrame,
    after: pd.DataFrame,
    measure: str,
    denominator: str,
    dimension: str,
    numerators: pd.DataFrame,
) -> tuple[list[Contribution], float]:
    dens = _totals(before, after, dimension, denominator).reindex(numerators.index).fillna(0.0)
    w0 = dens["before"] / dens["before"].sum()
    w1 = dens["after"] / dens["after"].sum()
    r0 = (numerators["before"] / dens["before"]).replace([np.inf, -np.inf], np.nan)
    r1 = (numerators["after"] / dens["after"]).replace([np.inf, -np.inf], np.nan)
    # A value absent from one side takes its other side's ratio, so it contributes mix only.
    r0, r1 = r0.fillna(r1).fillna(0.0), r1.fillna(r0).fillna(0.0)
    # Mix is measured against the overall ratio: moving weight onto a value below average pulls the ratio
    # down. Σ(w1 - w0) = 0, so subtracting the overall ratio keeps the split exact.
    overall = (
        float((numerators["before"]).sum() / dens["before"].sum())
        + float(numerators["after"].sum() / dens["after"].sum())
    ) / 2
    mix = (w1 - w0) * ((r0 + r1) / 2 - overall)
    rate = (r1 - r0) * (w0 + w1) / 2
    change = (mix + rate).to_numpy()
    total = float(change.sum())
    rows = [
        Contribution(
            dimension=dimension,
            value=str(value),
            before=float(r0[value]),
            after=float(r1[value]),
            change=float(mix[value] + rate[value]),
            share=float((mix[value] + rate[value]) / total) if total else 0.0,
            mix=float(mix[value]),
            rate=float(rate[value]),
        )
        for value in numerators.index
    ]
    return rows, _concentration(change, dens["before"].to_numpy(), total)


def _ratio(frame: pd.DataFrame, measure: str, denominator: str | None) -> float:
    if denominator is None:
        return float(frame[measure].sum())
    den = float(frame[denominator].sum())
    return float(frame[measure].sum()) / den if den else 0.0


def explain_change(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    measure: str,
    dimensions: Sequence[str],
    denominator: str | None = None,
    before_label: str = "before",
    after_label: str = "after",
    max_causes: int = 3,
) -> DriversFinding:
    """Why the measure changed between two frames of grouped rows (same columns, one row per segment).

    Inputs: `before`/`after` frames with every column of `dimensions` and `measure` (additive, e.g.
    revenue) and, for a ratio measure, `denominator` (the ratio is Σmeasure / Σdenominator).
    Output: a DriversFinding with every dimension's contributions ranked by how concentrated the change
    is in it (`explained`), a drill into the top value of the top dimension across the other dimensions,
    the root-cause segments (rootcause.root_causes) and one sentence. Raises AnalyticsError when a column
    is missing or there is no dimension.
    """
    missing = [
        c
        for c in [measure, *dimensions, *([denominator] if denominator else [])]
        if c not in before or c not in after
    ]
    if missing:
        raise AnalyticsError(f"Column(s) not in the data: {', '.join(missing)}.")
    if not dimensions:
        raise AnalyticsError("Name at least one dimension to break the change down by.")
    total_before, total_after = _ratio(before, measure, denominator), _ratio(after, measure, denominator)
    explanations = [
        explain_dimension(before, after, measure=measure, dimension=d, denominator=denominator)
        for d in dimensions
    ]
    explanations.sort(key=lambda e: e.explained, reverse=True)
    drill, parent = None, None
    change = total_after - total_before
    if change:
        top = explanations[0]
        parent = _leading(top.contributions, change)
        others = [d for d in dimensions if d != top.dimension]
        if parent is not None and others:
            inside_before = before[before[top.dimension].astype(str) == parent.value]
            inside_after = after[after[top.dimension].astype(str) == parent.value]
            drill = max(
                (
                    explain_dimension(
                        inside_before, inside_after, measure=measure, dimension=d, denominator=denominator
                    )
                    for d in others
                ),
                key=lambda e: e.explained,
            )
    causes = (
        root_causes(before, after, measure=measure, dimensions=dimensions, max_causes=max_causes)
        if denominator is None
        else []
    )
    finding = DriversFinding(
        measure=measure,
        before_label=before_label,
        after_label=after_label,
        before=total_before,
        after=total_after,
        change=change,
        dimensions=explanations,
        drill=drill,
        drill_parent=parent,
        root_causes=causes,
        sentence="",
    )
    return finding.model_copy(update={"sentence": drivers_sentence(finding)})


def _leading(contributions: list[Contribution], change: float) -> Contribution | None:
    """The value that carries most of the change in its direction."""
    same_way = [c for c in contributions if c.change * change > 0]
    return max(same_way, key=lambda c: abs(c.change)) if same_way else None


def split_periods(
    frame: pd.DataFrame,
    *,
    time: str,
    before: tuple[str, str] | None = None,
    after: tuple[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """The rows of two periods: `before`/`after` as (first day, last day) ISO pairs, or by default the
    latest calendar month in the data against the month before it. Output: the two frames and labels."""
    stamps = pd.to_datetime(frame[time], format="mixed")
    if before is None or after is None:
        months = stamps.dt.to_period("M")
        latest = months.max()
        if pd.isna(latest):
            raise AnalyticsError("The time column has no dates to compare periods by.")
        return (
            frame[months == latest - 1],
            frame[months == latest],
            str(latest - 1),
            str(latest),
        )
    pick = [
        (stamps >= pd.Timestamp(a)) & (stamps <= pd.Timestamp(b) + pd.Timedelta(days=1) - pd.Timedelta(1))
        for a, b in (before, after)
    ]
    return frame[pick[0]], frame[pick[1]], f"{before[0]} to {before[1]}", f"{after[0]} to {after[1]}"
