# SPDX-License-Identifier: MIT
"""Who may do what with saved charts: the only place these rules live.

Members read charts; editors save and change them; admins delete any chart and editors delete the ones
they own (an API key only with its own role, see `Principal.owns`). Drawing a query's result asks ASK.
"""

from __future__ import annotations

from typing import Any

from chat2chart.collections.access import item_in_reach
from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def can_browse_charts(principal: Principal) -> bool:
    """See the list of saved charts and the gallery of chart types."""
    return hooks.can(principal, hooks.VIEW)


def can_view_chart(principal: Principal, chart: Any) -> bool:
    # A chart in someone else's personal collection is theirs (and the admins') alone.
    return hooks.can(principal, hooks.VIEW, chart) and item_in_reach(principal, chart)


def can_create_chart(principal: Principal) -> bool:
    return hooks.can(principal, hooks.EDIT, "chart")


def can_change_chart(principal: Principal, chart: Any) -> bool:
    return hooks.can(principal, hooks.EDIT, chart) and item_in_reach(principal, chart)


def can_delete_chart(principal: Principal, chart: Any) -> bool:
    if not item_in_reach(principal, chart):
        return False
    if hooks.can(principal, hooks.DELETE, chart):
        return True
    return principal.owns(chart) and hooks.can(principal, hooks.EDIT, chart)


def can_run_chart_queries(principal: Principal) -> bool:
    """Draw a chart from a query, which runs it over the workspace's data."""
    return hooks.can(principal, hooks.ASK)


def can_draw_data(principal: Principal) -> bool:
    """Draw posted data: reads nothing of the workspace, so membership is enough."""
    return hooks.can(principal, hooks.VIEW)


RULES = {"view": can_view_chart, "change": can_change_chart, "delete": can_delete_chart}
