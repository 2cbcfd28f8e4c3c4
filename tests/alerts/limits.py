# SPDX-License-Identifier: MIT
"""A plan limit for the tests: at most two alerts per organisation (the limits hook's interface)."""

from __future__ import annotations

from chat2chart.alerts.models import Alert
from chat2chart.core.errors import LimitExceeded


def two_alerts(name: str, *, workspace: str, amount: int = 1) -> None:
    if name == "alerts" and Alert.objects.count() + amount > 2:
        raise LimitExceeded("Your plan allows 2 alerts.")
