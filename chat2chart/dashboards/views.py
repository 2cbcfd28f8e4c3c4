# SPDX-License-Identifier: MIT
"""Dashboard pages for members: the list, view and edit pages, their actions and the embedding
settings. Embedded and public pages are in `embed_views.py`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pydantic
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat2chart.charts.models import SavedChart
from chat2chart.core.errors import AiserError, Forbidden, NotFound
from chat2chart.core.principal import Principal
from chat2chart.dashboards import embedding, policy, selectors, services
from chat2chart.dashboards.embedding import sign_embed_token
from chat2chart.dashboards.filters import parse_definitions, parse_locked
from chat2chart.dashboards.member_widgets import is_member_query, member_filter_info
from chat2chart.dashboards.models import Dashboard, Widget
from chat2chart.dashboards.tokens import MAX_LIFETIME
from chat2chart.dashboards.widget_data import render_markdown, table_fields, widget_query
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.workspaces.selectors import workspace_clock

# --- member pages ----------------------------------------------------------------------------------------


def _dashboard_for(request: HttpRequest, pk: int, rule: str) -> Dashboard:
    """The dashboard if the policy's `rule` allows it: 404 when it may not be seen, else Forbidden."""
    try:
        dashboard = selectors.dashboard_get(pk)
    except NotFound as error:
        raise Http404(error.message) from error
    principal = Principal.from_request(request)
    if not policy.can_view_dashboard(principal, dashboard):
        raise Http404("no access")
    if not policy.RULES[rule](principal, dashboard):
        raise Forbidden("You do not have permission to do this with this dashboard.")
    return dashboard


