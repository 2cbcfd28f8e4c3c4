# SPDX-License-Identifier: MIT
"""Who may do what with alerts: the only place these rules live.

An alert reads a chart's numbers, so making one needs the right to see the chart and to run queries;
the alert's owner snoozes and deletes it, and so does anyone who may delete in the workspace (admins).
"""

from __future__ import annotations

from typing import Any

from chat2chart.charts import policy as chart_policy
from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def can_browse_alerts(principal: Principal) -> bool:
    return hooks.can(principal, hooks.VIEW)


def can_create_alert(principal: Principal, chart: Any) -> bool:
    return chart_policy.can_view_chart(principal, chart) and hooks.can(principal, hooks.ASK, chart.source)


def can_change_alert(principal: Principal, alert: Any) -> bool:
    """Snooze, wake or delete."""
    if hooks.can(principal, hooks.DELETE, alert):
        return True
    return principal.owns(alert) and hooks.can(principal, hooks.ASK)


def can_receive_alert(principal: Principal, chart: Any) -> bool:
    """A member may be told the chart's numbers: they may open the chart and query its source."""
    return can_create_alert(principal, chart)
