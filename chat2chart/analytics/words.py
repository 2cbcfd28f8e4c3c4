# SPDX-License-Identifier: MIT
"""Sentences for findings, from fixed templates (no language model): numbers formatted once, here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat2chart.analytics.findings import DriversFinding


def number(value: float) -> str:
    """A number for a sentence: thousands separators, at most 3 significant decimals."""
    if value != value:  # NaN
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def more_than_all(
    dimension: str, value: str, part: float, total: float, number: Callable[[float], str] = number
) -> str:
    """When one value's change is larger than the whole change (others moved the other way), the plain
    words instead of a share above 100 %: 'country Singapore fell by 4,470, more than the whole drop of
    1,000, because the other country values together rose by 3,470'. `part` and `total` are signed
    changes of the same sign with |part| > |total|."""
    noun = "rise" if total > 0 else "drop"
    others = total - part
    return (
        f"{dimension} {value} {'rose' if part > 0 else 'fell'} by {number(abs(part))}, more than the whole "
        f"{noun} of {number(abs(total))}, because the other {dimension} values together "
        f"{'rose' if others > 0 else 'fell'} by {number(abs(others))}"
    )


def drivers_sentence(finding: DriversFinding) -> str:
    """'Revenue fell by 1,200 (-12 %) from 2024-02 to 2024-03; 72 % of the drop is region West, most of it
    product Laptops.'"""
    change = finding.change
    if change == 0:
        return f"{finding.measure} did not change from {finding.before_label} to {finding.after_label}."
    verb = "rose" if change > 0 else "fell"
    relative = f" ({change / abs(finding.before):+.0%})" if finding.before else ""
    sentence = (
        f"{finding.measure} {verb} by {number(abs(change))}{relative} from {finding.before_label} "
        f"to {finding.after_label}"
    )
    parent = finding.drill_parent
    if parent is not None and finding.dimensions:
        noun = "rise" if change > 0 else "drop"
        if parent.share > 1:
            sentence += "; " + more_than_all(parent.dimension, parent.value, parent.change, change)
        else:
            sentence += f"; {percent(parent.share)} of the {noun} is {parent.dimension} {parent.value}"
        if finding.drill is not None and finding.drill.contributions:
            top = max(finding.drill.contributions, key=lambda c: c.change * change)
            if top.change * change > 0:
                sentence += f", most of it {top.dimension} {top.value}"
    return sentence + "."


def trend_sentence(measure: str, direction: str, slope: float, unit: str, p_value: float) -> str:
    if direction == "flat":
        return f"{measure} shows no significant trend (Mann-Kendall p = {p_value:.2g})."
    verb = "rising" if direction == "up" else "falling"
    return f"{measure} is {verb} by about {number(abs(slope))} {unit} (Mann-Kendall p = {p_value:.2g})."


def anomaly_sentence(
    measure: str, at: str, value: float, expected: float, low: float, high: float, sigma: float
) -> str:
    word = "higher" if value > expected else "lower"
    return (
        f"{measure} on {at} was {number(value)}, {word} than the expected {number(expected)} "
        f"(range {number(low)} to {number(high)}, {abs(sigma):.1f} sigma)."
    )


def concentration_sentence(dimension: str, measure: str, top_share: float, share: float) -> str:
    return f"The top {percent(top_share)} of {dimension} values carry {percent(share)} of {measure}."


def outlier_sentence(dimension: str, value: str, measure: str, total: float, median: float) -> str:
    return (
        f"{dimension} {value} stands out: {measure} {number(total)} against a typical {number(median)} "
        f"for a {dimension}."
    )


def correlation_sentence(left: str, right: str, pearson: float) -> str:
    way = "rise together" if pearson > 0 else "move in opposite directions"
    return f"{left} and {right} {way} (r = {pearson:.2f}); correlation does not show which causes which."


def cycle_sentence(measure: str, cycle: str, highest: str, lowest: str) -> str:
    when = "day of the week" if cycle == "day_of_week" else "hour of the day"
    return f"{measure} depends on the {when}: highest on {highest}, lowest on {lowest}."


def shape_sentence(measure: str, skew_label: str, multimodal: bool, heavy_tailed: bool) -> str:
    parts = [skew_label]
    if multimodal:
        parts.append("with more than one peak")
    if heavy_tailed:
        parts.append("with heavy tails (extreme values are common)")
    return f"The distribution of {measure} is " + ", ".join(parts) + "."


def distribution_sentence(
    measure: str,
    skew_label: str,
    skewness: float,
    mean: float,
    median: float,
    kurtosis: float,
    multimodal: bool,
) -> str:
    """Skew, more than one peak and heavy tails of a measure over rows, with the figures behind them."""
    parts = [f"{skew_label} (skewness {number(skewness)}; mean {number(mean)}, median {number(median)})"]
    if multimodal:
        parts.append("with more than one peak")
    if kurtosis > 3:
        parts.append(f"with heavy tails (excess kurtosis {number(kurtosis)}: extreme values are common)")
    return f"The distribution of {measure} over rows is " + ", ".join(parts) + "."


def outliers_sentence(
    measure: str, rows: int, total: int, low: float, high: float, mad_rows: int, share_of_measure: float
) -> str:
    """Rows of a measure outside Tukey's fences, and beyond 3.5 robust sigma."""
    return (
        f"{rows:,} of {total:,} rows ({percent(rows / total)}) have {measure} outside "
        f"{number(low)} to {number(high)} (1.5 IQR beyond the quartiles), together "
        f"{percent(share_of_measure)} of its total; {mad_rows:,} lie beyond 3.5 robust σ (MAD)."
    )


def zeros_sentence(measure: str, share: float, expected: float) -> str:
    """Excess zeros of a measure."""
    text = f"{percent(share)} of rows have {measure} = 0"
    if expected > 0:
        return text + f", more than the {percent(expected)} a Poisson count with the same mean would have."
    return text + "."


def segment_shape_sentence(
    measure: str, dimension: str, segment: str, what: str, share: float, others: float
) -> str:
    """A segment whose share of zeros or outliers stands apart from the other rows'."""
    kind = f"have {measure} = 0" if what == "zeros" else f"are outliers of {measure} (beyond 1.5 IQR)"
    return (
        f"In {dimension} {segment}, {percent(share)} of rows {kind}, "
        f"against {percent(others)} in the other rows."
    )
