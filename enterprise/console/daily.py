# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Usage per organisation and day: the fair-use cap reads today's language-model tokens, the console
draws questions and queries per day. (Billing counts per month; this is the finer, shorter record.)

With Redis one event is one round trip: HINCRBY on the day's hash (field `<organisation id>|<event>`)
and EXPIRE, pipelined; days older than `KEEP_DAYS` expire on their own. Without Redis (development), or
when it cannot be reached, the count is one upsert into `DailyUsage`; reads add both.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from datetime import date, timedelta

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from chat2chart.core.hooks import UsageEvent
from enterprise.console.models import DailyUsage
from enterprise.tenants.models import Organization

logger = logging.getLogger(__name__)

KEEP_DAYS = 120

DailyCounts = Counter[tuple[int, date, str]]  # (organisation id, day, event) → quantity

_UPSERT = f"""
    INSERT INTO public.{DailyUsage._meta.db_table} (organization_id, day, event, quantity)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (organization_id, day, event)
    DO UPDATE SET quantity = {DailyUsage._meta.db_table}.quantity + EXCLUDED.quantity
"""  # noqa: S608 - the table name is ours, the values are parameters


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _redis() -> redis.Redis | None:
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


def _key(day: date) -> str:
    # Per database: a test database and a development database sharing one Redis stay apart.
    return f"aiser:daily:{connection.settings_dict['NAME']}:{day.isoformat()}"


def today() -> date:
    return timezone.now().date()


def organization_for_workspace(workspace: str) -> Organization:
    """The organisation whose schema is `workspace` (the request's, without a query, when in scope)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organization) and tenant.schema_name == workspace:
        return tenant
    return Organization.objects.get(schema_name=workspace)


def daily_usage_record(event: UsageEvent) -> None:
    """Add the event to its organisation's count for today (a usage hook listener; returns None)."""
    organization = organization_for_workspace(event.workspace)
    day = today()
    client = _redis()
    if client is not None:
        try:
            pipeline = client.pipeline(transaction=False)
            pipeline.hincrby(_key(day), f"{organization.pk}|{event.name}", event.quantity)
            pipeline.expire(_key(day), KEEP_DAYS * 86400)
            pipeline.execute()
            return
        except redis.RedisError:
            logger.warning(
                "daily usage: Redis unavailable; counting %s in the database", event.name, exc_info=True
            )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [organization.pk, day, event.name, event.quantity])


def daily_counts(*, first: date, last: date, organization: Organization | None = None) -> DailyCounts:
    """Counts per (organisation id, day, event) from `first` to `last` inclusive, for one organisation
    or all. Days older than `KEEP_DAYS` are gone from Redis."""
    counts: DailyCounts = Counter()
    rows = DailyUsage.objects.filter(day__gte=first, day__lte=last)
    if organization is not None:
        rows = rows.filter(organization=organization)
    for organization_id, day, event, quantity in rows.values_list(
        "organization_id", "day", "event", "quantity"
    ):
        counts[(organization_id, day, event)] += quantity
    client = _redis()
    if client is None:
        return counts
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    pipeline = client.pipeline(transaction=False)
    for day in days:
        pipeline.hgetall(_key(day))
    for day, fields in zip(days, pipeline.execute(), strict=True):
        for field, quantity in fields.items():
            organization_part, event = (field.decode() if isinstance(field, bytes) else field).split("|", 1)
            if organization is None or int(organization_part) == organization.pk:
                counts[(int(organization_part), day, event)] += int(quantity)
    return counts


def used_today(organization: Organization, event: str) -> int:
    """How much of `event` the organisation has used today (e.g. "llm_tokens")."""
    day = today()
    total = (
        DailyUsage.objects.filter(organization=organization, day=day, event=event)
        .values_list("quantity", flat=True)
        .first()
        or 0
    )
    client = _redis()
    if client is not None:
        total += int(client.hget(_key(day), f"{organization.pk}|{event}") or 0)
    return total
