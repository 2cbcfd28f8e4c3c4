# SPDX-License-Identifier: MIT
"""Turning what a person typed (the Subscribe form, or the API's JSON) into a `SubscriptionInput`.

One reading for both, so the page and the API accept and refuse the same things."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model

from chat2chart.core import hooks
from chat2chart.core.errors import ValidationFailed
from chat2chart.subscriptions.services import SubscriptionInput

_FILTERS_SHAPE = 'Filters must be a JSON object such as {"region": ["North"]}.'


def recipient_addresses(text_or_list: str | Iterable[str]) -> list[str]:
    """Addresses from "a@x.com, b@y.com" or a list, lower-cased, de-duplicated and sorted."""
    parts = text_or_list.replace(",", " ").split() if isinstance(text_or_list, str) else text_or_list
    return sorted({str(part).strip().lower() for part in parts if str(part).strip()})


def parse_filters(value: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """The dashboard filter values to send with: a mapping, or its JSON text. Raises ValidationFailed."""
    if not value:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValidationFailed(_FILTERS_SHAPE) from error
    if not isinstance(value, Mapping):
        raise ValidationFailed(_FILTERS_SHAPE)
    return dict(value)


def subscription_input(fields: Mapping[str, Any]) -> SubscriptionInput:
    """`fields` as the form posts them (title, frequency, time "HH:MM", weekdays, day_of_month, cron,
    recipients, filters, share_creator_view, slack_url, webhook_url, formats) → the service's input.

    Recipients who are active members become member ids; every other address is external (the service
    then checks the allowed domains). Raises ValidationFailed for a malformed time or filters."""
    hour, _, minute = str(fields.get("time") or "08:00").partition(":")
    if not (hour.isdigit() and minute.isdigit()):
        raise ValidationFailed("Enter the time as HH:MM.")
    if int(hour) > 23 or int(minute) > 59:
        raise ValidationFailed("Enter the time as HH:MM, from 00:00 to 23:59.")
    emails = recipient_addresses(fields.get("recipients") or "")
    users = {u.email.lower(): u for u in get_user_model().objects.filter(email__in=emails, is_active=True)}
    members = [users[e].pk for e in emails if e in users and hooks.member_role(users[e]) is not None]
    member_emails = {users[e].email.lower() for e in emails if e in users and users[e].pk in members}
    day_of_month = str(fields.get("day_of_month", ""))
    return SubscriptionInput(
        title=str(fields.get("title", "")),
        frequency=str(fields.get("frequency", "")),
        hour=int(hour),
        minute=int(minute),
        weekdays=tuple(int(day) for day in fields.get("weekdays", []) if str(day).isdigit()),
        day_of_month=int(day_of_month) if day_of_month.isdigit() else 1,
        cron=str(fields.get("cron", "") or ""),
        filters=parse_filters(fields.get("filters")),
        member_ids=tuple(members),
        external_emails=tuple(e for e in emails if e not in member_emails),
        share_creator_view=bool(fields.get("share_creator_view")),
        slack_url=str(fields.get("slack_url", "") or "").strip(),
        webhook_url=str(fields.get("webhook_url", "") or "").strip(),
        formats=tuple(fields.get("formats", [])),
    )


def subscription_fields(subscription: Any) -> dict[str, Any]:
    """An existing subscription as the form's fields (`subscription_input` reads them back): members
    become their addresses again, so an edit shows and keeps them."""
    members = get_user_model().objects.filter(pk__in=subscription.member_ids).order_by("email")
    return {
        "title": subscription.title,
        "frequency": subscription.frequency,
        "time": f"{subscription.hour:02d}:{subscription.minute:02d}",
        "weekdays": [str(day) for day in subscription.weekdays],
        "day_of_month": str(subscription.day_of_month),
        "cron": subscription.cron,
        "recipients": " ".join([m.email for m in members] + list(subscription.external_emails)),
        "filters": json.dumps(subscription.filters) if subscription.filters else "",
        "share_creator_view": subscription.share_creator_view,
        "slack_url": subscription.slack_url,
        "webhook_url": subscription.webhook_url,
        "formats": list(subscription.formats),
    }
