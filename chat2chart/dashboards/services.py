# SPDX-License-Identifier: MIT
"""State changes of dashboards, their widgets and public links. Each asks the dashboards policy,
writes in one transaction and records its audit entry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat2chart.charts.models import SavedChart
from chat2chart.charts.services import parse_query
from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import SecretUnreadable, decrypt_secret, encrypt_secret
from chat2chart.dashboards import policy
from chat2chart.dashboards.fields import dashboard_fields
from chat2chart.dashboards.filters import check_fields, parse_definitions
from chat2chart.dashboards.member_widgets import is_member_query, member_query_clean
from chat2chart.dashboards.models import GRID_COLUMNS, Dashboard, PublicLink, Widget

REFRESH_CHOICES = (0, 30, 60, 300, 900, 1800, 3600)
MAX_ROWS_OF_GRID = 200
MAX_HEIGHT = 24
DASHBOARD_FIELDS = ("title", "description", "layout", "filters", "refresh_seconds")
WIDGET_FIELDS = ("kind", "title", "chart_id", "query", "text", "x", "y", "w", "h", "tab")
MAX_TABS = 20
TEXT_KINDS = (Widget.Kind.TEXT, Widget.Kind.HEADING)


def _require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    if not allowed:
        raise Forbidden(message)


def _audit(action: str, principal: Principal, dashboard: Dashboard, **data: Any) -> None:
    hooks.record_audit(
        action=f"dashboard.{action}",
        actor=principal,
        target_type="dashboard",
        target_id=dashboard.pk,
        data={"title": dashboard.title, **data},
    )


# --- dashboards ----------------------------------------------------------------------------------------


@transaction.atomic
def dashboard_create(
    *,
    principal: Principal,
    title: str,
    description: str = "",
    filters: Any = None,
    refresh_seconds: int | None = None,
    layout: Any = None,
) -> Dashboard:
    _require(policy.can_create_dashboard(principal))
    hooks.check_limit("dashboards")
    dashboard = Dashboard(owner=principal.user)
    _apply_dashboard_changes(
        dashboard,
        {
            "title": title,
            "description": description,
            "filters": filters,
            "refresh_seconds": refresh_seconds,
            "layout": layout,
        },
    )
    dashboard.save()
    _audit("create", principal, dashboard)
    return dashboard


@transaction.atomic
def dashboard_update(*, dashboard: Dashboard, principal: Principal, **changes: Any) -> Dashboard:
    _require(policy.can_change_dashboard(principal, dashboard))
    unknown = sorted(set(changes) - set(DASHBOARD_FIELDS))
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(unknown)}.")
    dashboard = Dashboard.objects.select_for_update().get(pk=dashboard.pk)
    before = {name: getattr(dashboard, name) for name in DASHBOARD_FIELDS}
    _apply_dashboard_changes(dashboard, changes)
    dashboard.save()
    after = {name: getattr(dashboard, name) for name in DASHBOARD_FIELDS}
    _audit(
        "update", principal, dashboard, changed=sorted(changes), changes=hooks.audit_changes(before, after)
    )
    return dashboard


@transaction.atomic
def dashboard_delete(*, dashboard: Dashboard, principal: Principal) -> None:
    _require(policy.can_delete_dashboard(principal, dashboard))
    _audit("delete", principal, dashboard)
    dashboard.delete()


@transaction.atomic
def dashboard_duplicate(*, dashboard: Dashboard, principal: Principal, title: str | None = None) -> Dashboard:
    """A copy with every widget, owned by the principal's user; public links are not copied."""
    _require(policy.can_duplicate_dashboard(principal, dashboard))
    copy = Dashboard.objects.create(
        title=_clean_title(title or f"Copy of {dashboard.title}"[:200]),
        description=dashboard.description,
        layout=dashboard.layout,
        filters=dashboard.filters,
        refresh_seconds=dashboard.refresh_seconds,
        owner=principal.user,
    )
    Widget.objects.bulk_create(
        [
            Widget(
                dashboard=copy,
                kind=w.kind,
                title=w.title,
                chart_id=w.chart_id,
                removed_chart_title=w.removed_chart_title,
                query=w.query,
                text=w.text,
                x=w.x,
                y=w.y,
                w=w.w,
                h=w.h,
                tab=w.tab,
            )
            for w in dashboard.widgets.all()
        ]
    )
    _audit("duplicate", principal, copy, original=dashboard.pk)
    return copy