def _widget_layout(
    dashboard: Dashboard, filter_fields: list[str], locked: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    return [
        {
            "id": w.pk,
            "kind": w.kind,
            "title": w.title or (w.chart.title if w.chart else ""),
            "chart_id": w.chart_id,
            "text": w.text,
            "x": w.x,
            "y": w.y,
            "w": w.w,
            "h": w.h,
            "tab": w.tab,
        }
        | widget_filter_info(w, filter_fields, locked)
        for w in dashboard.widgets.select_related("chart")
    ]


def widget_filter_info(
    widget: Widget, filter_fields: list[str], locked: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What the page needs for a widget's filter badge, cross-filter and drill-through: the dashboard
    filters its table has (`filters`) and the fields it groups by (`dimensions`, with granularity).
    An embed's locked fields are left out: the page never names them."""
    if widget.kind in (Widget.Kind.TEXT, Widget.Kind.HEADING):
        return {"filters": [], "dimensions": []}
    if is_member_query(widget.query):
        return member_filter_info(widget.query, filter_fields, locked)
    try:
        query = widget_query(widget)
        columns = {name.casefold() for name in table_fields(query)} if query else set()
    except (AiserError, pydantic.ValidationError):
        return {"filters": [], "dimensions": []}
    dimensions = [
        {"field": d.field, "granularity": d.granularity, "column": d.output_name}
        for d in (query.dimensions if query else [])
        if d.field.casefold() not in {name.casefold() for name in locked}
    ]
    return {"filters": [f for f in filter_fields if f.casefold() in columns], "dimensions": dimensions}


def page_config(
    dashboard: Dashboard,
    *,
    data_url: str,
    options_url: str,
    locked: tuple[str, ...] = (),
    theme: str | None = None,
) -> dict[str, Any]:
    """The JSON the dashboard page's script reads: layout, filters offered (minus `locked`), data URLs."""
    filters = [d.model_dump() for d in parse_definitions(dashboard.filters) if d.field not in locked]
    clock = workspace_clock()
    return {
        "id": dashboard.pk,
        "dataUrl": data_url,
        "optionsUrl": options_url,
        "widgets": _widget_layout(dashboard, [f["field"] for f in filters], locked),
        "tabs": services.dashboard_tabs(dashboard),
        # Date presets count from the workspace's today; dates are shown in the page's locale.
        "today": clock.today.isoformat(),
        "locale": translation.get_language() or settings.LANGUAGE_CODE,
        "filters": filters,
        "refreshSeconds": dashboard.refresh_seconds or 0,
        "cellHeight": int((dashboard.layout or {}).get("cell_height", 80)),
        "theme": theme,
    }


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_list_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            dashboard = services.dashboard_create(
                principal=Principal.from_request(request),
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
            )
        except AiserError as error:
            messages.error(request, error.message)
            return redirect("dashboard-list")
        return redirect("dashboard-edit", pk=dashboard.pk)
    return render(
        request,
        "dashboards/list.html",
        {
            "dashboards": selectors.dashboard_list_visible(Principal.from_request(request)).select_related(
                None
            ),
            "can_edit": policy.can_create_dashboard(Principal.from_request(request)),
            "can_manage": policy.can_manage_embedding(Principal.from_request(request)),
        },
    )


@login_required
@require_GET
def dashboard_view_page(request: HttpRequest, pk: int) -> HttpResponse:
    dashboard = _dashboard_for(request, pk, "view")
    config = page_config(
        dashboard,
        data_url=reverse("api-dashboard-data", args=[pk]),
        options_url=reverse("api-dashboard-filter-options", args=[pk]),
    )
    # Drill-through: the page fills in the widget id ("0" is replaced).
    config["drillUrl"] = reverse("api-dashboard-widget-drill", args=[pk, 0])
    principal = Principal.from_request(request)
    can_publish = policy.can_publish_dashboard(principal, dashboard)
    return render(
        request,
        "dashboards/view.html",
        {
            "dashboard": dashboard,
            "config": config,
            "can_edit": policy.can_change_dashboard(principal, dashboard),
            "can_delete": policy.can_delete_dashboard(principal, dashboard),
            "can_publish": can_publish,
            "public_links": _shown_public_links(request, dashboard) if can_publish else [],
            "embed": _embed_snippet(request, dashboard, principal),
            "share_open": request.GET.get("share") == "1",
        },
    )


def _shown_public_links(request: HttpRequest, dashboard: Dashboard) -> list[dict[str, Any]]:
    """Live public links with their URL when the token was kept (links from before were not)."""
    links = []
    for link in selectors.active_public_links(dashboard).order_by("-created_at"):
        token = services.public_link_token(link)
        url = request.build_absolute_uri(reverse("public-dashboard", args=[token])) if token else None
        links.append({"link": link, "url": url})
    return links


EMBED_TEST_MINUTES = 60


def _embed_snippet(request: HttpRequest, dashboard: Dashboard, principal: Principal) -> dict[str, Any]:
    """The share menu's embed part: an iframe with a test URL signed for an hour, for those who may
    sign embeds once a secret exists; otherwise what is missing."""
    if not policy.RULES["embed"](principal, dashboard):
        return {"allowed": False}
    secret = embedding.embed_secret()
    if secret is None:
        return {"allowed": True, "missing_secret": True}
    token = sign_embed_token(
        secret=secret,
        audience=embedding.embed_audience(),
        dashboard_id=dashboard.pk,
        expires_at=timezone.now() + timedelta(minutes=EMBED_TEST_MINUTES),
        params={},
    )
    url = request.build_absolute_uri(reverse("embed-dashboard", args=[token]))
    iframe = (
        f'<iframe src="{url}" width="100%" height="800" frameborder="0" title="{dashboard.title}"></iframe>'
    )
    return {"allowed": True, "url": url, "iframe": iframe, "minutes": EMBED_TEST_MINUTES}


@login_required
@require_GET
def dashboard_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        dashboard = _dashboard_for(request, pk, "change")
    except Forbidden as error:
        messages.error(request, error.message)
        return redirect("dashboard-view", pk=pk)
    config = page_config(
        dashboard,
        data_url=reverse("api-dashboard-data", args=[pk]),
        options_url=reverse("api-dashboard-filter-options", args=[pk]),
    )
    config |= {
        "apiUrl": reverse("api-dashboard", args=[pk]),
        "widgetsUrl": reverse("api-dashboard-widgets", args=[pk]),
        "layoutUrl": reverse("api-dashboard-layout", args=[pk]),
        "fieldsUrl": reverse("api-dashboard-fields", args=[pk]),
        "viewUrl": reverse("dashboard-view", args=[pk]),
        "charts": [
            {"id": c.pk, "title": c.title} for c in SavedChart.objects.order_by("title").only("title")
        ],
        # Widgets can also speak a data model's members (measures by a dimension), like chat does.
        "models": semantic_selectors.member_catalogue(),
        "dashboard": {
            "title": dashboard.title,
            "description": dashboard.description,
            "refresh_seconds": dashboard.refresh_seconds or 0,
            "filters": dashboard.filters,
            "layout": dashboard.layout or {},
        },
        "refreshChoices": list(services.REFRESH_CHOICES),
    }
    return render(request, "dashboards/edit.html", {"dashboard": dashboard, "config": config})


def _post_action(request: HttpRequest, pk: int, rule: str, action: Any, done: str) -> HttpResponse:
    try:
        dashboard = _dashboard_for(request, pk, rule)
        result = action(dashboard)
    except AiserError as error:
        messages.error(request, error.message)
        return redirect("dashboard-view", pk=pk)
    messages.success(request, done)
    return result


@login_required
@require_POST
def dashboard_duplicate_page(request: HttpRequest, pk: int) -> HttpResponse:
    def duplicate(dashboard: Dashboard) -> HttpResponse:
        copy = services.dashboard_duplicate(dashboard=dashboard, principal=Principal.from_request(request))
        return redirect("dashboard-view", pk=copy.pk)

    return _post_action(request, pk, "duplicate", duplicate, "Dashboard duplicated.")


@login_required
@require_POST
def dashboard_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    def delete(dashboard: Dashboard) -> HttpResponse:
        services.dashboard_delete(dashboard=dashboard, principal=Principal.from_request(request))
        return redirect("dashboard-list")

    return _post_action(request, pk, "delete", delete, "Dashboard deleted.")


@login_required
@require_POST
def dashboard_publish_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        dashboard = _dashboard_for(request, pk, "publish")
        days = int(request.POST.get("expires_in_days") or 0)
        expires_at = timezone.now() + timedelta(days=days) if days > 0 else None
        _link, _token = services.dashboard_publish(
            dashboard=dashboard, principal=Principal.from_request(request), expires_at=expires_at
        )
    except (AiserError, ValueError) as error:
        messages.error(request, getattr(error, "message", "Enter a number of days."))
        return redirect("dashboard-view", pk=pk)
    # The link is kept sealed, so the share menu shows it again (with its copy button).
    messages.success(request, "Public link created: copy it from the share menu.")
    return redirect(reverse("dashboard-view", args=[pk]) + "?share=1")


@login_required
@require_POST
def dashboard_unpublish_page(request: HttpRequest, pk: int) -> HttpResponse:
    def unpublish(dashboard: Dashboard) -> HttpResponse:
        services.dashboard_unpublish(dashboard=dashboard, principal=Principal.from_request(request))
        return redirect(reverse("dashboard-view", args=[pk]) + "?share=1")

    return _post_action(
        request, pk, "publish", unpublish, "Public links revoked: they no longer open the dashboard."
    )


@login_required
@require_http_methods(["GET", "POST"])
def embedding_settings_page(request: HttpRequest) -> HttpResponse:
    if not policy.can_manage_embedding(Principal.from_request(request)):
        raise Http404("admins only")
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            context |= _embedding_action(request)
        except AiserError as error:
            context["error"] = error.message
    stored = embedding.embed_settings()
    return render(
        request,
        "dashboards/embedding.html",
        context
        | {
            "audience": embedding.embed_audience(),
            "has_secret": bool(stored and stored.secret),
            "rotated_at": stored.rotated_at if stored else None,
            "origins": embedding.embed_allowed_origins(),
            "dashboards": Dashboard.objects.order_by("title").only("title"),
            "max_minutes": int(MAX_LIFETIME.total_seconds() // 60),
        },
    )


def _embedding_action(request: HttpRequest) -> dict[str, Any]:
    action = request.POST.get("action")
    if action == "rotate":
        return {"new_secret": embedding.embed_secret_rotate(actor=Principal.from_request(request))}
    if action == "origins":
        embedding.embed_origins_update(
            actor=Principal.from_request(request), origins=request.POST.get("origins", "")
        )
        return {"saved": "Allowed origins saved."}
    if action == "test_url":
        return {"test_url": _test_embed_url(request)}
    raise NotFound("Unknown action.")


def _test_embed_url(request: HttpRequest) -> str:
    secret = embedding.embed_secret()
    if secret is None:
        raise AiserError("Create the embedding secret first.")
    dashboard = selectors.dashboard_get(int(request.POST.get("dashboard") or 0))
    try:
        params = json.loads(request.POST.get("params") or "{}")
    except ValueError as error:
        raise AiserError('Locked parameters must be a JSON object, e.g. {"customer_id": 42}.') from error
    minutes = min(max(int(request.POST.get("minutes") or 60), 1), int(MAX_LIFETIME.total_seconds() // 60))
    token = sign_embed_token(
        secret=secret,
        audience=embedding.embed_audience(),
        dashboard_id=dashboard.pk,
        expires_at=timezone.now() + timedelta(minutes=minutes),
        params=parse_locked(params),
    )
    return request.build_absolute_uri(reverse("embed-dashboard", args=[token]))


# --- product documentation ----------------------------------------------------------------------------

DOC_PAGES = {"embedding": "Embedding dashboards"}


@require_GET
def docs_page(request: HttpRequest, name: str) -> HttpResponse:
    """A page of the product's documentation (docs/<name>.md, rendered with `markdown` and cleaned with
    nh3); only the pages in DOC_PAGES are served, never an arbitrary file."""
    if name not in DOC_PAGES:
        raise Http404("No such documentation page.")
    path = Path(settings.BASE_DIR) / "docs" / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Http404("This documentation page is not installed.") from error
    return render(request, "dashboards/doc.html", {"title": DOC_PAGES[name], "html": render_markdown(text)})
