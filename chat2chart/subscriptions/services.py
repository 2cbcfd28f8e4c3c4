# SPDX-License-Identifier: MIT
"""Subscriptions: create, unsubscribe, schedule the due runs and send a run.

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
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
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
from chat2chart.subscriptions.delivery import Attachment, Message, Target, deliver
from chat2chart.subscriptions.models import Subscription, SubscriptionRun, SubscriptionSettings
from chat2chart.subscriptions.render import RenderFailed, render_pictures, report_data
from chat2chart.workspaces.selectors import workspace_settings

logger = logging.getLogger(__name__)

FORMATS = ("png", "pdf", "csv")
UNSUBSCRIBE_SALT = "aiser.subscriptions.unsubscribe"
# Failed renders are tried again after these delays, then reported to the owner.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30))
# A run still "pending" this long after its last change lost its worker (a restart): queue it again.
STALE_AFTER = timedelta(minutes=15)


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
    hooks.check_limit("subscriptions")
    subscription = Subscription(
        title=title,
        dashboard=dashboard,
        chart=chart,
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
        webhook_secret=secrets.token_urlsafe(32) if data.webhook_url else "",
        formats=list(formats),
        owner_id=principal.user_id,
    )
    subscription.next_run_at = schedules.next_run(sched, now or timezone.now(), workspace_zone())
    with transaction.atomic():  # the change and its audit entry commit together
        subscription.save()
        hooks.record_audit(
            action="subscription.create",
            actor=principal,
            target_type="subscription",
            target_id=subscription.pk,
            data={"recipients": len(members) + len(externals), "frequency": sched.frequency},
        )
    return subscription


def subscription_delete(*, principal: Principal, subscription: Subscription) -> None:
    """Delete a subscription (its owner, or anyone with the MANAGE right)."""
    if subscription.owner_id != principal.user_id and not hooks.can(principal, hooks.MANAGE):
        raise Forbidden("Only the subscription's owner or an administrator may delete it.")
    with transaction.atomic():  # the change and its audit entry commit together
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


# --- scheduling ---------------------------------------------------------------


def subscriptions_schedule_due(*, now: datetime | None = None) -> list[int]:
    """Make the runs that are due in the workspace in scope and return the ids to send.

    Each subscription due by `now` gets a run per missed instant (at most AISER_SUBSCRIPTION_BACKLOG_MAX,
    or the latest only when AISER_SUBSCRIPTION_BACKLOG is "latest") and its next instant after `now`.
    Runs already made are never made again (unique per instant); pending runs whose worker went away
    (no change for STALE_AFTER) and failed renders whose retry time came are returned again."""
    now = now or timezone.now()
    zone = workspace_zone()
    limit = 1 if settings.AISER_SUBSCRIPTION_BACKLOG == "latest" else settings.AISER_SUBSCRIPTION_BACKLOG_MAX
    run_ids: list[int] = []
    with transaction.atomic():
        due = Subscription.objects.select_for_update(skip_locked=True).filter(
            active=True, next_run_at__lte=now
        )
        for subscription in due:
            sched = schedule_of(subscription)
            assert subscription.next_run_at is not None
            first = subscription.next_run_at
            instants = [first, *schedules.runs_between(sched, first, now, zone, limit=limit)][-limit:]
            for instant in instants:
                run, created = SubscriptionRun.objects.get_or_create(
                    subscription=subscription, scheduled_for=instant
                )
                if created:
                    run_ids.append(run.pk)
            subscription.next_run_at = schedules.next_run(sched, now, zone)
            subscription.save(update_fields=["next_run_at"])
    waiting = SubscriptionRun.objects.filter(status=SubscriptionRun.Status.PENDING).exclude(pk__in=run_ids)
    run_ids += list(waiting.filter(retry_at__lte=now).values_list("pk", flat=True))
    run_ids += list(
        waiting.filter(retry_at__isnull=True, updated_at__lte=now - STALE_AFTER).values_list("pk", flat=True)
    )
    return run_ids


# --- sending a run ---------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    address: str
    principal: Principal
    shared_view: bool


def subscription_run_send(*, run_id: int, now: datetime | None = None) -> str:
    """Send one run to every recipient who has not had it; returns the run's status.

    Each recipient's report is drawn with their own principal (external addresses: the creator's, when
    the creator allowed it). A render that fails is tried again later (RETRY_DELAYS); after the last try
    the owner gets an email saying why, and nobody gets a blank report. Webhook and Slack posts carry
    the owner's view."""
    now = now or timezone.now()
    with transaction.atomic():
        run = (
            SubscriptionRun.objects.select_for_update()
            .select_related("subscription")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status != SubscriptionRun.Status.PENDING:
            return run.status if run else "missing"
        run.attempts += 1
        run.retry_at = None
        run.save(update_fields=["attempts", "retry_at", "updated_at"])
    subscription = run.subscription
    workspace = hooks.current_workspace()
    owner = (
        get_user_model().objects.filter(pk=subscription.owner_id, is_active=True).first()
        if subscription.owner_id is not None
        else None
    )
    if owner is None:
        return _finish(run, SubscriptionRun.Status.FAILED, "The subscription's owner is no longer active.")
    owner_principal = Principal.for_user(owner)
    outcomes: list[str] = []
    errors: list[str] = []
    try:
        for recipient in _recipients(subscription, owner_principal):
            try:
                result = _send_email(run, subscription, recipient, owner, workspace)
            except RenderFailed as error:
                if error.code != "no_access":
                    raise
                # A member who lost access gets nothing; the others still get theirs.
                outcomes.append("failed")
                errors.append(f"{recipient.address}: {error.message}")
                continue
            outcomes.append(result.status)
            if result.error:
                errors.append(f"{recipient.address}: {result.error}")
            # Alive: a long run (many recipients) is not taken for one whose worker died (STALE_AFTER).
            SubscriptionRun.objects.filter(pk=run.pk).update(updated_at=timezone.now())
        for target in _hooks_targets(subscription):
            result = _send_hook(run, subscription, target, owner_principal, workspace)
            outcomes.append(result.status)
            if result.error:
                errors.append(f"{target.kind}: {result.error}")
    except RenderFailed as error:
        return _render_failed(run, subscription, owner, workspace, error, now)
    if any(outcome == "failed" for outcome in outcomes):
        status = SubscriptionRun.Status.PARTIAL if "sent" in outcomes else SubscriptionRun.Status.FAILED
        return _finish(run, status, "\n".join(errors))
    return _finish(run, SubscriptionRun.Status.SENT, "")


def _recipients(subscription: Subscription, owner_principal: Principal) -> list[_Recipient]:
    skipped = set(subscription.unsubscribed)
    users = get_user_model().objects.filter(pk__in=subscription.member_ids, is_active=True).order_by("pk")
    recipients = [
        _Recipient(address=user.email, principal=Principal.for_user(user), shared_view=False)
        for user in users
        if user.email.lower() not in skipped and hooks.member_role(user) is not None
    ]
    if subscription.share_creator_view:
        allowed = set(subscription_settings().allowed_domains)
        recipients += [
            _Recipient(address=email, principal=owner_principal, shared_view=True)
            for email in subscription.external_emails
            if email.lower() not in skipped and email.rsplit("@", 1)[-1].lower() in allowed
        ]
    return recipients


def _hooks_targets(subscription: Subscription) -> list[Target]:
    targets = []
    if subscription.slack_url:
        targets.append(Target(kind="slack", address=subscription.slack_url))
    if subscription.webhook_url:
        targets.append(
            Target(kind="webhook", address=subscription.webhook_url, secret=subscription.webhook_secret)
        )
    return targets


def _send_email(
    run: SubscriptionRun, subscription: Subscription, recipient: _Recipient, owner: Any, workspace: str
) -> Any:
    report = report_data(subscription, recipient.principal)
    formats = set(subscription.formats)
    if formats & {"png", "pdf"}:
        report = render_pictures(report, pdf="pdf" in formats)
    base = _base_url(recipient.principal)
    unsubscribe = base + reverse(
        "subscription-unsubscribe",
        args=[
            unsubscribe_token(workspace=workspace, subscription_id=subscription.pk, address=recipient.address)
        ],
    )
    attachments: list[Attachment] = []
    if "png" in formats:
        attachments += [
            Attachment(f"{_slug(w.title)}.png", w.png, "image/png", inline_id=f"chart-{w.key}")
            for w in report.widgets
            if w.png
        ]
    if "pdf" in formats and report.pdf:
        attachments.append(Attachment(f"{_slug(report.title)}.pdf", report.pdf, "application/pdf"))
    if "csv" in formats:
        attachments += [
            Attachment(f"{_slug(w.title)}.csv", w.csv, "text/csv") for w in report.widgets if w.columns
        ]
    context = {
        "report": report,
        "title": subscription.title,
        "schedule": schedules.describe(schedule_of(subscription)),
        "scheduled_for": timezone.localtime(run.scheduled_for, workspace_zone()).strftime(
            "%Y-%m-%d %H:%M %Z"
        ),
        "filters": _describe_filters(subscription.filters),
        "shared_view": recipient.shared_view,
        "owner": owner.email,
        "link": base + _object_path(subscription),
        "unsubscribe_url": unsubscribe,
        "with_png": "png" in formats,
        "with_csv": "csv" in formats,
    }
    text = "\n".join(
        [
            report.title,
            f"{context['schedule']} · {context['scheduled_for']}",
            *(
                ["You receive " + owner.email + "'s view of this report, shared by them."]
                if recipient.shared_view
                else []
            ),
            *(f"- {w.title}" for w in report.widgets),
            f"Open in Aiser: {context['link']}",
            f"Unsubscribe: {unsubscribe}",
        ]
    )
    message = Message(
        subject=subscription.title,
        text=text,
        html=render_to_string("subscriptions/email.html", context),
        attachments=tuple(attachments),
        link=context["link"],
        unsubscribe_url=unsubscribe,
    )
    return deliver(
        workspace=workspace,
        target=Target(kind="email", address=recipient.address),
        message=message,
        idempotency_key=run.idempotency_key,
    )


def _send_hook(
    run: SubscriptionRun, subscription: Subscription, target: Target, owner: Principal, workspace: str
) -> Any:
    report = report_data(subscription, owner)
    link = _base_url(owner) + _object_path(subscription)
    payload = {
        "event": "subscription.report",
        "subscription_id": subscription.pk,
        "title": subscription.title,
        "scheduled_for": run.scheduled_for.isoformat(),
        "link": link,
        "charts": [
            {"title": w.title, "columns": list(w.columns), "rows": [list(r) for r in w.rows[:100]]}
            for w in report.widgets
            if w.columns
        ],
    }
    text = "\n".join(f"• {w.title}: {len(w.rows)} rows" for w in report.widgets if w.columns)
    message = Message(subject=subscription.title, text=text, html="", link=link, payload=payload)
    return deliver(workspace=workspace, target=target, message=message, idempotency_key=run.idempotency_key)


def _render_failed(
    run: SubscriptionRun,
    subscription: Subscription,
    owner: Any,
    workspace: str,
    error: RenderFailed,
    now: datetime,
) -> str:
    if run.attempts <= len(RETRY_DELAYS):
        run.retry_at = now + RETRY_DELAYS[run.attempts - 1]
        run.error = error.message
        run.save(update_fields=["retry_at", "error", "updated_at"])
        return run.status
    notice = Message(
        subject=f"Your subscription “{subscription.title}” could not be sent",
        text=(
            f"The report due {run.scheduled_for:%Y-%m-%d %H:%M} UTC was not sent, to avoid"
            f" sending an empty or broken report, after {run.attempts} tries.\nReason: {error.message}\n"
            f"{_base_url(Principal.for_user(owner))}{reverse('subscription-list')}"
        ),
        html="",
    )
    deliver(
        workspace=workspace,
        target=Target(kind="email", address=owner.email),
        message=notice,
        idempotency_key=run.idempotency_key + ":failure",
    )
    return _finish(run, SubscriptionRun.Status.FAILED, f"Not sent, owner told: {error.message}")


def _finish(run: SubscriptionRun, status: str, error: str) -> str:
    run.status, run.error = status, error
    run.save(update_fields=["status", "error", "updated_at"])
    return status


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


def _base_url(principal: Principal) -> str:
    return str(hooks.workspace_info(principal).get("url") or settings.AISER_PUBLIC_URL)


def _object_path(subscription: Subscription) -> str:
    if subscription.dashboard_id is not None:
        return reverse("dashboard-view", args=[subscription.dashboard_id])
    return reverse("chart_detail", args=[subscription.chart_id])


def _describe_filters(filters: Mapping[str, Any]) -> str:
    return "; ".join(f"{name} = {value}" for name, value in (filters or {}).items())


def _slug(title: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")
    return "-".join(part for part in cleaned.split("-") if part)[:60] or "report"


def _json(value: Any) -> str:
    return json.dumps(value)
