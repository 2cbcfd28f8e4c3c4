# SPDX-License-Identifier: MIT
"""What an alert's rule says about a chart's latest numbers, and how its episode moves: pure, no Django.

`evaluate(rule, points)` reads the series (oldest first) and returns a `Verdict`; `transition(state,
verdict, snoozed=...)` turns the alert's current state and that verdict into the next state and the one
notification (if any) to send. An episode starts when the condition first holds and ends when it stops:
one "triggered" at its start, one "recovered" at its end, nothing on the checks in between.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from chat2chart.analytics.anomalies import detect_anomalies
from chat2chart.analytics.findings import AnalyticsError

Condition = Literal["above", "below", "change", "no_data", "anomaly"]
CONDITIONS: dict[str, str] = {
    "above": "goes above a threshold",
    "below": "goes below a threshold",
    "change": "changes by more than a percentage against the previous period",
    "no_data": "has no data",
    "anomaly": "shows an anomaly",
}
State = Literal["pending", "ok", "triggered", "no_data"]
Status = Literal["ok", "triggered", "no_data"]
Notice = Literal["triggered", "recovered"]


@dataclass(frozen=True)
class Rule:
    """`condition` with its `threshold`: a number in the measure's unit for above/below, a percentage
    (10 = 10 %) for change; unused for no_data and anomaly. `sensitivity` is an anomaly preset."""

    condition: Condition
    threshold: float | None = None
    sensitivity: str = "balanced"


@dataclass(frozen=True)
class Point:
    """One value of the measure: `label` is the period (an ISO date) or "" for a single number."""

    label: str
    value: float | None


@dataclass(frozen=True)
class Verdict:
    """What one check found. `status` is triggered when the rule's condition holds, no_data when there was
    nothing to judge (for a no_data rule that is `triggered`). `value` is the latest value; `previous`
    the value of the period before (change rule); `change` the fractional change (0.25 = +25 %);
    `low`/`high` the expected range (anomaly rule); `expected` the anomaly baseline; `period` the label
    of the latest point; `summary` one sentence for people."""

    status: Status
    summary: str
    value: float | None = None
    previous: float | None = None
    change: float | None = None
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    period: str = ""


@dataclass(frozen=True)
class Transition:
    """The state after a check, the notice to send (None: none) and whether a new episode began."""

    state: State
    notice: Notice | None
    new_episode: bool


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{value:,.0f}"


def _latest(points: Sequence[Point]) -> Point | None:
    if not points:
        return None
    last = points[-1]
    if last.value is None or (isinstance(last.value, float) and math.isnan(last.value)):
        return None
    return last


def evaluate(rule: Rule, points: Sequence[Point], *, measure: str = "value") -> Verdict:
    """Judge `points` (oldest first) against `rule`. Raises ValueError when the rule lacks its threshold;
    an anomaly rule on too short a series answers no_data with the reason."""
    latest = _latest(points)
    at = f" ({latest.label})" if latest is not None and latest.label else ""
    if rule.condition == "no_data":
        if latest is None:
            return Verdict(status="triggered", summary=f"{measure} has no data.")
        return Verdict(
            status="ok", summary=f"{measure} has data: {_number(latest.value or 0)}{at}.", value=latest.value
        )
    if latest is None:
        return Verdict(status="no_data", summary=f"{measure} has no data to check.")
    value = float(latest.value or 0)
    if rule.condition in ("above", "below"):
        threshold = _threshold(rule)
        crossed = value > threshold if rule.condition == "above" else value < threshold
        word = "above" if rule.condition == "above" else "below"
        summary = (
            f"{measure} is {_number(value)}{at}, {word} the threshold of {_number(threshold)}."
            if crossed
            else f"{measure} is {_number(value)}{at}, not {word} the threshold of {_number(threshold)}."
        )
        return Verdict(
            status="triggered" if crossed else "ok", summary=summary, value=value, period=latest.label
        )
    if rule.condition == "change":
        return _change(rule, points, value, latest, measure)
    return _anomaly(rule, points, value, latest, measure)


def _threshold(rule: Rule) -> float:
    if rule.threshold is None or math.isnan(rule.threshold):
        raise ValueError(f"A “{rule.condition}” alert needs a threshold.")
    return float(rule.threshold)


def _change(rule: Rule, points: Sequence[Point], value: float, latest: Point, measure: str) -> Verdict:
    limit = abs(_threshold(rule)) / 100
    before = points[-2].value if len(points) >= 2 else None
    if before is None or (isinstance(before, float) and math.isnan(before)):
        return Verdict(status="no_data", summary=f"{measure} has no previous period to compare with.")
    before = float(before)
    if before == 0:
        return Verdict(
            status="no_data",
            summary=f"{measure} was 0 in the previous period, so a percentage change is undefined.",
            value=value,
            previous=before,
        )
    change = (value - before) / abs(before)
    moved = abs(change) > limit
    direction = "up" if change >= 0 else "down"
    summary = (
        f"{measure} is {_number(value)} ({latest.label}), {direction} {abs(change):.1%} from "
        f"{_number(before)} ({points[-2].label}); the alert fires beyond {limit:.1%}."
    )
    return Verdict(
        status="triggered" if moved else "ok",
        summary=summary,
        value=value,
        previous=before,
        change=change,
        period=latest.label,
    )


def _anomaly(rule: Rule, points: Sequence[Point], value: float, latest: Point, measure: str) -> Verdict:
    values = [float("nan") if p.value is None else float(p.value) for p in points]
    try:
        finding = detect_anomalies(
            values, labels=[p.label for p in points], measure=measure, sensitivity=rule.sensitivity
        )
    except AnalyticsError as error:
        return Verdict(status="no_data", summary=error.message if hasattr(error, "message") else str(error))
    last = len(points) - 1
    flag = next((f for f in finding.flags if f.index == last), None)
    if flag is None:
        return Verdict(
            status="ok", summary=f"{measure} is {_number(value)} ({latest.label}), as expected.", value=value
        )
    return Verdict(
        status="triggered",
        summary=(
            f"{measure} is {_number(value)} ({latest.label}), {flag.direction} the expected range "
            f"{_number(flag.low)} to {_number(flag.high)} (expected about {_number(flag.expected)}, "
            f"from {flag.compared_with})."
        ),
        value=value,
        expected=flag.expected,
        low=flag.low,
        high=flag.high,
        period=latest.label,
    )


def transition(state: State, verdict: Verdict, *, snoozed: bool, announced: bool = True) -> Transition:
    """The next state of an alert in `state` after `verdict`.

    Entering `triggered` from any other state starts an episode and sends "triggered"; leaving it for `ok`
    ends the episode and sends "recovered". `no_data` (nothing to judge) neither starts nor ends an
    episode: a triggered alert stays triggered until a check shows the condition gone. While snoozed the
    state still moves (the page stays true) but nothing is sent, so waking up does not replay the past;
    `announced` says whether the current episode's "triggered" was sent, and a "recovered" goes only
    after one (nobody is told an episode ended that they never heard began).
    """
    if verdict.status == "no_data":
        return Transition(
            state="triggered" if state == "triggered" else "no_data", notice=None, new_episode=False
        )
    if verdict.status == "triggered":
        if state == "triggered":
            return Transition(state="triggered", notice=None, new_episode=False)
        return Transition(state="triggered", notice=None if snoozed else "triggered", new_episode=True)
    if state == "triggered":
        return Transition(
            state="ok", notice="recovered" if announced and not snoozed else None, new_episode=False
        )
    return Transition(state="ok", notice=None, new_episode=False)
