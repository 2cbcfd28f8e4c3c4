# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Changing an organisation's plan: Checkout, upgrade, downgrade, cancel, the customer portal, invoices
and billing details. Every change is audited; Stripe's webhooks (`webhooks.py`) then confirm it.

Upgrades take effect at once with proration; downgrades wait for the period's end and are refused while
the organisation uses more than the smaller plan allows. Billing never deletes data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat2chart.core import hooks
from chat2chart.core.errors import ValidationFailed
from enterprise.billing.limits import downgrade_blockers
from enterprise.billing.models import Plan, Subscription, SubscriptionStatus
from enterprise.billing.plans import free_plan, subscription_of
from enterprise.billing.stripe_api import stripe_client, unavailable
from enterprise.tenants.models import Membership, Organization, Role


def _audit(action: str, actor: Any, organization: Organization, **data: Any) -> None:
    # The audit trail lives in the organisation's schema; pages call this inside it, tasks outside.
    with tenant_context(organization):
        hooks.record_audit(
            action=action, actor=actor, target_type="organization", target_id=organization.pk, data=data
        )


def customer_ensure(subscription: Subscription) -> str:
    """The organisation's Stripe customer id, creating the customer on first need."""
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    organization = subscription.organization
    owner = (
        Membership.objects.filter(organization=organization, role=Role.OWNER).select_related("user").first()
    )
    email = subscription.billing_email or (owner.user.email if owner else "")
    try:
        customer = stripe_client().v1.customers.create(
            {
                "name": organization.name,
                **({"email": email} if email else {}),
                "metadata": {"organization_id": str(organization.pk), "slug": organization.slug},
            }
        )
    except stripe.StripeError as error:
        raise unavailable(error) from error
    subscription.stripe_customer_id = customer.id
    subscription.billing_email = subscription.billing_email or email
    subscription.save(update_fields=["stripe_customer_id", "billing_email", "updated_at"])
    return customer.id


def _paid_plan(slug: str) -> Plan:
    plan = Plan.objects.filter(slug=slug, public=True).first()
    if plan is None:
        raise ValidationFailed(f"There is no plan “{slug}”.", code="unknown_plan")
    return plan


