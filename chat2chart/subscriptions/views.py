# SPDX-License-Identifier: MIT
"""Subscription pages: the Subscribe form, the organisation's list with history, and unsubscribe."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from chat2chart.charts import policy as chart_policy
from chat2chart.charts import selectors as chart_selectors
from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, NotFound
from chat2chart.core.principal import Principal
from chat2chart.dashboards import policy as dashboard_policy
from chat2chart.dashboards import selectors as dashboard_selectors
from chat2chart.subscriptions import schedule as schedules
from chat2chart.subscriptions import selectors, services
from chat2chart.subscriptions.inputs import subscription_fields, subscription_input
from chat2chart.subscriptions.services import FORMATS

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


@login_required
@require_http_methods(["GET", "POST"])
def subscription_new_page(request: HttpRequest) -> HttpResponse:
    """The Subscribe form for `?dashboard=ID` or `?chart=ID`; POST creates and goes to the list."""
    principal = Principal.from_request(request)
    dashboard, chart = _object(request)
    form: dict[str, Any] = {
        "title": (dashboard or chart).title if (dashboard or chart) else "",
        "frequency": "weekly",
        "time": "08:00",
        "weekdays": ["0"],
        "day_of_month": "1",
        "recipients": getattr(request.user, "email", ""),
        "formats": list(FORMATS),
    }
    if request.method == "POST":
        form = _posted(request)
        try:
            services.subscription_create(
                principal=principal, data=subscription_input(form), dashboard=dashboard, chart=chart
            )
        except AiserError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Subscribed. The first report goes out at the next scheduled time.")
            return redirect("subscription-list")
    return _form_page(request, form, dashboard=dashboard, chart=chart)


@login_required
@require_http_methods(["GET", "POST"])
def subscription_list_page(request: HttpRequest) -> HttpResponse:
    """The organisation's subscriptions with each one's latest sends; POST saves the allowed domains."""
    principal = Principal.from_request(request)
    if request.method == "POST":
        try:
            services.subscription_settings_update(
                principal=principal,
                allowed_domains=request.POST.get("allowed_domains", "").replace(",", " ").split(),
            )
        except AiserError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Allowed domains saved.")
        return redirect("subscription-list")
    rows = [
        {
            "subscription": subscription,
            "schedule": schedules.describe(services.schedule_of(subscription)),
            "history": selectors.subscription_history(subscription, runs=10),
        }
        for subscription in selectors.subscription_list(principal)
    ]
    return render(
        request,
        "subscriptions/list.html",
        {
            "rows": rows,
            "can_manage": hooks.can(principal, hooks.MANAGE),
            "allowed_domains": " ".join(services.subscription_settings().allowed_domains),
            "timezone": services.workspace_zone().key,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The Subscribe form filled with a subscription's settings; POST saves them (owner or admin)."""
    principal = Principal.from_request(request)
    try:
        subscription = selectors.subscription_get(principal, pk)
    except NotFound as error:
        raise Http404(error.message) from error
    form = subscription_fields(subscription)
    if request.method == "POST":
        form = _posted(request)
        try:
            services.subscription_update(
                principal=principal, subscription=subscription, data=subscription_input(form)
            )
        except AiserError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Subscription saved. The next report follows the new schedule.")
            return redirect("subscription-list")
    return _form_page(
        request, form, dashboard=subscription.dashboard, chart=subscription.chart, editing=subscription
    )


def _form_page(
    request: HttpRequest, form: dict[str, Any], *, dashboard: Any, chart: Any, editing: Any = None
) -> HttpResponse:
    """The Subscribe form (new, or `editing` a subscription); a POST that comes back here failed (400)."""
    return render(
        request,
        "subscriptions/new.html",
        {
            "dashboard": dashboard,
            "chart": chart,
            "editing": editing,
            "form": form,
            "weekdays": WEEKDAYS,
            "formats": FORMATS,
            "timezone": services.workspace_zone().key,
            "allowed_domains": services.subscription_settings().allowed_domains,
        },
        status=400 if request.method == "POST" else 200,
    )


