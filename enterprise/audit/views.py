# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The audit page (filters, settings) and its exports, for owners and admins of the organisation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from enterprise.audit import selectors, services

PAGE_SIZE = 100


class AuditSettingsForm(forms.Form):
    retention_days = forms.IntegerField(
        required=False, min_value=30, max_value=3650, label="Keep entries for (days)"
    )
    webhook_url = forms.URLField(required=False, max_length=500, label="Stream each entry to (webhook URL)")
    new_webhook_secret = forms.BooleanField(required=False, label="Make a new signing secret")


def _require_manage(request: HttpRequest) -> Principal:
    principal = Principal.from_request(request)
    if not hooks.can(principal, hooks.MANAGE):
        raise Http404("not allowed")
    return principal


def _require_audit_reader(request: HttpRequest) -> Principal:
    """Reading the log needs "audit.view" (owners, admins, or a custom role holding it)."""
    principal = Principal.from_request(request)
    if not hooks.can(principal, hooks.MANAGE, "audit"):
        raise Http404("not allowed")
    return principal


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_audit_reader(request)
    try:
        criteria = selectors.AuditFilter.from_query(request.GET)
    except AiserError as error:
        messages.error(request, error.message)
        criteria = selectors.AuditFilter()
    page = Paginator(selectors.audit_entries(criteria), PAGE_SIZE).get_page(request.GET.get("page"))
    stored = services.audit_settings()
    form = AuditSettingsForm(
        initial={"retention_days": stored.retention_days, "webhook_url": stored.webhook_url}
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "criteria": criteria,
        "query": query.urlencode(),
        "settings_form": form,
        "retention_days": services.retention_days(),
    }
    return render(request, "audit/log.html", context)


@login_required
@require_POST
def audit_settings_view(request: HttpRequest) -> HttpResponse:
    principal = _require_manage(request)
    form = AuditSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("audit_log")
    try:
        _, secret = services.audit_settings_update(
            actor=principal,
            retention_days=form.cleaned_data["retention_days"],
            webhook_url=form.cleaned_data["webhook_url"] or "",
            new_webhook_secret=form.cleaned_data["new_webhook_secret"],
        )
    except AiserError as error:
        messages.error(request, error.message)
        return redirect("audit_log")
    if secret:
        messages.success(request, f"Saved. The webhook signing secret (shown once): {secret}")
    else:
        messages.success(request, "Saved.")
    return redirect("audit_log")


@login_required
@require_GET
def audit_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered entries as CSV (`fmt` "csv") or JSON Lines ("jsonl"), streamed."""
    _require_audit_reader(request)
    try:
        criteria = selectors.AuditFilter.from_query(request.GET)
    except AiserError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")
    entries = selectors.audit_entries(criteria)
    workspace = hooks.current_workspace()
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response = StreamingHttpResponse(
            selectors.export_csv(entries, workspace), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            selectors.export_jsonl(entries, workspace), content_type="application/x-ndjson"
        )
    response["Content-Disposition"] = f'attachment; filename="audit-{workspace}-{stamp}.{fmt}"'
    return response