@transaction.atomic
def dashboard_save_layout(*, dashboard: Dashboard, principal: Principal, positions: Any) -> list[Widget]:
    """Move and resize widgets at once: positions is [{"id", "x", "y", "w", "h"}, ...]."""
    _require(policy.can_change_dashboard(principal, dashboard))
    if not isinstance(positions, list) or not all(isinstance(p, dict) for p in positions):
        raise ValidationFailed("The layout must be a list of {id, x, y, w, h}.")
    widgets = {w.pk: w for w in dashboard.widgets.select_for_update()}
    for position in positions:
        widget = widgets.get(position.get("id"))
        if widget is None:
            raise ValidationFailed(f"Widget {position.get('id')!r} is not on this dashboard.")
        _apply_position(widget, position)
    Widget.objects.bulk_update(widgets.values(), ["x", "y", "w", "h"])
    Dashboard.objects.filter(pk=dashboard.pk).update(updated_at=timezone.now())
    _audit("layout", principal, dashboard, widgets=len(positions))
    return sorted(widgets.values(), key=lambda w: (w.y, w.x, w.pk))


def _apply_dashboard_changes(dashboard: Dashboard, changes: dict[str, Any]) -> None:
    if "title" in changes:
        dashboard.title = _clean_title(changes["title"])
    if "description" in changes:
        dashboard.description = str(changes["description"] or "")[:5000]
    if "filters" in changes:
        definitions = parse_definitions(changes["filters"])
        if definitions:
            available = [f.name for f in dashboard_fields(dashboard)] if dashboard.pk else []
            check_fields(definitions, available)
        dashboard.filters = [d.model_dump() for d in definitions]
    if "refresh_seconds" in changes:
        dashboard.refresh_seconds = _refresh(changes["refresh_seconds"])
    if "layout" in changes:
        layout = changes["layout"] or {}
        if not isinstance(layout, dict):
            raise ValidationFailed('The layout must be an object, e.g. {"cell_height": 90}.')
        if "tabs" in layout:
            layout = layout | {"tabs": _clean_tabs(layout["tabs"], dashboard)}
        dashboard.layout = layout


def dashboard_tabs(dashboard: Dashboard) -> list[str]:
    """The dashboard's tab names; empty when it has none (every widget is on tab 0)."""
    tabs = (dashboard.layout or {}).get("tabs") or []
    return [str(t) for t in tabs] if isinstance(tabs, list) else []


def _clean_tabs(tabs: Any, dashboard: Dashboard) -> list[str]:
    if not isinstance(tabs, list) or not all(isinstance(t, str) for t in tabs):
        raise ValidationFailed('Tabs are a list of names, e.g. ["Overview", "Details"].')
    names = [" ".join(t.split())[:60] for t in tabs]
    if len(names) > MAX_TABS or not all(names):
        raise ValidationFailed(f"A dashboard has at most {MAX_TABS} tabs, each with a name.")
    if dashboard.pk:
        last = max(1, len(names))
        stranded = dashboard.widgets.filter(tab__gte=last).exists()
        if stranded:
            raise ValidationFailed("Move or remove the widgets of a tab before removing the tab.")
    return names


def _clean_title(title: Any) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationFailed("A dashboard needs a title.")
    if len(text) > 200:
        raise ValidationFailed("A title can be at most 200 characters.")
    return text