def _posted(request: HttpRequest) -> dict[str, Any]:
    """The Subscribe form's fields as posted."""
    return {
        **{key: request.POST.get(key, "") for key in ("title", "frequency", "time", "day_of_month", "cron")},
        **{key: request.POST.get(key, "") for key in ("recipients", "slack_url", "webhook_url", "filters")},
        "weekdays": request.POST.getlist("weekdays"),
        "formats": request.POST.getlist("formats"),
        "share_creator_view": bool(request.POST.get("share_creator_view")),
    }


@login_required
@require_POST
def subscription_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    principal = Principal.from_request(request)
    try:
        subscription = selectors.subscription_get(principal, pk)
        services.subscription_delete(principal=principal, subscription=subscription)
    except NotFound as error:
        raise Http404(error.message) from error
    except AiserError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Subscription deleted.")
    return redirect("subscription-list")


# Mail clients POST here with "List-Unsubscribe=One-Click" and no cookies or CSRF token (RFC 8058): the
# signed token alone authorises it, and it can do nothing but stop mail to its own address.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (link scanners must not unsubscribe anyone); POST unsubscribes."""
    if request.method == "GET":
        return render(request, "subscriptions/unsubscribe.html", {"token": token, "done": False})
    try:
        subscription = services.subscription_unsubscribe(token=token)
    except NotFound as error:
        return render(request, "subscriptions/unsubscribe.html", {"error": error.message}, status=404)
    return render(request, "subscriptions/unsubscribe.html", {"done": True, "title": subscription.title})


def _object(request: HttpRequest) -> tuple[Any, Any]:
    """The dashboard or chart named in the query string, if the person may see it (else 404)."""
    principal = Principal.from_request(request)
    try:
        if request.GET.get("dashboard", "").isdigit():
            dashboard = dashboard_selectors.dashboard_get(int(request.GET["dashboard"]))
            if dashboard_policy.can_view_dashboard(principal, dashboard):
                return dashboard, None
        elif request.GET.get("chart", "").isdigit():
            chart = chart_selectors.chart_get(chart_id=int(request.GET["chart"]))
            if chart_policy.can_view_chart(principal, chart):
                return None, chart
    except NotFound as error:
        raise Http404(error.message) from error
    raise Http404("Choose a dashboard or a chart you can see to subscribe to.")


@login_required
@require_http_methods(["GET"])
def dashboard_export_page(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The dashboard as the signed-in viewer sees it (their permissions and row-level access, the filter
    values in the query string, as the page has them), drawn by headless Chromium: a PDF document or a PNG
    of the whole page. A widget that fails makes the export fail with its message (never a hole)."""
    from chat2chart.subscriptions.render import RenderFailed, dashboard_report, render_pictures

    if fmt not in ("pdf", "png"):
        raise Http404("Dashboards export as pdf or png.")
    principal = Principal.from_request(request)
    try:
        dashboard = dashboard_selectors.dashboard_get(pk)
    except NotFound:
        raise Http404("Dashboard not found.") from None
    if not dashboard_policy.can_view_dashboard(principal, dashboard):
        raise Http404("Dashboard not found.")
    try:
        report = render_pictures(
            dashboard_report(dashboard, principal, params=request.GET),
            pdf=fmt == "pdf",
            page_png=fmt == "png",
        )
    except (RenderFailed, AiserError) as error:
        messages.error(request, f"The export failed: {error.message}")
        return redirect("dashboard-view", pk=dashboard.pk)
    body, content_type = (report.pdf, "application/pdf") if fmt == "pdf" else (report.page_png, "image/png")
    response = HttpResponse(body, content_type=content_type)
    name = (
        "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in dashboard.title).strip() or "dashboard"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
