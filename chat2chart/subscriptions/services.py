# SPDX-License-Identifier: MIT
"""Subscriptions: create, change, delete and unsubscribe; the organisation's allowed domains.
Making and sending the runs is `runs.py`.

A run is one scheduled instant of one subscription (`SubscriptionRun`, unique per instant): the
scheduler makes it once and queues it; the worker sends it to each recipient through `delivery.deliver`
with the run's idempotency key, so a task delivered twice, retried or restarted mid-run sends each
recipient the report once. After downtime the scheduler makes at most `AISER_SUBSCRIPTION_BACKLOG_MAX`
missed runs, or only the latest when `AISER_SUBSCRIPTION_BACKLOG` is "latest".
"""

from __future__ import annotations

import json
import logging
import secrets
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from chat2chart.charts import policy as chart_policy
from chat2chart.charts.models import SavedChart
from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.dashboards import policy as dashboard_policy
from chat2chart.dashboards.filters import parse_definitions, parse_picked
from chat2chart.dashboards.models import Dashboard
from chat2chart.subscriptions import schedule as schedules
from chat2chart.subscriptions.models import Subscription, SubscriptionSettings
from chat2chart.workspaces.selectors import workspace_settings

logger = logging.getLogger(__name__)

FORMATS = ("png", "pdf", "csv")
UNSUBSCRIBE_SALT = "aiser.subscriptions.unsubscribe"


@dataclass(frozen=True)
class SubscriptionInput:
    """What a person chooses in the Subscribe form (see `subscription_create`)."""

    title: str
    frequency: str
    hour: int = 8
    minute: int = 0
    weekdays: tuple[int, ...] = ()
    day_of_month: int = 1
    cron: str = ""
    filters: Mapping[str, Any] | None = None
    member_ids: tuple[int, ...] = ()
    external_emails: tuple[str, ...] = ()
    share_creator_view: bool = False
    slack_url: str = ""
    webhook_url: str = ""
    formats: tuple[str, ...] = FORMATS


# --- settings of the organisation ---------------------------------------------------------------


def subscription_settings() -> SubscriptionSettings:
    settings_row, _ = SubscriptionSettings.objects.get_or_create(pk=1)
    return settings_row


def subscription_settings_update(
    *, principal: Principal, allowed_domains: Sequence[str]
) -> SubscriptionSettings:
    """Set the domains external recipients may be at (lower-cased, "example.com"); managers only."""
    if not hooks.can(principal, hooks.MANAGE):
        raise Forbidden("Only administrators may change who subscriptions can be sent to.")
    domains = sorted({d.strip().lower().lstrip("@") for d in allowed_domains if d.strip()})
    for domain in domains:
        if "." not in domain or not all(part.isascii() and part for part in domain.split(".")):
            raise ValidationFailed(f"{domain!r} is not a domain; write it as example.com.")
    with transaction.atomic():  # the change and its audit entry commit together
        row = subscription_settings()
        before = list(row.allowed_domains or [])
        row.allowed_domains = domains
        row.save(update_fields=["allowed_domains", "updated_at"])
        hooks.record_audit(
            action="subscription_settings.update",
            actor=principal,
            target_type="subscription_settings",
            target_id=row.pk,
            data={
                "allowed_domains": domains,
                "changes": hooks.audit_changes({"allowed_domains": before}, {"allowed_domains": domains}),
            },
        )
    return row


# --- create, delete, unsubscribe ------------------------------------------------------------------------


