# SPDX-License-Identifier: MIT
"""The metrics chain: `hooks.observe` hands each listener a measurement with its labels, a broken
listener never fails the work it measures, `timed` adds the outcome, and plan-limit refusals are
observed. Without listeners (the core edition's default) nothing is called."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from chat2chart.core import hooks
from chat2chart.core.errors import LimitExceeded

LISTENERS = "tests.platform.hook_listeners"


@pytest.fixture
def listeners(settings: Any) -> Any:
    from tests.platform import hook_listeners

    hook_listeners.received.clear()

    def configure(**chains: list[str]) -> list[tuple[str, Any]]:
        settings.AISER_HOOK_PLUGINS = {
            hook: [f"{LISTENERS}.{name}" for name in chains.get(hook, [])] for hook in hooks.CHAINS
        }
        return hook_listeners.received

    yield configure
    hook_listeners.received.clear()


def test_every_metrics_listener_receives_the_observation_with_its_labels(listeners):
    received = listeners(metrics=["metrics_exporter", "second_listener"])
    hooks.observe("query_seconds", 0.25, source_kind="file", cache="hit")
    assert [(who, o.name, o.value, o.labels) for who, o in received] == [
        ("metrics", "query_seconds", 0.25, {"source_kind": "file", "cache": "hit"}),
        ("second", "query_seconds", 0.25, {"source_kind": "file", "cache": "hit"}),
    ]


def test_a_failing_metrics_listener_is_logged_and_the_work_goes_on(listeners, caplog):
    received = listeners(metrics=["broken_exporter", "second_listener"])
    with caplog.at_level(logging.ERROR, logger="chat2chart.core.hooks"):
        hooks.observe("embed_view", kind="public")
    assert [who for who, _ in received] == ["broken", "second"]
    assert "broken_exporter" in caplog.text


def test_timed_observes_the_seconds_and_the_outcome_and_reraises(listeners):
    received = listeners(metrics=["metrics_exporter"])
    with hooks.timed("ingest_seconds", source_kind="file"):
        pass
    with pytest.raises(TimeoutError), hooks.timed("ingest_seconds"):
        raise TimeoutError("too slow")
    with pytest.raises(ValueError, match="bad"), hooks.timed("ingest_seconds"):
        raise ValueError("bad")
    outcomes = [(o.labels or {}).get("outcome") for _, o in received]
    assert outcomes == ["ok", "timeout", "error"]
    assert received[0][1].labels == {"source_kind": "file", "outcome": "ok"}
    assert all(o.value >= 0 for _, o in received)


def test_timed_call_measures_each_call_and_returns_its_value(listeners):
    received = listeners(metrics=["metrics_exporter"])
    add = hooks.timed_call(lambda a, b: a + b, "llm_call_seconds", model="m", purpose="plan")
    assert add(2, 3) == 5
    assert [(o.name, o.labels) for _, o in received] == [
        ("llm_call_seconds", {"model": "m", "purpose": "plan", "outcome": "ok"})
    ]


def test_without_metrics_listeners_nothing_is_wrapped_or_called(listeners):
    received = listeners()

    def plan() -> str:
        return "plan"

    assert hooks.timed_call(plan, "llm_call_seconds") is plan
    hooks.observe("rate_limited", scope="api")
    assert received == []


def test_a_plan_limit_refusal_is_observed_and_still_raised(alpha, listeners):
    received = listeners(limits=["refuse_questions"], metrics=["metrics_exporter"])
    with alpha.activate(), pytest.raises(LimitExceeded):
        hooks.check_limit("question_asked")
    observed = [(o.name, o.labels) for who, o in received if who == "metrics"]
    assert observed == [("limit_refused", {"limit": "question_asked"})]
