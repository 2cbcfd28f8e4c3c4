# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The platform console's pages (public host, staff only). Thin: read a selector or call a service,
then show the page or go back to it with a message."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from chat2chart.core.errors import AiserError
from enterprise.console import selectors, services
from enterprise.tenants.models import Organization

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed-out visitors go to sign in; signed-in people who are not staff get 404 (the console is not
    advertised); and nothing is served on an organisation's host, whoever asks."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != "public":
            raise Http404("the console is on the public site")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not (request.user.is_staff and request.user.is_active):
            raise Http404("staff only")
        return view(request, *args, **kwargs)

    return checked


def _organization(slug: str) -> Organization:
    return get_object_or_404(Organization.objects.exclude(schema_name="public"), slug=slug)


@require_GET
@staff_required
def console_home(request: HttpRequest) -> HttpResponse:
    totals = selectors.platform_totals()
    return render(
        request,
        "console/home.html",
        {
            "rows": selectors.organization_rows(),
            "totals": totals,
            "chart": {
                "days": totals["days"],
                "questions": totals["questions_per_day"],
                "queries": totals["queries_per_day"],
            },
            "actions": selectors.staff_actions(limit=20),
        },
    )


@require_GET
@staff_required
def console_organization(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _organization(slug)
    usage = selectors.organization_usage(organization)
    invoices, invoice_error = None, ""
    try:
        invoices = selectors.invoices(organization)
    except AiserError as error:  # Stripe out of reach: the rest of the page still helps
        invoice_error = error.message
    return render(
        request,
        "console/organization.html",
        {
            # Not "organization": base.html would take the page for one of the organisation's own.
            "target": organization,
            "plan": selectors.plan_name(organization),
            "usage": usage,
            "chart": {
                "months": usage.months,
                "monthly": usage.monthly,
                "days": usage.days,
                "daily": usage.daily,
            },
            "invoices": invoices,
            "backups": selectors.backups(organization),
            "invoice_error": invoice_error,
            "actions": selectors.staff_actions(organization=organization),
        },
    )


def _act(request: HttpRequest, slug: str, change: Callable[[Organization], str]) -> HttpResponse:
    organization = _organization(slug)
    try:
        messages.success(request, change(organization))
    except AiserError as error:
        messages.error(request, error.message)
    return redirect("console_organization", slug=organization.slug)


@require_POST
@staff_required
def console_suspend(request: HttpRequest, slug: str) -> HttpResponse:
    def suspend(organization: Organization) -> str:
        services.organization_suspend(
            organization=organization, actor=request.user, reason=request.POST.get("reason", "")
        )
        return f"{organization.name} is suspended."

    return _act(request, slug, suspend)


@require_POST
@staff_required
def console_reactivate(request: HttpRequest, slug: str) -> HttpResponse:
    def reactivate(organization: Organization) -> str:
        services.organization_reactivate(organization=organization, actor=request.user)
        return f"{organization.name} is active again."

    return _act(request, slug, reactivate)


@require_POST
@staff_required
def console_terms(request: HttpRequest, slug: str) -> HttpResponse:

    def update(organization: Organization) -> str:
        changes = {name: request.POST.get(name, "") for name in services.TERMS if name in request.POST}
        services.terms_update(organization=organization, actor=request.user, changes=changes)
        return "Terms saved."

    return _act(request, slug, update)


@require_POST
@staff_required
def console_trial(request: HttpRequest, slug: str) -> HttpResponse:
    def extend(organization: Organization) -> str:
        extended = services.trial_extend(
            organization=organization, actor=request.user, days=request.POST.get("days")
        )
        return f"The trial now ends on {extended.trial_ends_at:%Y-%m-%d}."

    return _act(request, slug, extend)


@require_POST
@staff_required
def console_backup(request: HttpRequest, slug: str) -> HttpResponse:
    def backup(organization: Organization) -> str:
        services.backup_start(organization=organization, actor=request.user)
        return f"A backup of {organization.name} is under way; it is listed below when it is written."

    return _act(request, slug, backup)


@require_POST
@staff_required
def console_restore(request: HttpRequest, slug: str) -> HttpResponse:
    def restore(organization: Organization) -> str:
        new_slug = services.restore_start(
            organization=organization,
            actor=request.user,
            backup_id=request.POST.get("backup", ""),
            as_slug=request.POST.get("as_slug", ""),
        )
        return f"Restoring into a new organisation “{new_slug}”; {organization.name} stays as it is."

    return _act(request, slug, restore)
