# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Reads of the audit trail: filtered entries, and their CSV and JSON Lines exports (streamed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from django.db.models import Q, QuerySet

from chat2chart.core.errors import ValidationFailed
from enterprise.audit.models import AuditEntry
from enterprise.audit.webhook import entry_payload

CSV_COLUMNS = (
    "id",
    "created_at",
    "actor",
    "actor_id",
    "api_key_id",
    "action",
    "target_type",
    "target_id",
    "changes",
    "data",
    "ip",
    "user_agent",
    "request_id",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    """What to show: `person` matches the actor's email (or "system"), `action` an action or its prefix
    ("source" or "source.create"), `target_type`/`target_id` the object, `since`/`until` whole days (UTC,
    both included)."""

    person: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query: Any) -> AuditFilter:
        """From a request's GET parameters; raises `ValidationFailed` for a date that is not YYYY-MM-DD."""
        return cls(
            person=str(query.get("person", "")).strip()[:320],
            action=str(query.get("action", "")).strip()[:64],
            target_type=str(query.get("target_type", "")).strip()[:64],
            target_id=str(query.get("target_id", "")).strip()[:64],
            since=_day(query.get("since")),
            until=_day(query.get("until")),
        )


def _day(raw: Any) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed(f"Dates are YYYY-MM-DD; got {str(raw)[:20]!r}.") from None


def audit_entries(criteria: AuditFilter) -> QuerySet[AuditEntry]:
    """The entries of the organisation in scope matching `criteria`, newest first."""
    entries = AuditEntry.objects.all()
    if criteria.person:
        entries = entries.filter(actor_label__icontains=criteria.person)
    if criteria.action:
        entries = entries.filter(Q(action=criteria.action) | Q(action__startswith=f"{criteria.action}."))
    if criteria.target_type:
        entries = entries.filter(target_type=criteria.target_type)
    if criteria.target_id:
        entries = entries.filter(target_id=criteria.target_id)
    if criteria.since:
        entries = entries.filter(created_at__gte=_start_of(criteria.since))
    if criteria.until:
        entries = entries.filter(created_at__lt=_start_of(criteria.until + timedelta(days=1)))
    return entries.order_by("-created_at", "-pk")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def escape_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: values starting like a formula get a leading `'`."""
    text = "" if value is None else value if isinstance(value, str) else orjson.dumps(value).decode()
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def export_csv(entries: QuerySet[AuditEntry], workspace: str) -> Iterator[str]:
    """CSV lines (header first) of `entries`, formula cells escaped; read in chunks, never all at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=1000):
        payload = entry_payload(entry, workspace)
        payload["actor"] = entry.actor_label
        writer.writerow([escape_cell(payload[column]) for column in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_jsonl(entries: QuerySet[AuditEntry], workspace: str) -> Iterator[bytes]:
    """One JSON object per line for each of `entries` (the webhook's payload)."""
    for entry in entries.iterator(chunk_size=1000):
        yield orjson.dumps(entry_payload(entry, workspace)) + b"\n"
