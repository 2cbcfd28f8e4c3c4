# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Stripe's webhooks: verified, applied once, and never rolled back by an event that arrives late.

Each event's id is recorded (`StripeEvent`) in the transaction that applies it, so a redelivery changes
nothing; an event older than the last one applied to the organisation's subscription is recorded and
skipped. A failure rolls both back and answers 500, and Stripe delivers the event again.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat2chart.core.errors import AiserError
from enterprise.billing.models import Plan, StripeEvent, Subscription, SubscriptionStatus
from enterprise.billing.plans import free_plan, subscription_of
from enterprise.billing.stripe_api import stripe_client
from enterprise.tenants.models import Organization

logger = logging.getLogger(__name__)

HANDLED = (
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.updated",
)


class WebhookRefused(AiserError):
    code = "webhook_refused"
    status = 400


def _at(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def webhook_receive(payload: bytes, signature: str) -> str:
    """Verify and apply one webhook delivery; returns "applied", "duplicate", "stale" or "ignored".

    Raises `WebhookRefused` for a bad signature (forged, or older than Stripe's 5-minute tolerance: a
    replay) or a body that is not an event."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookRefused("Webhooks are not configured (STRIPE_WEBHOOK_SECRET).", status=503)
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode(),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=stripe.Webhook.DEFAULT_TOLERANCE,
        )
        event = json.loads(payload)
        event_id, event_type, created = event["id"], event["type"], int(event["created"])
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise WebhookRefused(
            "The signature does not match this endpoint's secret.", code="bad_signature"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise WebhookRefused("The body is not a Stripe event.", code="bad_event") from None
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: only a second delivery of the event fails here
                StripeEvent.objects.create(
                    event_id=event_id, type=event_type, created=_at(created) or timezone.now()
                )
        except IntegrityError:
            return "duplicate"
        if event_type not in HANDLED:
            return "ignored"
        return _apply(event_type, event["data"]["object"], _at(created) or timezone.now())


def _subscription_for(obj: dict[str, Any]) -> Subscription | None:
    """The subscription row an event's object belongs to, by metadata, reference or customer id."""
    metadata = obj.get("metadata") or {}
    organization_id = obj.get("client_reference_id") or metadata.get("organization_id")
    if organization_id and str(organization_id).isdigit():
        organization = Organization.objects.filter(pk=int(organization_id)).first()
        if organization is not None:
            return subscription_of(organization)
    customer = obj.get("customer") if obj.get("object") != "customer" else obj.get("id")
    if customer:
        return Subscription.objects.select_related("plan").filter(stripe_customer_id=customer).first()
    return None


def _apply(event_type: str, obj: dict[str, Any], created: datetime) -> str:
    subscription = _subscription_for(obj)
    if subscription is None:
        logger.warning("stripe %s for no known organisation (%s)", event_type, obj.get("id"))
        return "ignored"
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if event_type == "customer.updated":
        subscription.billing_email = obj.get("email") or subscription.billing_email
        subscription.save(update_fields=["billing_email", "updated_at"])
        return "applied"
    if subscription.stripe_event_at is not None and created < subscription.stripe_event_at:
        return "stale"
    if event_type == "checkout.session.completed":
        subscription.stripe_customer_id = obj.get("customer") or subscription.stripe_customer_id
        subscription.stripe_subscription_id = obj.get("subscription") or ""
        # The session carries only the id: the subscription's state comes from Stripe itself.
        obj = dict(stripe_client().v1.subscriptions.retrieve(subscription.stripe_subscription_id).to_dict())
        event_type = "customer.subscription.updated"
    if event_type.startswith("customer.subscription."):
        _apply_subscription(subscription, obj, deleted=event_type.endswith(".deleted"))
    elif event_type == "invoice.payment_failed":
        subscription.status = SubscriptionStatus.PAST_DUE
        subscription.past_due_since = subscription.past_due_since or created
    elif event_type == "invoice.paid" and subscription.status == SubscriptionStatus.PAST_DUE:
        subscription.status, subscription.past_due_since = SubscriptionStatus.ACTIVE, None
    subscription.stripe_event_at = created
    subscription.save()
    return "applied"


def _price_of(obj: dict[str, Any]) -> str:
    items = (obj.get("items") or {}).get("data") or []
    if not items:
        return ""
    item = items[0]
    return str((item.get("price") or {}).get("id") or (item.get("plan") or {}).get("id") or "")


def _period_end(obj: dict[str, Any]) -> int | None:
    # Newer API versions moved the period onto the subscription's items.
    items = (obj.get("items") or {}).get("data") or [{}]
    return obj.get("current_period_end") or items[0].get("current_period_end")


def _apply_subscription(subscription: Subscription, obj: dict[str, Any], *, deleted: bool) -> None:
    status = obj.get("status", "")
    if deleted or status in {"canceled", "incomplete_expired"}:
        # Back to Free; everything the organisation made stays (limits only stop new work).
        subscription.plan, subscription.status = free_plan(), SubscriptionStatus.FREE
        subscription.stripe_subscription_id, subscription.scheduled_plan = "", None
        subscription.cancel_at_period_end, subscription.past_due_since = False, None
        subscription.trial_ends_at = subscription.current_period_end = None
        return
    subscription.stripe_subscription_id = obj.get("id") or subscription.stripe_subscription_id
    subscription.stripe_customer_id = obj.get("customer") or subscription.stripe_customer_id
    plan = Plan.objects.filter(stripe_price_id=_price_of(obj)).exclude(stripe_price_id="").first()
    if plan is not None:
        subscription.plan = plan
        if subscription.scheduled_plan_id == plan.pk:
            subscription.scheduled_plan = None
    if status in {"trialing", "active"}:
        subscription.status, subscription.past_due_since = status, None
    elif status in {"past_due", "unpaid"}:
        subscription.status = SubscriptionStatus.PAST_DUE
        subscription.past_due_since = subscription.past_due_since or timezone.now()
    subscription.trial_ends_at = _at(obj.get("trial_end")) if status == "trialing" else None
    subscription.current_period_end = _at(_period_end(obj))
    subscription.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
