# SPDX-License-Identifier: MIT
"""Reads of dashboards: the workspace's list, one dashboard, and the dashboard behind a public link.

The schema in scope limits every read to the organisation; lists shown to someone pass through
`hooks.visible` (an edition may keep dashboards private or share them with some members).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils import timezone

from chat2chart.collections.access import in_reach
from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal
from chat2chart.dashboards.models import Dashboard, PublicLink, Widget
from chat2chart.dashboards.services import public_token_hash


def dashboard_list() -> QuerySet[Dashboard]:
    return Dashboard.objects.annotate(widget_count=Count("widgets"))


def dashboard_list_visible(principal: Principal, *, archived: bool = False) -> QuerySet[Dashboard]:
    """The dashboards `principal` may see (object permissions: `hooks.visible`; not those in someone
    else's personal collection), outside the archive, or only the archived ones with `archived`."""
    dashboards = in_reach(principal, hooks.visible(principal, "dashboard", dashboard_list()))
    return dashboards.filter(archived_at__isnull=not archived)


def dashboard_get(dashboard_id: int) -> Dashboard:
    dashboard = Dashboard.objects.select_related("collection").filter(pk=dashboard_id).first()
    if dashboard is None:
        raise NotFound(f"There is no dashboard {dashboard_id}.")
    return dashboard


def widget_get(dashboard: Dashboard, widget_id: int) -> Widget:
    widget = dashboard.widgets.select_related("chart").filter(pk=widget_id).first()
    if widget is None:
        raise NotFound(f"Dashboard {dashboard.pk} has no widget {widget_id}.")
    return widget


def public_link_dashboard(token: str) -> Dashboard | None:
    """The dashboard of a live public link, or None (unknown, revoked or expired alike)."""
    link = (
        PublicLink.objects.select_related("dashboard")
        .filter(token_hash=public_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if link is None or (link.expires_at is not None and link.expires_at <= timezone.now()):
        return None
    return link.dashboard


def active_public_links(dashboard: Dashboard) -> QuerySet[PublicLink]:
    now = timezone.now()
    return dashboard.public_links.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
