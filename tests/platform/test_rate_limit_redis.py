# SPDX-License-Identifier: MIT
"""With Redis, counting one use of the caller's and the organisation's budgets is one round trip (one
script that checks and counts both), and the budget is still exact and per organisation."""

import pytest
import redis

from chat2chart.core.ratelimit import check_rate


@pytest.fixture
def round_trips(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    counted = []
    command, execute = redis.Redis.execute_command, redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.Redis, "execute_command", lambda self, *a, **k: counted.append(a[0]) or command(self, *a, **k)
    )
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **k: counted.append("pipeline") or execute(self, *a, **k),
    )
    return counted


def test_one_use_is_one_round_trip_and_the_budget_is_exact(alpha, beta, settings, round_trips):
    settings.AISER_API_RATE = "3/m"
    with alpha.activate():
        decisions = [check_rate("10.0.0.1").allowed for _ in range(4)]
    assert decisions == [True, True, True, False]
    assert round_trips == ["EVAL"] * 4
    with beta.activate():  # another organisation's budget is its own
        assert check_rate("10.0.0.1").allowed
