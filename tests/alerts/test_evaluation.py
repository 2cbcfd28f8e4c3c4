# SPDX-License-Identifier: MIT
"""The pure rule and episode logic: numbers in, verdict and transition out (no database)."""

from __future__ import annotations

import pytest

from chat2chart.alerts.evaluation import Point, Rule, Verdict, evaluate, transition


def _series(*values: float | None) -> list[Point]:
    return [Point(label=f"2026-01-{i + 1:02d}", value=v) for i, v in enumerate(values)]


def test_above_and_below_compare_the_latest_value():
    assert evaluate(Rule("above", 100), _series(50, 101)).status == "triggered"
    assert evaluate(Rule("above", 100), _series(150, 100)).status == "ok"  # equal is not above
    verdict = evaluate(Rule("below", 10), _series(20, 5), measure="revenue")
    assert verdict.status == "triggered"
    assert verdict.value == 5
    assert verdict.summary == "revenue is 5 (2026-01-02), below the threshold of 10."


def test_change_is_against_the_period_before():
    verdict = evaluate(Rule("change", 10), _series(100, 80))
    assert verdict.status == "triggered"
    assert verdict.change == pytest.approx(-0.2)
    assert evaluate(Rule("change", 10), _series(100, 105)).status == "ok"
    assert evaluate(Rule("change", 10), _series(0, 5)).status == "no_data"  # undefined, not infinite
    assert evaluate(Rule("change", 10), _series(5)).status == "no_data"


def test_no_data_rule_and_missing_values():
    assert evaluate(Rule("no_data"), []).status == "triggered"
    assert evaluate(Rule("no_data"), _series(1, None)).status == "triggered"
    assert evaluate(Rule("above", 1), []).status == "no_data"


def test_a_threshold_rule_without_a_threshold_is_refused():
    with pytest.raises(ValueError, match="needs a threshold"):
        evaluate(Rule("above"), _series(1))


def test_an_anomaly_on_too_short_a_series_judges_nothing():
    verdict = evaluate(Rule("anomaly"), _series(1, 2, 3))
    assert verdict.status == "no_data"
    assert "too few" in verdict.summary


TRIGGERED = Verdict(status="triggered", summary="")
OK = Verdict(status="ok", summary="")
NO_DATA = Verdict(status="no_data", summary="")


def test_an_episode_is_announced_once_and_its_end_once():
    start = transition("ok", TRIGGERED, snoozed=False)
    assert (start.state, start.notice, start.new_episode) == ("triggered", "triggered", True)
    assert transition("triggered", TRIGGERED, snoozed=False).notice is None
    assert transition("triggered", NO_DATA, snoozed=False).state == "triggered"  # no data ends nothing
    end = transition("triggered", OK, snoozed=False)
    assert (end.state, end.notice) == ("ok", "recovered")
    assert transition("ok", OK, snoozed=False).notice is None


def test_snoozed_alerts_move_but_say_nothing():
    assert transition("ok", TRIGGERED, snoozed=True).notice is None
    assert transition("triggered", OK, snoozed=True).notice is None
    assert transition("triggered", OK, snoozed=False, announced=False).notice is None