def _refresh(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = -1
    if seconds not in REFRESH_CHOICES:
        raise ValidationFailed(f"Auto-refresh must be one of {', '.join(map(str, REFRESH_CHOICES))} seconds.")
    return seconds


# --- widgets -------------------------------------------------------------------------------------------


@transaction.atomic
def widget_create(
    *,
    dashboard: Dashboard,
    principal: Principal,
    kind: str,
    title: str = "",
    chart_id: int | None = None,
    query: Any = None,
    text: str = "",
    x: int | None = None,
    y: int | None = None,
    w: int = 6,
    h: int = 4,
    tab: int = 0,
) -> Widget:
    """A new widget; without x and y it goes to the first free space of its tab (top to bottom, left to
    right) that fits w by h."""
    _require(policy.can_change_dashboard(principal, dashboard))
    widget = Widget(dashboard=dashboard)
    _apply_widget_changes(
        widget, {"kind": kind, "title": title, "chart_id": chart_id, "query": query, "text": text, "tab": tab}
    )
    if x is None and y is None:
        taken = [(o.x, o.y, o.w, o.h) for o in dashboard.widgets.filter(tab=widget.tab)]
        x, y = first_free_space(taken, w=min(max(int(w), 1), GRID_COLUMNS), h=max(int(h), 1))
    elif x is None or y is None:
        bottom = max((o.y + o.h for o in dashboard.widgets.filter(tab=widget.tab)), default=0)
        x, y = (0 if x is None else x), (bottom if y is None else y)
    _apply_position(widget, {"x": x, "y": y, "w": w, "h": h})
    widget.save()
    _audit("widget_add", principal, dashboard, widget=widget.pk, kind=widget.kind)
    return widget


@transaction.atomic
def widget_update(*, widget: Widget, principal: Principal, **changes: Any) -> Widget:
    _require(policy.can_change_widget(principal, widget))
    unknown = sorted(set(changes) - set(WIDGET_FIELDS))
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(unknown)}.")
    widget = Widget.objects.select_for_update().get(pk=widget.pk)
    before = _widget_fields(widget)
    _apply_widget_changes(widget, changes)
    position = {k: changes[k] for k in ("x", "y", "w", "h") if k in changes}
    if position:
        _apply_position(widget, {"x": widget.x, "y": widget.y, "w": widget.w, "h": widget.h, **position})
    widget.save()
    _audit(
        "widget_update",
        principal,
        widget.dashboard,
        widget=widget.pk,
        changed=sorted(changes),
        changes=hooks.audit_changes(before, _widget_fields(widget)),
    )
    return widget


def _widget_fields(widget: Widget) -> dict[str, Any]:
    # What a widget update's audit entry compares before and after.
    names = ("kind", "title", "chart_id", "query", "text", "tab", "x", "y", "w", "h")
    return {name: getattr(widget, name) for name in names}


@transaction.atomic
def widget_delete(*, widget: Widget, principal: Principal) -> None:
    _require(policy.can_remove_widget(principal, widget))
    _audit("widget_remove", principal, widget.dashboard, widget=widget.pk, kind=widget.kind)
    widget.delete()


def first_free_space(taken: list[tuple[int, int, int, int]], *, w: int, h: int) -> tuple[int, int]:
    """The top-most, then left-most (x, y) where a w by h widget overlaps none of `taken` (x, y, w, h)."""
    bottom = max((ty + th for _, ty, _, th in taken), default=0)
    for y in range(bottom + 1):
        for x in range(GRID_COLUMNS - w + 1):
            if not any(x < tx + tw and tx < x + w and y < ty + th and ty < y + h for tx, ty, tw, th in taken):
                return x, y
    return 0, bottom


