# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Reads of billing for pages and other apps (the platform console, rate limits): an organisation's plan,
its usage against each limit, usage by day and person, and monthly recurring revenue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from enterprise.billing.limits import limit_of, usage_of
from enterprise.billing.models import Subscription, SubscriptionStatus, UsageDay
from enterprise.billing.plans import LIMIT_LABELS, PlanState, plan_state
from enterprise.tenants.models import Organization

__all__ = ["PlanState", "limits_usage", "mrr_cents", "organization_plan", "usage_by_day", "usage_by_person"]


def organization_plan(organization: Organization) -> PlanState:
    """The organisation's plan now: plan (with its limits, `api_requests_per_minute`, `sso_allowed`,
    `audit_retention_days`), status, trial days left, read-only and past-due flags."""
    return plan_state(organization)


def mrr_cents() -> int:
    """Monthly recurring revenue in cents: the list price of every paying (active or past-due) subscription.
    Trials and Free count nothing."""
    paying = Subscription.objects.filter(
        status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE]
    ).exclude(stripe_subscription_id="")
    return int(paying.aggregate(total=Sum("plan__monthly_price_cents"))["total"] or 0)


@dataclass(frozen=True)
class LimitUsage:
    """One bar of the billing page: `used` of `allowed` (None: unlimited)."""

    name: str
    label: str
    used: int
    allowed: int | None

    @property
    def percent(self) -> int:
        if not self.allowed:
            return 0 if self.allowed is None else 100
        return min(100, round(100 * self.used / self.allowed))


def limits_usage(organization: Organization) -> list[LimitUsage]:
    """Usage against each of the plan's limits, in the billing page's order."""
    return [
        LimitUsage(
            name=name, label=label, used=usage_of(organization, name), allowed=limit_of(organization, name)
        )
        for name, label in LIMIT_LABELS.items()
    ]


def _period(today: date | None) -> tuple[date, date]:
    today = today or timezone.now().date()
    return today.replace(day=1), today


def usage_by_day(
    organization: Organization, *, event: str, today: date | None = None
) -> list[tuple[date, int]]:
    """Units of `event` per day of the current month up to `today` (zero days included)."""
    start, end = _period(today)
    counts = dict(
        UsageDay.objects.filter(organization=organization, event=event, day__gte=start, day__lte=end)
        .values_list("day")
        .annotate(total=Sum("quantity"))
        .values_list("day", "total")
    )
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    return [(day, int(counts.get(day, 0))) for day in days]


def usage_by_person(
    organization: Organization, *, event: str, today: date | None = None
) -> list[tuple[str, int]]:
    """Units of `event` this month per person (email; "Other" for work no person started), most first."""
    from django.contrib.auth import get_user_model

    start, end = _period(today)
    totals = (
        UsageDay.objects.filter(organization=organization, event=event, day__gte=start, day__lte=end)
        .values("user_id")
        .annotate(total=Sum("quantity"))
        .order_by("-total")
    )
    emails = dict(
        get_user_model().objects.filter(pk__in=[row["user_id"] for row in totals]).values_list("pk", "email")
    )
    return [(emails.get(row["user_id"], "Other"), int(row["total"])) for row in totals]
