# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""What the console shows: organisations with their plan, status and usage, one organisation's usage
over time and the platform's totals. Reads only; billing's counters are read through its models and
`usage_pending`, never changed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from chat2chart.conversations.models import Message
from chat2chart.sources.models import SourceTable
from enterprise.billing import selectors as billing_selectors
from enterprise.billing.models import PlanLimit, UsageCounter
from enterprise.billing.plans import billing_enabled
from enterprise.billing.services import usage_pending
from enterprise.billing.subscriptions import InvoiceLine, invoice_list
from enterprise.console import daily
from enterprise.console.limits import llm_tokens_per_day
from enterprise.console.models import StaffAction
from enterprise.tenants.models import Organization

# The plan shown for an organisation whose subscription row names none (a fresh platform).
DEFAULT_PLAN = "free"
CHART_DAYS = 30
CHART_MONTHS = 12
# Usage events the console charts (named as `hooks.record_usage` names them).
CHARTED_EVENTS = ("question_asked", "query_run", "llm_tokens", "rows_ingested")


@dataclass(frozen=True)
class OrganizationRow:
    """One line of the console's list."""

    organization: Organization
    plan: str
    status: str
    members: int
    rows_stored: int
    questions_this_month: int
    last_activity: datetime | None


@dataclass(frozen=True)
class OrganizationUsage:
    """One organisation's usage: per month (billing's counters) and per day (the console's)."""

    months: list[str]
    monthly: dict[str, list[int]]
    days: list[str]
    daily: dict[str, list[int]]
    llm_tokens_today: int
    llm_tokens_per_day: int
    limits: dict[str, int] = field(default_factory=dict)  # billing's monthly caps, by event


def this_month() -> date:
    return timezone.now().date().replace(day=1)


def plan_name(organization: Organization) -> str:
    """The organisation's plan: the staff override, else its billing plan (trial, paid or Free)."""
    if organization.plan_override:
        return organization.plan_override
    plan = billing_selectors.organization_plan(organization).plan
    return plan.slug if plan is not None else DEFAULT_PLAN


def questions_this_month(organizations: list[Organization]) -> dict[int, int]:
    """Questions asked this month per organisation id: billing's counters plus what is still buffered."""
    month = this_month()
    counted = dict(
        UsageCounter.objects.filter(
            organization__in=organizations, month=month, event="question_asked"
        ).values_list("organization_id", "quantity")
    )
    return {
        o.pk: counted.get(o.pk, 0) + usage_pending(organization=o, event="question_asked", month=month)
        for o in organizations
    }


def _in_schema(organization: Organization) -> tuple[int, datetime | None]:
    """(rows stored in its sources, when its last question was asked), read in its own schema."""
    with schema_context(organization.schema_name):
        # Current versions only: older versions of a table are history, not data the organisation uses.
        rows = SourceTable.objects.filter(is_current=True).aggregate(total=Sum("row_count"))["total"] or 0
        asked = Message.objects.aggregate(last=Max("created_at"))["last"]
    return int(rows), asked


def organization_rows() -> list[OrganizationRow]:
    """Every organisation (not the public site), newest first, with its figures. Visits each
    organisation's schema once (two aggregate queries), so it suits hundreds, not tens of thousands."""
    organizations = list(
        Organization.objects.exclude(schema_name="public")
        .annotate(member_count=Count("memberships"), last_login=Max("memberships__user__last_login"))
        .order_by("-created_at")
    )
    questions = questions_this_month(organizations)
    rows = []
    for organization in organizations:
        stored, asked = _in_schema(organization)
        moments = [m for m in (asked, organization.last_login) if m is not None]  # type: ignore[attr-defined]
        rows.append(
            OrganizationRow(
                organization=organization,
                plan=plan_name(organization),
                status=organization.get_status_display(),
                members=organization.member_count,  # type: ignore[attr-defined]
                rows_stored=stored,
                questions_this_month=questions[organization.pk],
                last_activity=max(moments) if moments else None,
            )
        )
    return rows


def _months_back(count: int) -> list[date]:
    months, month = [], this_month()
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _days_back(count: int) -> list[date]:
    last = daily.today()
    return [last - timedelta(days=n) for n in range(count - 1, -1, -1)]


def organization_usage(organization: Organization) -> OrganizationUsage:
    """The organisation's usage of `CHARTED_EVENTS` over `CHART_MONTHS` months and `CHART_DAYS` days."""
    months = _months_back(CHART_MONTHS)
    monthly_counts = {
        (m, e): q
        for m, e, q in UsageCounter.objects.filter(
            organization=organization, month__gte=months[0]
        ).values_list("month", "event", "quantity")
    }
    for event in CHARTED_EVENTS:  # this month's buffered counts too
        key = (months[-1], event)
        monthly_counts[key] = monthly_counts.get(key, 0) + usage_pending(
            organization=organization, event=event, month=months[-1]
        )
    days = _days_back(CHART_DAYS)
    counts = daily.daily_counts(first=days[0], last=days[-1], organization=organization)
    return OrganizationUsage(
        months=[m.strftime("%Y-%m") for m in months],
        monthly={e: [monthly_counts.get((m, e), 0) for m in months] for e in CHARTED_EVENTS},
        days=[d.isoformat() for d in days],
        daily={e: [counts.get((organization.pk, d, e), 0) for d in days] for e in CHARTED_EVENTS},
        llm_tokens_today=daily.used_today(organization, "llm_tokens"),
        llm_tokens_per_day=llm_tokens_per_day(organization),
        limits=dict(
            PlanLimit.objects.filter(organization=organization).values_list("event", "monthly_quantity")
        ),
    )


def staff_actions(*, organization: Organization | None = None, limit: int = 50) -> list[StaffAction]:
    """The latest staff actions, on one organisation or on all."""
    actions = StaffAction.objects.select_related("organization")
    if organization is not None:
        actions = actions.filter(organization=organization)
    return list(actions[:limit])


def invoices(organization: Organization) -> list[InvoiceLine] | None:
    """The organisation's invoices from Stripe, newest first; None when billing is off (no Stripe key).
    Raises AiserError ("unavailable") when Stripe cannot be reached."""
    if not billing_enabled():
        return None
    return invoice_list(organization)


def platform_totals() -> dict[str, Any]:
    """Organisations by plan and status, and questions and queries per day over `CHART_DAYS` days, for
    every organisation together, and monthly recurring revenue at list prices, formatted (None when
    billing is off)."""
    organizations = list(Organization.objects.exclude(schema_name="public"))
    by_plan = Counter(plan_name(o) for o in organizations)
    by_status = Counter(o.get_status_display() for o in organizations)
    days = _days_back(CHART_DAYS)
    per_day: dict[str, Counter[date]] = defaultdict(Counter)
    for (_, day, event), quantity in daily.daily_counts(first=days[0], last=days[-1]).items():
        per_day[event][day] += quantity
    return {
        "organizations": len(organizations),
        "by_plan": dict(sorted(by_plan.items())),
        "by_status": dict(sorted(by_status.items())),
        "days": [d.isoformat() for d in days],
        "questions_per_day": [per_day["question_asked"][d] for d in days],
        "queries_per_day": [per_day["query_run"][d] for d in days],
        "mrr": f"{billing_selectors.mrr_cents() / 100:,.2f}" if billing_enabled() else None,
    }


def backups(organization: Organization, *, limit: int = 20) -> list[Any]:
    """The organisation's kept backups, newest first (enterprise.backups), for the console's list."""
    from enterprise.backups.selectors import list_backups

    return list(list_backups(organization).order_by("-created_at")[:limit])
