# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Plan limits checked before work starts (the core's limits hook), and what a downgrade would break.

Monthly limits (questions, LLM tokens, embed views) compare this month's usage counters, including counts
still in the Redis buffer; stock limits (seats, data sources, rows stored, dashboards) count what exists
in the organisation now. A `PlanLimit` row for the organisation overrides its plan's monthly cap. With
billing off (no Stripe key: `make run`, self-hosting) only those override rows are enforced.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from chat2chart.core.errors import LimitExceeded
from enterprise.billing.models import Plan, PlanLimit, UsageCounter
from enterprise.billing.plans import (
    CREATING,
    LIMIT_LABELS,
    MONTHLY_LIMITS,
    STOCK_LIMITS,
    billing_enabled,
    plan_limit,
    plan_state,
)
from enterprise.tenants.models import Invitation, Membership, Organization

UPGRADE_HINT = "Upgrade the plan on Settings → Billing"


def usage_of(organization: Organization, name: str) -> int:
    """How much of limit `name` the organisation uses now: this month's count for a monthly limit, the
    current amount for a stock limit (members plus open invitations for seats)."""
    if name in STOCK_LIMITS:
        return _stock(organization, name)
    from enterprise.billing.services import usage_pending

    month = timezone.now().date().replace(day=1)
    counted = (
        UsageCounter.objects.filter(organization=organization, month=month, event=name)
        .values_list("quantity", flat=True)
        .first()
    )
    return (counted or 0) + usage_pending(organization=organization, event=name, month=month)


def _stock(organization: Organization, name: str) -> int:
    if name == "seats":
        open_invitations = [
            invitation
            for invitation in Invitation.objects.filter(organization=organization, accepted_at__isnull=True)
            if invitation.is_usable
        ]
        return Membership.objects.filter(organization=organization).count() + len(open_invitations)
    from chat2chart.alerts.models import Alert
    from chat2chart.dashboards.models import Dashboard
    from chat2chart.sources.models import Source, SourceTable
    from chat2chart.subscriptions.models import Subscription as ScheduledReport

    with schema_context(organization.schema_name):
        if name == "data_sources":
            return Source.objects.count()
        if name == "dashboards":
            return Dashboard.objects.count()
        if name == "subscriptions":
            return ScheduledReport.objects.count()
        if name == "alerts":
            return Alert.objects.count()
        rows = SourceTable.objects.filter(is_current=True).aggregate(total=Sum("row_count"))["total"]
        return int(rows or 0)


def limit_of(organization: Organization, name: str) -> int | None:
    """The organisation's cap on `name` now (None: unlimited): its own `PlanLimit` row first, then its plan's
    (plans apply only with billing on)."""
    override = PlanLimit.objects.filter(organization=organization, event=name).first()
    if override is not None:
        return override.monthly_quantity
    if not billing_enabled():
        return None
    return plan_limit(plan_state(organization).plan, name)


def limit_check(organization: Organization, name: str, amount: int = 1) -> None:
    """Raise `LimitExceeded` (HTTP 429) when `amount` more of `name` would pass the organisation's limit,
    or when the organisation is read-only and `name` creates something. The message names the limit and
    the way to more."""
    label = LIMIT_LABELS.get(name, name.replace("_", " "))
    if billing_enabled() and name in CREATING and plan_state(organization).read_only:
        raise LimitExceeded(
            "Payment for this organisation failed and its grace period is over, so nothing new can be "
            "created "
            "(queries and dashboards still work). Update the payment method on Settings → Billing.",
            code="billing_read_only",
        )
    limit = limit_of(organization, name)
    if limit is None:
        return
    used = usage_of(organization, name)
    if used + amount <= limit:
        return
    if name in MONTHLY_LIMITS or name not in STOCK_LIMITS:
        message = (
            f"Your plan allows {limit:,} {label} and this month's allowance is used up ({used:,} used). "
            f"{UPGRADE_HINT}, or wait for next month."
        )
    else:
        message = f"Your plan allows {limit:,} {label} and this organisation has {used:,}. {UPGRADE_HINT}."
    raise LimitExceeded(message, details={"limit": name, "allowed": limit, "used": used})


@dataclass(frozen=True)
class Blocker:
    """One reason an organisation cannot move to a smaller plan: `used` of `limit` allows `allowed`."""

    limit: str
    used: int
    allowed: int

    @property
    def message(self) -> str:
        label = LIMIT_LABELS.get(self.limit, self.limit)
        excess = self.used - self.allowed
        return f"{label}: {self.used:,} in use, the plan allows {self.allowed:,}; remove {excess:,}"


def downgrade_blockers(organization: Organization, plan: Plan) -> list[Blocker]:
    """What the organisation uses now beyond `plan`'s stock limits (seats, sources, rows, dashboards)."""
    blockers = []
    for name in STOCK_LIMITS:
        allowed = plan_limit(plan, name)
        if allowed is None:
            continue
        used = _stock(organization, name)
        if used > allowed:
            blockers.append(Blocker(limit=name, used=used, allowed=allowed))
    return blockers