def checkout_start(
    *, organization: Organization, plan_slug: str, actor: Any, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout address where the organisation subscribes to a paid plan (the first paid plan;
    later changes go through `plan_change`). A trial in progress carries over to the subscription."""
    plan = _paid_plan(plan_slug)
    if not plan.stripe_price_id:
        raise ValidationFailed(
            f"The {plan.name} plan is not for sale (no Stripe price).", code="not_for_sale"
        )
    subscription = subscription_of(organization)
    if subscription.stripe_subscription_id:
        raise ValidationFailed("This organisation already has a subscription: change its plan instead.")
    customer = customer_ensure(subscription)
    subscription_data: dict[str, Any] = {"metadata": {"organization_id": str(organization.pk)}}
    if subscription.status == SubscriptionStatus.TRIALING and subscription.trial_ends_at:
        subscription_data["trial_end"] = int(subscription.trial_ends_at.timestamp())
    params: Any = {
        "mode": "subscription",
        "customer": customer,
        "client_reference_id": str(organization.pk),
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "subscription_data": subscription_data,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {"organization_id": str(organization.pk), "plan": plan.slug},
    }
    try:
        session = stripe_client().v1.checkout.sessions.create(params)
    except stripe.StripeError as error:
        raise unavailable(error) from error
    _audit("billing.checkout_start", actor, organization, plan=plan.slug)
    return str(session.url)


@dataclass(frozen=True)
class PlanChange:
    """What `plan_change` did: "upgraded" (now), "scheduled" (at `effective_at`) or "switched" (no Stripe)."""

    outcome: str
    plan: Plan
    effective_at: datetime | None = None


def plan_change(*, organization: Organization, plan_slug: str, actor: Any) -> PlanChange:
    """Move the organisation to another plan: a bigger one at once (prorated), a smaller one at the period's
    end. Raises `ValidationFailed` naming what to remove when current use exceeds the smaller plan."""
    plan = Plan.objects.filter(slug=plan_slug).first()
    if plan is None:
        raise ValidationFailed(f"There is no plan “{plan_slug}”.", code="unknown_plan")
    subscription = subscription_of(organization)
    if plan.pk == subscription.plan_id and subscription.scheduled_plan_id is None:
        raise ValidationFailed(f"The organisation is already on the {plan.name} plan.")
    upgrade = plan.rank > subscription.plan.rank
    if not upgrade:
        blockers = downgrade_blockers(organization, plan)
        if blockers:
            raise ValidationFailed(
                f"The {plan.name} plan allows less than this organisation uses now. "
                + "; ".join(blocker.message for blocker in blockers)
                + ". Then try again.",
                code="downgrade_blocked",
                details=[blocker.__dict__ for blocker in blockers],
            )
    if not subscription.stripe_subscription_id:
        if upgrade:
            raise ValidationFailed(
                "Choose the plan through Checkout to add a payment method.", code="checkout_needed"
            )
        with transaction.atomic():
            subscription.plan, subscription.status = (
                plan,
                SubscriptionStatus.FREE if plan.slug == "free" else subscription.status,
            )
            subscription.trial_ends_at = None if plan.slug == "free" else subscription.trial_ends_at
            subscription.save()
            _audit("billing.plan_change", actor, organization, plan=plan.slug, when="now")
        return PlanChange(outcome="switched", plan=plan)
    if upgrade:
        return _upgrade(subscription, plan, actor)
    return _schedule_downgrade(subscription, plan, actor)


def _stripe_item(subscription_id: str) -> str:
    stripe_subscription = stripe_client().v1.subscriptions.retrieve(subscription_id)
    return str(stripe_subscription["items"]["data"][0]["id"])


def _upgrade(subscription: Subscription, plan: Plan, actor: Any) -> PlanChange:
    try:
        item = _stripe_item(subscription.stripe_subscription_id)
        stripe_client().v1.subscriptions.update(
            subscription.stripe_subscription_id,
            {
                "items": [{"id": item, "price": plan.stripe_price_id}],
                "proration_behavior": "create_prorations",
                "cancel_at_period_end": False,
            },
        )
    except stripe.StripeError as error:
        raise unavailable(error) from error
    with transaction.atomic():
        subscription.plan, subscription.scheduled_plan, subscription.cancel_at_period_end = plan, None, False
        subscription.save()
        _audit("billing.plan_change", actor, subscription.organization, plan=plan.slug, when="now")
    return PlanChange(outcome="upgraded", plan=plan)


def _schedule_downgrade(subscription: Subscription, plan: Plan, actor: Any) -> PlanChange:
    if plan.slug == "free":
        return subscription_cancel(organization=subscription.organization, actor=actor)
    with transaction.atomic():
        subscription.scheduled_plan = plan
        subscription.save(update_fields=["scheduled_plan", "updated_at"])
        _audit("billing.plan_change", actor, subscription.organization, plan=plan.slug, when="period_end")
    return PlanChange(outcome="scheduled", plan=plan, effective_at=subscription.current_period_end)


def subscription_cancel(*, organization: Organization, actor: Any) -> PlanChange:
    """Cancel at the period's end: the plan stays until then, then the organisation is on Free."""
    subscription = subscription_of(organization)
    if not subscription.stripe_subscription_id:
        raise ValidationFailed("There is no paid subscription to cancel.")
    try:
        stripe_client().v1.subscriptions.update(
            subscription.stripe_subscription_id, {"cancel_at_period_end": True}
        )
    except stripe.StripeError as error:
        raise unavailable(error) from error
    with transaction.atomic():
        subscription.cancel_at_period_end, subscription.scheduled_plan = True, None
        subscription.save(update_fields=["cancel_at_period_end", "scheduled_plan", "updated_at"])
        _audit("billing.cancel", actor, organization)
    return PlanChange(outcome="scheduled", plan=free_plan(), effective_at=subscription.current_period_end)


def scheduled_changes_apply(*, now: datetime | None = None) -> int:
    """Apply downgrades whose period has ended (beat, hourly): the Stripe price changes without proration.
    Returns how many were applied; a Stripe failure leaves that one for the next run."""
    now = now or timezone.now()
    applied = 0
    due = Subscription.objects.filter(
        scheduled_plan__isnull=False, current_period_end__lte=now
    ).select_related("scheduled_plan")
    for subscription in due:
        plan = subscription.scheduled_plan
        assert plan is not None
        try:
            item = _stripe_item(subscription.stripe_subscription_id)
            stripe_client().v1.subscriptions.update(
                subscription.stripe_subscription_id,
                {"items": [{"id": item, "price": plan.stripe_price_id}], "proration_behavior": "none"},
            )
        except stripe.StripeError:
            continue
        subscription.plan, subscription.scheduled_plan = plan, None
        subscription.save(update_fields=["plan", "scheduled_plan", "updated_at"])
        applied += 1
    return applied


def portal_url(*, organization: Organization, return_url: str) -> str:
    """A Stripe customer portal address for payment methods, invoices and cancellation."""
    customer = customer_ensure(subscription_of(organization))
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            {"customer": customer, "return_url": return_url}
        )
    except stripe.StripeError as error:
        raise unavailable(error) from error
    return str(session.url)


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice as the billing page lists it (amount in the currency's smallest unit)."""

    number: str
    created: datetime
    amount_cents: int
    currency: str
    status: str
    pdf_url: str


def invoice_list(organization: Organization, *, limit: int = 24) -> list[InvoiceLine]:
    """The organisation's latest invoices, newest first; [] without a Stripe customer."""
    subscription = subscription_of(organization)
    if not subscription.stripe_customer_id:
        return []
    try:
        invoices = stripe_client().v1.invoices.list(
            {"customer": subscription.stripe_customer_id, "limit": limit}
        )
    except stripe.StripeError as error:
        raise unavailable(error) from error
    return [
        InvoiceLine(
            number=str(invoice.get("number") or invoice["id"]),
            created=datetime.fromtimestamp(invoice["created"], tz=UTC),
            amount_cents=int(invoice.get("total") or invoice.get("amount_due") or 0),
            currency=str(invoice.get("currency") or "usd"),
            status=str(invoice.get("status") or ""),
            pdf_url=str(invoice.get("invoice_pdf") or invoice.get("hosted_invoice_url") or ""),
        )
        for invoice in (found.to_dict() for found in invoices.data)
    ]


# Stripe's tax id types offered on the billing page (https://docs.stripe.com/api/tax_ids/object), by label.
TAX_ID_TYPES = {
    "eu_vat": "EU VAT number",
    "gb_vat": "UK VAT number",
    "ch_vat": "Swiss VAT number",
    "no_vat": "Norwegian VAT number",
    "us_ein": "US EIN",
    "ca_bn": "Canadian BN",
    "au_abn": "Australian ABN",
    "nz_gst": "New Zealand GST",
    "es_cif": "Spanish CIF",
    "in_gst": "Indian GSTIN",
    "br_cnpj": "Brazilian CNPJ",
}
_EU_PREFIXES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
    ]
)


