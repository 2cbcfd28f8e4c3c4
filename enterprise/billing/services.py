# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Usage metering per organisation and month, and plan limits checked before work is done.

Counting stays off the request's hot path: with Redis (`REDIS_URL`), `usage_record` adds the event to a
Redis hash (one HINCRBY, the write-ahead log) and `usage_drain`, run by Celery beat every few seconds,
moves the counts into `UsageCounter` rows. Without Redis (`make run` on a fresh machine), or when Redis
cannot be reached, the count is written to the database at once, as one upsert.

The drain loses and repeats nothing: the pending hash is renamed to a batch in one atomic Redis script
(new counts go to a fresh hash meanwhile); a batch's counts and its id (`UsageBatch`) are written in one
database transaction; the batch is deleted from Redis only after that commit, and a batch whose id is
already recorded (a drain that crashed after the commit) is deleted without being added again.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections import Counter
from datetime import date, timedelta

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat2chart.core.hooks import UsageEvent
from enterprise.billing.models import UsageBatch, UsageCounter, UsageDay
from enterprise.tenants.models import Organization

logger = logging.getLogger(__name__)

# Recorded batch ids are kept this long: a batch is retried within seconds of a crash, never days.
BATCH_MEMORY = timedelta(days=1)

# Atomically: the pending hash becomes batch ARGV[1] and the batch is listed, or nothing happens.
_SEAL = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('SADD', KEYS[3], ARGV[1])
  return 1
end
return 0
"""


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

_DAY_UPSERT = f"""
    INSERT INTO public.{UsageDay._meta.db_table} (organization_id, day, event, user_id, quantity)
    VALUES (%s, %s, %s, %s, %s)
    ON CONFLICT (organization_id, day, event, user_id)
    DO UPDATE SET quantity = {UsageDay._meta.db_table}.quantity + EXCLUDED.quantity
"""  # noqa: S608 - the table name is ours, the values are parameters

_BATCH_INSERT = f"""
    INSERT INTO public.{UsageBatch._meta.db_table} (batch_id, drained_at) VALUES (%s, %s)
    ON CONFLICT (batch_id) DO NOTHING
"""  # noqa: S608 - the table name is ours, the values are parameters


@functools.cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _redis() -> redis.Redis | None:
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


def _keys() -> tuple[str, str, str]:
    """(pending hash, set of sealed batches, batch hash prefix), per database: a test database and a
    development database sharing one Redis never drain each other's counts."""
    base = f"aiser:usage:{connection.settings_dict['NAME']}"
    return f"{base}:pending", f"{base}:batches", f"{base}:batch:"


def _field(organization_id: int, month: date, event: str) -> str:
    return f"{organization_id}|{month.isoformat()}|{event}"


def _day_field(organization_id: int, day: date, event: str, user_id: int) -> str:
    # The usage page's breakdown by day and person; "d|" keeps it apart from the monthly fields.
    return f"d|{organization_id}|{day.isoformat()}|{event}|{user_id}"


def _user_id(event: UsageEvent) -> int:
    value = (event.data or {}).get("user_id")
    return value if isinstance(value, int) else 0


def usage_record(event: UsageEvent) -> None:
    """Add the event's quantity to its organisation's counter for this month, and to its count for today
    and the person in `event.data["user_id"]` (0 when none), as a usage hook listener.

    With Redis: one HINCRBY on the pending hash, drained by `usage_drain`; else (or when Redis fails)
    one upsert in the database. Returns None: the event goes on unchanged to the next listener.
    """
    organization = _organization(event.workspace)
    today = timezone.now().date()
    month, user_id = today.replace(day=1), _user_id(event)
    client = _redis()
    if client is not None:
        try:
            pending = _keys()[0]
            both = client.pipeline(transaction=True)
            both.hincrby(pending, _field(organization.pk, month, event.name), event.quantity)
            both.hincrby(pending, _day_field(organization.pk, today, event.name, user_id), event.quantity)
            both.execute()
            return
        except redis.RedisError:
            logger.warning("usage buffer unavailable; counting %s in the database", event.name, exc_info=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPSERT, [organization.pk, month, event.name, event.quantity])
        cursor.execute(_DAY_UPSERT, [organization.pk, today, event.name, user_id, event.quantity])


