# SPDX-License-Identifier: MIT
"""Alert pages: the organisation's alerts, one alert with its history, and "Create alert" on a chart."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chat2chart.alerts import policy, selectors, services
from chat2chart.alerts.forms import AlertForm, SnoozeForm
from chat2chart.alerts.models import Alert
from chat2chart.alerts.sending import condition_text
from chat2chart.charts import selectors as chart_selectors
from chat2chart.core.errors import AiserError, NotFound
from chat2chart.core.principal import Principal


def _require(allowed: bool) -> None:
    # 404 rather than 403, like the chart pages, so a page does not reveal what exists.
    if not allowed:
        raise Http404("not allowed")


def _alert(request: HttpRequest, pk: int) -> tuple[Principal, Alert]:
    principal = Principal.from_request(request)
    try:
        return principal, selectors.alert_get_visible(principal=principal, alert_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    principal = Principal.from_request(request)
    _require(policy.can_browse_alerts(principal))
    rows = [
        {
            "alert": alert,
            "state": selectors.alert_display_state(alert),
            "condition": condition_text(alert),
            "can_change": policy.can_change_alert(principal, alert),
        }
        for alert in selectors.alert_list_visible(principal)
    ]
    return render(request, "alerts/list.html", {"rows": rows, "snooze_form": SnoozeForm()})


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    principal, alert = _alert(request, pk)
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "state": selectors.alert_display_state(alert),
            "condition": condition_text(alert),
            "history": services.alert_history(alert),
            "can_change": policy.can_change_alert(principal, alert),
            "snooze_form": SnoozeForm(),
        },
    )


@login_required
def alert_new(request: HttpRequest, chart_id: int) -> HttpResponse:
    principal = Principal.from_request(request)
    chart = chart_selectors.chart_list_visible(principal).filter(pk=chart_id).first()
    _require(chart is not None and policy.can_create_alert(principal, chart))
    assert chart is not None
    form = AlertForm(request.POST or None, initial={"title": f"{chart.title} alert"})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            alert = services.alert_create(
                principal=principal,
                chart=chart,
                title=data["title"],
                condition=data["condition"],
                threshold=data["threshold"],
                sensitivity=data["sensitivity"],
                interval_minutes=data["interval_minutes"],
                notify_me=data["notify_me"],
                emails=form.email_list(),
                slack_url=data["slack_url"],
                webhook_url=data["webhook_url"],
                webhook_secret=data["webhook_secret"],
            )
        except AiserError as failure:
            error = failure.message
        else:
            messages.success(
                request, f"Alert “{alert.title}” created; it is checked {alert.interval_minutes} min apart."
            )
            return redirect("alert_detail", pk=alert.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "alerts/new.html", {"chart": chart, "form": form, "error": error}, status=status)


@login_required
@require_POST
def alert_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    principal, alert = _alert(request, pk)
    _require(policy.can_change_alert(principal, alert))
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to snooze the alert.")
        return redirect("alert_list")
    minutes = form.cleaned_data["minutes"] or None
    services.alert_snooze(principal=principal, alert=alert, minutes=minutes)
    messages.success(request, "Alert snoozed." if minutes else "Alert woken up.")
    if request.POST.get("next") == "detail":
        return redirect("alert_detail", pk=pk)
    return redirect("alert_list")


@login_required
@require_POST
def alert_delete(request: HttpRequest, pk: int) -> HttpResponse:
    principal, alert = _alert(request, pk)
    _require(policy.can_change_alert(principal, alert))
    services.alert_delete(principal=principal, alert=alert)
    messages.success(request, "Alert deleted.")
    return redirect("alert_list")
