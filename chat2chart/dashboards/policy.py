# SPDX-License-Identifier: MIT
"""Who may do what with dashboards, their widgets, public links and signed embed URLs: the only place
these rules live.

Members read dashboards; editors create, change and copy them (a widget is part of its dashboard, so
adding, changing or removing one is a change of the dashboard); admins delete any dashboard and editors
the ones they own. Publishing shows data to anyone with the link: the owner (an editor) or an admin.
A signed embed URL is as strong as the embedding secret, so only those who manage the workspace sign.
An API key has an owner's rights only with its own role (see `Principal.owns`).
"""

from __future__ import annotations

from typing import Any

from chat2chart.collections.access import item_in_reach
from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def can_view_dashboard(principal: Principal, dashboard: Any) -> bool:
    # A dashboard in someone else's personal collection is theirs (and the admins') alone.
    return hooks.can(principal, hooks.VIEW, dashboard) and item_in_reach(principal, dashboard)


def can_create_dashboard(principal: Principal) -> bool:
    return hooks.can(principal, hooks.EDIT, "dashboard")


def can_change_dashboard(principal: Principal, dashboard: Any) -> bool:
    """Title, filters, layout, and its widgets."""
    return hooks.can(principal, hooks.EDIT, dashboard) and item_in_reach(principal, dashboard)


def can_delete_dashboard(principal: Principal, dashboard: Any) -> bool:
    if not item_in_reach(principal, dashboard):
        return False
    if hooks.can(principal, hooks.DELETE, dashboard):
        return True
    return principal.owns(dashboard) and hooks.can(principal, hooks.EDIT, dashboard)


def can_duplicate_dashboard(principal: Principal, dashboard: Any) -> bool:
    return can_view_dashboard(principal, dashboard) and can_create_dashboard(principal)


def can_publish_dashboard(principal: Principal, dashboard: Any) -> bool:
    """Create or revoke public links."""
    if hooks.can(principal, hooks.MANAGE, dashboard):
        return True
    return principal.owns(dashboard) and hooks.can(principal, hooks.EDIT, dashboard)


def can_sign_embed_url(principal: Principal, dashboard: Any) -> bool:
    return can_view_dashboard(principal, dashboard) and hooks.can(principal, hooks.MANAGE, dashboard)


def can_manage_embedding(principal: Principal) -> bool:
    """Read and change the embedding settings and rotate the secret."""
    return hooks.can(principal, hooks.MANAGE)


def can_view_widget(principal: Principal, widget: Any) -> bool:
    return can_view_dashboard(principal, widget.dashboard)


def can_change_widget(principal: Principal, widget: Any) -> bool:
    return can_change_dashboard(principal, widget.dashboard)


def can_remove_widget(principal: Principal, widget: Any) -> bool:
    # Taking a widget off a dashboard is a change of the dashboard, not the deletion of data.
    return can_change_dashboard(principal, widget.dashboard)


RULES = {
    "view": can_view_dashboard,
    "change": can_change_dashboard,
    "delete": can_delete_dashboard,
    "duplicate": can_duplicate_dashboard,
    "publish": can_publish_dashboard,
    "embed": can_sign_embed_url,
}
WIDGET_RULES = {"view": can_view_widget, "change": can_change_widget, "delete": can_remove_widget}
