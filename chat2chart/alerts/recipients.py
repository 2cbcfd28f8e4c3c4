# SPDX-License-Identifier: MIT
"""Who an alert may tell: members who may see the chart, addresses at the organisation's allowed email
domains, and Slack or webhook URLs. An alert never tells a member a number they may not see: before each
notification a member's own view of the chart is evaluated and compared with the owner's."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from chat2chart.alerts import policy
from chat2chart.alerts.evaluation import Rule, Verdict, evaluate
from chat2chart.alerts.models import Alert, AlertRecipient
from chat2chart.alerts.series import chart_series
from chat2chart.charts.models import SavedChart
from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import encrypt_secret
from chat2chart.subscriptions.services import subscription_settings

MAX_RECIPIENTS = 20


def allowed_email_domains() -> frozenset[str]:
    """The organisation's allowed domains for outside addresses: the one setting subscriptions and alerts
    share (Subscriptions page, `subscription_settings_update`); empty: members only."""
    return frozenset(domain.lower() for domain in subscription_settings().allowed_domains)


def _https_url(url: str, field: str) -> str:
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise ValidationFailed(f"{field}: “{url}” is not a web address (https://…).") from None
    return url


def resolve(
    *,
    principal: Principal,
    chart: SavedChart,
    notify_me: bool,
    emails: Sequence[str],
    slack_url: str,
    webhook_url: str,
    webhook_secret: str,
) -> list[AlertRecipient]:
    """Unsaved recipients from the form's fields. An email address of a member becomes that member (who must
    be allowed to see the chart); any other address must be at one of the organisation's allowed domains.
    Raises ValidationFailed naming the address and the reason, or when there is nobody to tell."""
    found: list[AlertRecipient] = []
    me = get_user_model().objects.filter(pk=principal.user_id).first() if principal.user_id else None
    if notify_me and me is not None:
        found.append(AlertRecipient(kind="member", user=me, address=me.email))
    users = get_user_model().objects
    domains = allowed_email_domains()
    for raw in emails:
        address = raw.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationFailed(f"recipients: “{address}” is not an email address.") from None
        user = users.filter(email__iexact=address, is_active=True).first()
        if user is not None and hooks.member_role(user) is not None:
            if not policy.can_receive_alert(Principal.for_user(user), chart):
                raise ValidationFailed(f"recipients: {address} may not see this chart.")
            if all(r.user_id != user.pk for r in found):
                found.append(AlertRecipient(kind="member", user=user, address=user.email))
            continue
        domain = address.rsplit("@", 1)[-1].lower()
        if domain not in domains:
            allowed = ", ".join(sorted(domains)) or "none set"
            raise ValidationFailed(
                f"recipients: {address} is not a member, and only members and addresses at the "
                f"organisation's allowed domains ({allowed}) may receive alerts."
            )
        found.append(AlertRecipient(kind="email", address=address.lower()))
    if slack_url.strip():
        found.append(AlertRecipient(kind="slack", address=_https_url(slack_url.strip(), "slack_url")))
    if webhook_url.strip():
        secret = encrypt_secret({"secret": webhook_secret}) if webhook_secret else None
        found.append(
            AlertRecipient(
                kind="webhook", address=_https_url(webhook_url.strip(), "webhook_url"), secret=secret
            )
        )
    if not found:
        raise ValidationFailed("recipients: add at least one recipient (yourself, an address or a webhook).")
    if len(found) > MAX_RECIPIENTS:
        raise ValidationFailed(f"recipients: at most {MAX_RECIPIENTS} per alert.")
    return found


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def withheld_reason(alert: Alert, recipient: AlertRecipient, verdict: Verdict) -> str:
    """Why `recipient` must not receive this notification, or "" to send it. A member other than the owner
    is evaluated with their own permissions (row access included): when they may no longer see the chart,
    or their view gives another value or another verdict, the notice is withheld."""
    if recipient.kind != AlertRecipient.Kind.MEMBER or recipient.user_id == alert.owner_id:
        return ""
    user = (
        get_user_model().objects.filter(pk=recipient.user_id, is_active=True).first()
        if recipient.user_id
        else None
    )
    member = Principal.for_user(user)
    if user is None or member.role is None or not policy.can_receive_alert(member, alert.chart):
        return "The recipient may no longer see this chart."
    rule = Rule(condition=alert.condition, threshold=alert.threshold, sensitivity=alert.sensitivity)  # type: ignore[arg-type]
    try:
        measure, points = chart_series(query_json=alert.chart.query, principal=member)
    except AiserError as error:
        return f"The recipient's view of the chart could not be read: {error.message}"
    theirs = evaluate(rule, points, measure=measure.measure)
    if theirs.status != verdict.status or not _same(theirs.value, verdict.value):
        return "The recipient sees different numbers on this chart (row access), so they were not told these."
    return ""
