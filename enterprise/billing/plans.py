# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An organisation's plan as it stands now, and the limits it sets.

The subscription row is made on first use: with billing on, a new organisation starts a trial of
`AISER_BILLING_TRIAL_PLAN` for `AISER_BILLING_TRIAL_DAYS` days from its creation; otherwise it is on
Free. Time-driven changes (a trial ending) are settled here when the row is read, so nothing depends
on a periodic job having run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from enterprise.billing.models import Plan, Subscription, SubscriptionStatus
from enterprise.tenants.models import Organization

FREE = "free"

# The name a limit check uses (`hooks.check_limit(name)`) → the plan's field and how it counts.
MONTHLY_LIMITS = {
    "question_asked": "questions_per_month",
    "llm_tokens": "llm_tokens_per_month",
    "embed_view": "embed_views_per_month",
}
STOCK_LIMITS = {
    "seats": "seats",
    "data_sources": "data_sources",
    "rows_stored": "rows_stored",
    "dashboards": "dashboards",
    "subscriptions": "subscriptions",
    "alerts": "alerts",
}
# What a person reads in a message or on the billing page.
LIMIT_LABELS = {
    "seats": "members (seats)",
    "data_sources": "data sources",
    "rows_stored": "rows stored",
    "dashboards": "dashboards",
    "subscriptions": "scheduled reports (subscriptions)",
    "alerts": "alerts",
    "question_asked": "AI questions a month",
    "llm_tokens": "LLM tokens a month",
    "embed_view": "embed views a month",
}
# Work refused while an organisation is read-only (payment failed past the grace period): anything that
# creates. Queries, dashboards and embeds keep working.
# Refreshing existing sources goes on (rows_stored is not here).
CREATING = frozenset({"seats", "data_sources", "dashboards", "question_asked", "subscriptions", "alerts"})


@dataclass(frozen=True)
class PlanState:
    """An organisation's plan now: what the billing page and other apps (the console, rate limits) read."""

    plan: Plan
    status: str  # a SubscriptionStatus value
    trial_days_left: int | None
    read_only: bool
    past_due: bool
    cancel_at_period_end: bool
    current_period_end: datetime | None
    scheduled_plan: Plan | None


def billing_enabled() -> bool:
    """Whether plans are enforced and Stripe is used (`AISER_BILLING_ENABLED`, on with a Stripe key)."""
    return bool(settings.AISER_BILLING_ENABLED)


def free_plan() -> Plan:
    return Plan.objects.get(slug=FREE)


def subscription_of(organization: Organization) -> Subscription:
    """The organisation's subscription row, made on first use and with time-driven changes applied."""
    subscription = Subscription.objects.select_related("plan", "scheduled_plan").filter(
        organization=organization
    ).first() or _subscription_start(organization)
    return _settle(subscription)


def _subscription_start(organization: Organization) -> Subscription:
    trial_plan = Plan.objects.filter(slug=settings.AISER_BILLING_TRIAL_PLAN).first()
    if billing_enabled() and trial_plan is not None and settings.AISER_BILLING_TRIAL_DAYS > 0:
        defaults = {
            "plan": trial_plan,
            "status": SubscriptionStatus.TRIALING,
            "trial_ends_at": organization.created_at + timedelta(days=settings.AISER_BILLING_TRIAL_DAYS),
        }
    else:
        defaults = {"plan": free_plan(), "status": SubscriptionStatus.FREE}
    with transaction.atomic():
        subscription, _ = Subscription.objects.get_or_create(organization=organization, defaults=defaults)
    return subscription


def _settle(subscription: Subscription) -> Subscription:
    # A trial without a Stripe subscription ends on Free (a Stripe trial ends through its webhooks).
    now = timezone.now()
    trial_over = subscription.trial_ends_at is not None and subscription.trial_ends_at <= now
    if (
        subscription.status == SubscriptionStatus.TRIALING
        and trial_over
        and not subscription.stripe_subscription_id
    ):
        subscription.plan = free_plan()
        subscription.status = SubscriptionStatus.FREE
        subscription.save(update_fields=["plan", "status", "updated_at"])
    return subscription


def plan_state(organization: Organization) -> PlanState:
    """The organisation's plan, trial and payment standing now (see `PlanState`)."""
    subscription = subscription_of(organization)
    now = timezone.now()
    trial_days_left = None
    if subscription.status == SubscriptionStatus.TRIALING and subscription.trial_ends_at:
        trial_days_left = max(0, -(-(subscription.trial_ends_at - now) // timedelta(days=1)))
    past_due = subscription.status == SubscriptionStatus.PAST_DUE
    grace = timedelta(days=settings.AISER_BILLING_GRACE_DAYS)
    read_only = (
        past_due and subscription.past_due_since is not None and subscription.past_due_since + grace <= now
    )
    return PlanState(
        plan=subscription.plan,
        status=subscription.status,
        trial_days_left=trial_days_left,
        read_only=read_only,
        past_due=past_due,
        cancel_at_period_end=subscription.cancel_at_period_end,
        current_period_end=subscription.current_period_end,
        scheduled_plan=subscription.scheduled_plan,
    )


def plan_limit(plan: Plan, name: str) -> int | None:
    """The plan's cap on limit `name` (None: unlimited or not a plan limit)."""
    field = MONTHLY_LIMITS.get(name) or STOCK_LIMITS.get(name)
    return getattr(plan, field) if field else None