def tax_id_type_of(value: str, chosen: str = "") -> str:
    """The Stripe tax id type of `value`: `chosen` when given (one of TAX_ID_TYPES), else read from a VAT
    number's country prefix (DE…, GB…, CHE…, NO…). Raises ValidationFailed when neither says."""
    if chosen:
        if chosen not in TAX_ID_TYPES:
            raise ValidationFailed("Choose a tax id type from the list.", code="invalid_tax_id")
        return chosen
    upper = value.upper().replace(" ", "")
    if upper.startswith("CHE"):
        return "ch_vat"
    if upper[:2] == "GB":
        return "gb_vat"
    if upper[:2] == "NO":
        return "no_vat"
    if upper[:2] in _EU_PREFIXES:
        return "eu_vat"
    raise ValidationFailed("Choose the kind of tax id (the number does not say).", code="invalid_tax_id")


def billing_details_update(
    *, organization: Organization, actor: Any, email: str, tax_id: str, tax_id_type: str = ""
) -> Subscription:
    """Set the billing email and tax id (both shown on invoices). The email and the tax id (as one of the
    customer's Stripe tax ids, replacing any other) go to Stripe's customer too. Raises ValidationFailed
    for a bad email, an over-long tax id or one of unknown type; BillingUnavailable when Stripe fails."""
    email, tax_id = (email or "").strip(), (tax_id or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("Enter a valid billing email address.", code="invalid_email") from None
    if len(tax_id) > 64:
        raise ValidationFailed("The tax id is at most 64 characters.", code="invalid_tax_id")
    kind = tax_id_type_of(tax_id, (tax_id_type or "").strip()) if tax_id else ""
    subscription = subscription_of(organization)
    if subscription.stripe_customer_id:
        try:
            _customer_details_push(subscription.stripe_customer_id, email=email, tax_id=tax_id, kind=kind)
        except stripe.InvalidRequestError as error:
            detail = error.user_message or "check its format and kind"
            raise ValidationFailed(
                f"Stripe did not accept the tax id: {detail}.", code="invalid_tax_id"
            ) from None
        except stripe.StripeError as error:
            raise unavailable(error) from error
    with transaction.atomic():
        subscription.billing_email, subscription.tax_id, subscription.tax_id_type = email, tax_id, kind
        subscription.save(update_fields=["billing_email", "tax_id", "tax_id_type", "updated_at"])
        _audit("billing.details_update", actor, organization, email=email)
    return subscription


def _customer_details_push(customer: str, *, email: str, tax_id: str, kind: str) -> None:
    """Stripe's customer gets the email and exactly this one tax id. The new tax id is added before the
    others are removed, so one Stripe refuses (a malformed number) leaves the customer as it was."""
    client = stripe_client()
    client.v1.customers.update(customer, {"email": email})
    existing = list(client.v1.customers.tax_ids.list(customer).data)
    keep = next((t.id for t in existing if tax_id and t.type == kind and t.value == tax_id), None)
    if tax_id and keep is None:
        keep = client.v1.customers.tax_ids.create(customer, {"type": kind, "value": tax_id}).id
    for old in existing:
        if old.id != keep:
            client.v1.customers.tax_ids.delete(customer, old.id)