def usage_drain() -> int:
    """Move buffered counts into `UsageCounter` rows; returns the number of batches added.

    Safe to run concurrently and after a crash at any step (see the module docstring). A field naming an
    organisation that no longer exists is dropped with a warning rather than blocking the batch.
    """
    client = _redis()
    if client is None:
        return 0
    pending, batches, batch_prefix = _keys()
    batch_id = uuid.uuid4().hex
    client.eval(_SEAL, 3, pending, batch_prefix + batch_id, batches, batch_id)
    added = 0
    for sealed in sorted(_text(member) for member in client.smembers(batches)):
        fields = client.hgetall(batch_prefix + sealed)
        if _apply_batch(sealed, {_text(field): int(quantity) for field, quantity in fields.items()}):
            added += 1
        # Only after the commit: a crash before this line leaves the batch to be retried (and skipped).
        cleanup = client.pipeline()
        cleanup.delete(batch_prefix + sealed)
        cleanup.srem(batches, sealed)
        cleanup.execute()
    UsageBatch.objects.filter(drained_at__lt=timezone.now() - BATCH_MEMORY).delete()
    return added


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _apply_batch(batch_id: str, fields: dict[str, int]) -> bool:
    """Add one batch's counts and record its id, in one transaction; False when it was already added."""
    counts: Counter[tuple[int, date, str]] = Counter()
    days: Counter[tuple[int, date, str, int]] = Counter()
    for field, quantity in fields.items():
        if field.startswith("d|"):
            _, organization_part, day_part, event_name, user_part = field.split("|", 4)
            days[(int(organization_part), date.fromisoformat(day_part), event_name, int(user_part))] += (
                quantity
            )
            continue
        organization_part, month_part, event_name = field.split("|", 2)
        counts[(int(organization_part), date.fromisoformat(month_part), event_name)] += quantity
    organizations = {key[0] for key in counts} | {key[0] for key in days}
    known = set(Organization.objects.filter(pk__in=organizations).values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_BATCH_INSERT, [batch_id, timezone.now()])
        if cursor.rowcount == 0:
            return False
        for (organization_id, month, event), quantity in sorted(counts.items()):
            if organization_id not in known:
                logger.warning(
                    "usage of deleted organisation %s dropped: %s %s", organization_id, event, quantity
                )
                continue
            cursor.execute(_UPSERT, [organization_id, month, event, quantity])
        for (organization_id, day, event, user_id), quantity in sorted(days.items()):
            if organization_id in known:
                cursor.execute(_DAY_UPSERT, [organization_id, day, event, user_id, quantity])
    return True


def usage_pending(*, organization: Organization, event: str, month: date) -> int:
    """Counts of `event` recorded but not yet drained into the database (0 without Redis)."""
    client = _redis()
    if client is None:
        return 0
    pending, batches, batch_prefix = _keys()
    field = _field(organization.pk, month, event)
    sealed = [batch_prefix + _text(member) for member in client.smembers(batches)]
    values = [client.hget(key, field) for key in (pending, *sealed)]
    return sum(int(value) for value in values if value is not None)


def usage_limit_check(name: str, *, workspace: str, amount: int = 1) -> None:
    """Raise `LimitExceeded` when the organisation's plan has no room for `amount` more `name` (a limits hook
    implementation; see `enterprise.billing.limits.limit_check` for what is counted).

    Counts still in the buffer are included, so a plan's limit holds between drains."""
    from enterprise.billing.limits import limit_check

    limit_check(_organization(workspace), name, amount)
