# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Usage metering per organisation and month, and plan limits checked before work is done."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils import timezone

from chat2chart.core.errors import LimitExceeded
from chat2chart.core.hooks import UsageEvent
from enterprise.billing.models import PlanLimit, UsageCounter
from enterprise.tenants.models import Organization


def _this_month() -> date:
    return timezone.now().date().replace(day=1)


def _organization(workspace: str) -> Organization:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organization) and tenant.schema_name == workspace:
        return tenant
    return Organization.objects.get(schema_name=workspace)


_UPSERT = f"""
    INSERT INTO public.{UsageCounter._meta.db_table} (organization_id, month, event, quantity)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (organization_id, month, event)
    DO UPDATE SET quantity = {UsageCounter._meta.db_table}.quantity + EXCLUDED.quantity
"""  # noqa: S608 - the table name is ours, the values are parameters


def usage_record(event: UsageEvent) -> None:
    """Add the event's quantity to its organisation's counter for this month (a usage hook listener).

    Returns None: the event goes on unchanged to the next listener in `AISER_HOOK_PLUGINS["usage"]`.
    """
    # One statement on the hot path of every query and question: count without a read first.
    organization = _organization(event.workspace)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [organization.pk, _this_month(), event.name, event.quantity])


def usage_limit_check(name: str, *, workspace: str, amount: int = 1) -> None:
    """Raise `LimitExceeded` when the organisation's plan has no room for `amount` more `name` this month."""
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
