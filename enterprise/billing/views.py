# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Billing pages (owners and billing admins: a role holding "billing.manage") and Stripe's webhook.
Thin: each view calls a service or selector and shows its message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat2chart.core import hooks
from chat2chart.core.api import error_response
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from enterprise.billing import selectors, subscriptions
from enterprise.billing.models import Plan
from enterprise.billing.plans import billing_enabled, subscription_of
from enterprise.billing.webhooks import WebhookRefused, webhook_receive
from enterprise.tenants.models import Organization

METERED_EVENTS = {"question_asked": "AI questions", "llm_tokens": "LLM tokens", "embed_view": "Embed views"}


def _require_manager(request: HttpRequest) -> Organization:
    """The organisation whose billing the caller manages (role holds "billing.manage"), else 404."""
    if not hooks.can(Principal.from_request(request), hooks.MANAGE, "billing"):
        raise Http404("not allowed")
    return request.tenant  # type: ignore[attr-defined,no-any-return]


def _require_usage_reader(request: HttpRequest) -> Organization:
    """Usage is read by billing managers and by those who manage the organisation's settings."""
    principal = Principal.from_request(request)
    if not (hooks.can(principal, hooks.MANAGE, "billing") or hooks.can(principal, hooks.MANAGE)):
        raise Http404("not allowed")
    return request.tenant  # type: ignore[attr-defined,no-any-return]


@login_required
@require_GET
def billing_page(request: HttpRequest) -> HttpResponse:
    organization = _require_manager(request)
    invoices, invoice_error = [], ""
    if billing_enabled():
        try:
            invoices = subscriptions.invoice_list(organization)
        except AiserError as error:
            invoice_error = error.message
    context = {
        "state": selectors.organization_plan(organization),
        "subscription": subscription_of(organization),
        "limits": selectors.limits_usage(organization),
        "plans": Plan.objects.filter(public=True),
        "invoices": invoices,
        "invoice_error": invoice_error,
        "tax_id_types": subscriptions.TAX_ID_TYPES,
        "billing_enabled": billing_enabled(),
    }
    return render(request, "billing/billing.html", context)


def _back(request: HttpRequest, result: str = "") -> str:
    return request.build_absolute_uri(reverse("billing") + result)


def _posted(request: HttpRequest, action: str) -> HttpResponse:
    """Run one billing action from a form post; an error is shown on the billing page."""
    organization = _require_manager(request)
    plan = request.POST.get("plan", "")
    try:
        if action == "checkout":
            return redirect(
                subscriptions.checkout_start(
                    organization=organization,
                    plan_slug=plan,
                    actor=request.user,
                    success_url=_back(request, "?checkout=done"),
                    cancel_url=_back(request),
                )
            )
        if action == "portal":
            return redirect(subscriptions.portal_url(organization=organization, return_url=_back(request)))
        if action == "change":
            change = subscriptions.plan_change(organization=organization, plan_slug=plan, actor=request.user)
            when = f" on {change.effective_at:%d %B %Y}" if change.effective_at else ""
            messages.success(
                request,
                f"Now on the {change.plan.name} plan."
                if change.outcome != "scheduled"
                else f"The {change.plan.name} plan starts at the end of this period{when}.",
            )
        elif action == "cancel":
            subscriptions.subscription_cancel(organization=organization, actor=request.user)
            messages.success(request, "The subscription ends at the end of this period; nothing is deleted.")
        elif action == "details":
            subscriptions.billing_details_update(
                organization=organization,
                actor=request.user,
                email=request.POST.get("billing_email", ""),
                tax_id=request.POST.get("tax_id", ""),
                tax_id_type=request.POST.get("tax_id_type", ""),
            )
            messages.success(request, "Billing details saved.")
    except AiserError as error:
        messages.error(request, error.message)
    return redirect("billing")


@login_required
@require_POST
def billing_action(request: HttpRequest, action: str) -> HttpResponse:
    if action not in {"checkout", "portal", "change", "cancel", "details"}:
        raise Http404("no such action")
    return _posted(request, action)


@login_required
@require_GET
def usage_page(request: HttpRequest) -> HttpResponse:
    organization = _require_usage_reader(request)
    charts = {
        event: {
            "label": label,
            "days": [
                [day.isoformat(), count] for day, count in selectors.usage_by_day(organization, event=event)
            ],
            "people": selectors.usage_by_person(organization, event=event),
        }
        for event, label in METERED_EVENTS.items()
    }
    return render(request, "billing/usage.html", {"charts": charts})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events (signed with `STRIPE_WEBHOOK_SECRET`): 200 once applied or already applied."""
    try:
        outcome = webhook_receive(request.body, request.headers.get("Stripe-Signature", ""))
    except WebhookRefused as error:
        return error_response(error.status, error.message, code=error.code)
    return JsonResponse({"received": True, "outcome": outcome})
