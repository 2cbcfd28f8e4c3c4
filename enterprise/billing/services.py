# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Usage metering per organisation and month, and plan limits checked before work is done."""

from __future__ import annotations

from datetime import date

from django.db.models import F
from django.utils import timezone

from chat2chart.core.errors import LimitExceeded
from chat2chart.core.hooks import UsageEvent
from enterprise.billing.models import PlanLimit, UsageCounter
from enterprise.tenants.models import Organization


def _this_month() -> date:
    return timezone.now().date().replace(day=1)


def _organization(workspace: str) -> Organization:
    return Organization.objects.get(schema_name=workspace)


def usage_record(event: UsageEvent) -> None:
    organization = _organization(event.workspace)
    counter, _ = UsageCounter.objects.get_or_create(
        organization=organization, month=_this_month(), event=event.name
    )
    UsageCounter.objects.filter(pk=counter.pk).update(quantity=F("quantity") + event.quantity)


def usage_limit_check(name: str, *, workspace: str, amount: int = 1) -> None:
    organization = _organization(workspace)
    limit = PlanLimit.objects.filter(organization=organization, event=name).first()
    if limit is None:
        return
    used = (
        UsageCounter.objects.filter(organization=organization, month=_this_month(), event=name)
        .values_list("quantity", flat=True)
        .first()
        or 0
    )
    if used + amount > limit.monthly_quantity:
        raise LimitExceeded(
            f"Your plan allows {limit.monthly_quantity:,} {name.replace('_', ' ')} a month and this month's "
            "allowance is used up. Upgrade the plan or wait for next month."
        )