def _apply_widget_changes(widget: Widget, changes: dict[str, Any]) -> None:
    for name in ("kind", "title", "chart_id", "query", "text"):
        if name in changes:
            setattr(widget, name, changes[name])
    if "tab" in changes:
        widget.tab = _tab_index(widget.dashboard, changes["tab"])
    if widget.kind not in Widget.Kind.values:
        raise ValidationFailed(f"A widget is one of: {', '.join(Widget.Kind.values)}.")
    widget.title = " ".join(str(widget.title or "").split())[:200]
    widget.text = str(widget.text or "")
    if len(widget.text) > 20_000:
        raise ValidationFailed("A text widget can hold at most 20,000 characters.")
    if widget.kind == Widget.Kind.HEADING:
        # A heading is one line of plain text, shown large; it is its own title.
        widget.text = " ".join(widget.text.split())[:200]
    if widget.kind in TEXT_KINDS:
        widget.chart_id, widget.query = None, None
        if not widget.text.strip():
            raise ValidationFailed(f"A {widget.kind} widget needs some text.")
        return
    widget.text = ""
    if widget.chart_id is not None and not SavedChart.objects.filter(pk=widget.chart_id).exists():
        raise ValidationFailed(f"There is no saved chart {widget.chart_id} in this workspace.")
    if widget.query and is_member_query(widget.query):
        widget.query = member_query_clean(widget.query)
    elif widget.query:
        widget.query = parse_query(widget.query).model_dump(mode="json", exclude_defaults=True)
    if widget.kind == Widget.Kind.CHART and widget.chart_id is None and not is_member_query(widget.query):
        raise ValidationFailed("A chart widget needs a saved chart (chart_id) or a query of model members.")
    if widget.chart_id is None and not widget.query:
        raise ValidationFailed(f"A {widget.kind} widget needs a saved chart (chart_id) or a query.")


def _tab_index(dashboard: Dashboard, value: Any) -> int:
    tabs = dashboard_tabs(dashboard)
    try:
        index = int(value or 0)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < max(1, len(tabs)):
        names = ", ".join(f"{i} ({name})" for i, name in enumerate(tabs)) or "0 (no tabs yet)"
        raise ValidationFailed(f"tab must be one of this dashboard's tabs: {names}.")
    return index


def _apply_position(widget: Widget, position: dict[str, Any]) -> None:
    try:
        x, y, w, h = (int(position[k]) for k in ("x", "y", "w", "h"))
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationFailed("A position needs whole numbers x, y, w and h.") from error
    if not (1 <= w <= GRID_COLUMNS and x >= 0 and x + w <= GRID_COLUMNS):
        raise ValidationFailed(f"A widget must fit in the {GRID_COLUMNS}-column grid (0 ≤ x, x + w ≤ 12).")
    if not (1 <= h <= MAX_HEIGHT and 0 <= y <= MAX_ROWS_OF_GRID):
        raise ValidationFailed(
            f"A widget is 1 to {MAX_HEIGHT} rows high, starting at row 0 to {MAX_ROWS_OF_GRID}."
        )
    widget.x, widget.y, widget.w, widget.h = x, y, w, h


# --- public links --------------------------------------------------------------------------------------


def public_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_publisher(principal: Principal, dashboard: Dashboard) -> None:
    _require(
        policy.can_publish_dashboard(principal, dashboard),
        "Only the dashboard's owner or an admin can publish it.",
    )


@transaction.atomic
def dashboard_publish(
    *, dashboard: Dashboard, principal: Principal, expires_at: datetime | None = None
) -> tuple[PublicLink, str]:
    """A new read-only link; the token is returned once and only its hash is kept."""
    _require_publisher(principal, dashboard)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("The expiry must be in the future.")
    token = secrets.token_urlsafe(32)
    link = PublicLink.objects.create(
        dashboard=dashboard,
        token_hash=public_token_hash(token),
        token_sealed=encrypt_secret({"token": token}),
        created_by=principal.user,
        expires_at=expires_at,
    )
    _audit(
        "publish",
        principal,
        dashboard,
        link=link.pk,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return link, token


def public_link_token(link: PublicLink) -> str | None:
    """The link's token for the share menu, or None for links made before tokens were kept (or whose
    encryption key is gone): those can be revoked, not shown."""
    if not link.token_sealed:
        return None
    try:
        token = decrypt_secret(bytes(link.token_sealed)).get("token")
    except SecretUnreadable:
        return None
    return token if isinstance(token, str) else None


@transaction.atomic
def dashboard_unpublish(*, dashboard: Dashboard, principal: Principal) -> int:
    """Revoke every live public link of the dashboard; returns how many were revoked."""
    _require_publisher(principal, dashboard)
    revoked = PublicLink.objects.filter(dashboard=dashboard, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _audit("unpublish", principal, dashboard, revoked=revoked)
    return revoked