def subscription_create(
    *,
    principal: Principal,
    data: SubscriptionInput,
    dashboard: Dashboard | None = None,
    chart: SavedChart | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Subscribe recipients to `dashboard` or `chart` on a schedule; returns the saved subscription.

    The creator must see the object; sending to anyone but themselves needs the EDIT right. Members must
    belong to the workspace; external addresses must be at an allowed domain and need
    `share_creator_view` (they receive the creator's view). Raises ValidationFailed, Forbidden or
    LimitExceeded (the plan's number of subscriptions, through `hooks.check_limit("subscriptions")`)."""
    if (dashboard is None) == (chart is None):
        raise ValidationFailed("Choose a dashboard or a chart to send.")
    if dashboard is not None and not dashboard_policy.can_view_dashboard(principal, dashboard):
        raise NotFound("Dashboard not found.")
    if chart is not None and not chart_policy.can_view_chart(principal, chart):
        raise NotFound("Chart not found.")
    fields = _checked_fields(principal=principal, data=data, dashboard=dashboard, chart=chart)
    hooks.check_limit("subscriptions")
    subscription = Subscription(
        dashboard=dashboard,
        chart=chart,
        webhook_secret=secrets.token_urlsafe(32) if data.webhook_url else "",
        owner_id=principal.user_id,
        **fields,
    )
    sched = schedule_of(subscription)
    subscription.next_run_at = schedules.next_run(sched, now or timezone.now(), workspace_zone())
    with transaction.atomic():
        subscription.save()
        hooks.record_audit(
            action="subscription.create",
            actor=principal,
            target_type="subscription",
            target_id=subscription.pk,
            data={
                "recipients": len(subscription.member_ids) + len(subscription.external_emails),
                "frequency": sched.frequency,
            },
        )
    return subscription


def subscription_update(
    *, principal: Principal, subscription: Subscription, data: SubscriptionInput, now: datetime | None = None
) -> Subscription:
    """Change a subscription's title, schedule, recipients, filters, formats or channels (its owner, or
    anyone with the MANAGE right), checked exactly as `subscription_create` checks a new one. The next
    run is recomputed from the new schedule; a new webhook address gets a new signing secret. The audit
    entry records the fields before and after, in the change's transaction."""
    if subscription.owner_id != principal.user_id and not hooks.can(principal, hooks.MANAGE):
        raise Forbidden("Only the subscription's owner or an administrator may change it.")
    owner = principal if subscription.owner_id == principal.user_id else _owner_principal(subscription)
    fields = _checked_fields(
        principal=owner, data=data, dashboard=subscription.dashboard, chart=subscription.chart
    )
    before = {name: getattr(subscription, name) for name in fields}
    if fields["webhook_url"] != subscription.webhook_url:
        subscription.webhook_secret = secrets.token_urlsafe(32) if fields["webhook_url"] else ""
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.next_run_at = schedules.next_run(
        schedule_of(subscription), now or timezone.now(), workspace_zone()
    )
    changes = hooks.audit_changes(before, fields)
    for secret_field in ("slack_url", "webhook_url"):  # their paths hold tokens: say only that they changed
        if secret_field in changes:
            changes[secret_field] = ["(changed)", "(changed)"]
    with transaction.atomic():
        subscription.save()
        hooks.record_audit(
            action="subscription.update",
            actor=principal,
            target_type="subscription",
            target_id=subscription.pk,
            data={"changes": changes},
        )
    return subscription


def _checked_fields(
    *, principal: Principal, data: SubscriptionInput, dashboard: Dashboard | None, chart: SavedChart | None
) -> dict[str, Any]:
    """The model fields of `data` for a subscription to `dashboard` or `chart`, after every check a
    subscription's contents must pass (see `subscription_create`). Raises ValidationFailed, Forbidden
    or NotFound."""
    sched = _schedule_of(data)
    title = data.title.strip()[:200] or (dashboard.title if dashboard else chart.title if chart else "")
    formats = tuple(dict.fromkeys(data.formats))
    if not formats or not set(formats) <= set(FORMATS):
        raise ValidationFailed("Choose at least one format: png, pdf or csv.")
    members = _members(data.member_ids)
    externals = _externals(data.external_emails, data.share_creator_view)
    # Plain http only where private webhooks are allowed (development, tests' local receivers): a report's
    # numbers never travel unencrypted to a production address.
    schemes = ("https://", "http://") if settings.AISER_ALLOW_PRIVATE_WEBHOOKS else ("https://",)
    for url, what in ((data.slack_url, "Slack"), (data.webhook_url, "webhook")):
        if url and not url.startswith(schemes):
            raise ValidationFailed(f"The {what} address must start with https://.")
    if not (members or externals or data.slack_url or data.webhook_url):
        raise ValidationFailed("Add at least one recipient, a Slack webhook or a webhook.")
    only_self = members == [principal.user_id] and not (externals or data.slack_url or data.webhook_url)
    if not only_self and not hooks.can(principal, hooks.EDIT):
        raise Forbidden("Viewers may subscribe only themselves.")
    if dashboard is not None:
        parse_picked({"filters": _json(data.filters or {})}, parse_definitions(dashboard.filters))
    elif data.filters:
        # A chart is sent as saved (render.py applies no filter values to it): refused rather than an email
        # that names filters its numbers do not have.
        raise ValidationFailed(
            "Filter values apply to dashboard subscriptions only; a chart is sent as saved."
        )
    return dict(
        title=title,
        frequency=sched.frequency,
        hour=sched.hour,
        minute=sched.minute,
        weekdays=list(sched.weekdays),
        day_of_month=sched.day_of_month,
        cron=sched.cron,
        filters=dict(data.filters or {}),
        member_ids=members,
        external_emails=externals,
        share_creator_view=data.share_creator_view,
        slack_url=data.slack_url,
        webhook_url=data.webhook_url,
        formats=list(formats),
    )


def _owner_principal(subscription: Subscription) -> Principal:
    """The owner as a principal: an administrator's edit is checked against what the owner may send."""
    owner = (
        get_user_model().objects.filter(pk=subscription.owner_id).first() if subscription.owner_id else None
    )
    if owner is None:
        raise ValidationFailed("This subscription's owner has left; delete it and subscribe again.")
    return Principal.for_user(owner)


def subscription_delete(*, principal: Principal, subscription: Subscription) -> None:
    """Delete a subscription (its owner, or anyone with the MANAGE right)."""
    if subscription.owner_id != principal.user_id and not hooks.can(principal, hooks.MANAGE):
        raise Forbidden("Only the subscription's owner or an administrator may delete it.")
    with transaction.atomic():
        hooks.record_audit(
            action="subscription.delete",
            actor=principal,
            target_type="subscription",
            target_id=subscription.pk,
        )
        subscription.delete()


def unsubscribe_token(*, workspace: str, subscription_id: int, address: str) -> str:
    """A signed token that stops `address` receiving the subscription (no expiry: old emails still work)."""
    return signing.dumps(
        {"w": workspace, "s": subscription_id, "a": address.lower()}, salt=UNSUBSCRIBE_SALT, compress=True
    )


def subscription_unsubscribe(*, token: str) -> Subscription:
    """Stop the address in `token` receiving its subscription; idempotent. Raises NotFound for a bad
    token, one of another workspace, or a subscription deleted since."""
    try:
        claims = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as error:
        raise NotFound("This unsubscribe link is not valid.") from error
    if claims.get("w") != hooks.current_workspace():
        raise NotFound("This unsubscribe link is not valid.")
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=claims.get("s")).first()
        if subscription is None:
            raise NotFound("This subscription no longer exists.")
        address = str(claims.get("a", ""))
        if address not in subscription.unsubscribed:
            subscription.unsubscribed = [*subscription.unsubscribed, address]
            subscription.save(update_fields=["unsubscribed"])
    return subscription


# --- helpers ---------------------------------------------------------------


def _schedule_of(data: SubscriptionInput) -> schedules.Schedule:
    sched = schedules.Schedule(
        frequency=data.frequency,
        hour=int(data.hour),
        minute=int(data.minute),
        weekdays=tuple(sorted({int(day) for day in data.weekdays})),
        day_of_month=int(data.day_of_month),
        cron=data.cron.strip(),
    )
    try:
        schedules.validate(sched)
        if sched.frequency == "cron":
            schedules.next_run(sched, timezone.now(), workspace_zone())
    except schedules.ScheduleError as error:
        raise ValidationFailed(str(error)) from error
    return sched


def schedule_of(subscription: Subscription) -> schedules.Schedule:
    """The subscription's schedule as the pure `schedule` module takes it."""
    return schedules.Schedule(
        frequency=subscription.frequency,
        hour=subscription.hour,
        minute=subscription.minute,
        weekdays=tuple(subscription.weekdays),
        day_of_month=subscription.day_of_month,
        cron=subscription.cron,
    )


def workspace_zone() -> zoneinfo.ZoneInfo:
    """The organisation's time zone (its workspace setting), UTC when the name is unknown."""
    name = str(workspace_settings().timezone or settings.AISER_DEFAULT_TIMEZONE)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _members(member_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(pk) for pk in member_ids})
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=ids, is_active=True)}
    for pk in ids:
        if pk not in users or hooks.member_role(users[pk]) is None:
            raise ValidationFailed("Every recipient chosen from the list must be a member of this workspace.")
    return ids


def _externals(emails: Sequence[str], share_creator_view: bool) -> list[str]:
    cleaned = sorted({e.strip().lower() for e in emails if e.strip()})
    if not cleaned:
        return []
    allowed = set(subscription_settings().allowed_domains)
    for email in cleaned:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationFailed(f"{email!r} is not an email address.") from error
        if email.rsplit("@", 1)[1] not in allowed:
            raise ValidationFailed(
                f"{email} is outside the domains this organisation allows"
                f" ({', '.join(sorted(allowed)) or 'none yet; an administrator sets them'})."
            )
    if not share_creator_view:
        raise ValidationFailed(
            "External addresses receive your view of the data; tick “Share my view” to send to them."
        )
    return cleaned


def _json(value: Any) -> str:
    return json.dumps(value)
