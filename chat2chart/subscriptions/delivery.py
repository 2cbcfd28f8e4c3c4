# SPDX-License-Identifier: MIT
"""Deliver one message to one target (email, Slack-compatible incoming webhook, signed webhook) once.

The contract shared by subscriptions and alerts: build a `Message`, name a `Target` and call
`deliver(workspace=..., target=..., message=..., idempotency_key=...)`. A `Delivery` row with a unique
key (workspace, idempotency key, target) is locked while the message goes out and marked sent in the
same transaction, so a retried task, a second worker or a worker restarted mid-run sends nothing
twice. The one window left (the receiver accepted the message, then the worker died before the
commit) is closed on the receiver's side: emails carry a Message-ID and webhooks an
`X-Aiser-Idempotency-Key` header derived from the key, the same on every try.

Webhook and Slack posts dial only addresses `chat2chart.sources.netsafety` vetted (no private
addresses unless `AISER_ALLOW_PRIVATE_WEBHOOKS`), follow no redirects and time out after
`AISER_WEBHOOK_TIMEOUT_S`. A signed webhook carries `X-Aiser-Timestamp` (Unix seconds) and
`X-Aiser-Signature: sha256=<hex HMAC-SHA256 of f"{timestamp}.{body}">`; receivers check it with
`verify_webhook` (or the same few lines in their language) and refuse a timestamp outside the window.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from typing import Any, Literal

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.db import transaction
from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, ConnectionFailed
from chat2chart.sources.connectors.rest import vetted_transport
from chat2chart.subscriptions.models import Delivery

logger = logging.getLogger(__name__)

TargetKind = Literal["email", "slack", "webhook"]
TARGET_KINDS: tuple[TargetKind, ...] = ("email", "slack", "webhook")
SIGNATURE_HEADER = "X-Aiser-Signature"
TIMESTAMP_HEADER = "X-Aiser-Timestamp"
IDEMPOTENCY_HEADER = "X-Aiser-Idempotency-Key"


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email. `inline_id` set: an image shown in the HTML as `<img src="cid:ID">`."""

    filename: str
    content: bytes
    mimetype: str
    inline_id: str | None = None


@dataclass(frozen=True)
class Message:
    """What to send. Emails use subject, text, html, attachments and unsubscribe_url; Slack uses subject,
    text and link; a generic webhook posts `payload` as its JSON body (event, title, values...)."""

    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    link: str = ""  # absolute URL of the chart or dashboard
    payload: Mapping[str, Any] = field(default_factory=dict)
    unsubscribe_url: str = ""  # absolute signed URL; emails only


@dataclass(frozen=True)
class Target:
    """Where to send: an email address, a Slack-compatible incoming webhook URL or a webhook URL
    (`secret`: the webhook's HMAC key; empty sends the webhook unsigned)."""

    kind: TargetKind
    address: str
    secret: str = ""


@dataclass(frozen=True)
class DeliveryResult:
    target: Target
    status: Literal["sent", "skipped_duplicate", "failed"]
    error: str = ""


class DeliveryFailed(AiserError):
    code = "delivery_failed"


class InvalidWebhookSignature(AiserError):
    code = "invalid_signature"
    status = 401


def deliver(*, workspace: str, target: Target, message: Message, idempotency_key: str) -> DeliveryResult:
    """Send `message` to `target` unless it was already sent for (`workspace`, `idempotency_key`, target).

    Returns "sent", "skipped_duplicate" (an earlier try sent it) or "failed" with a message a person can
    act on (the SMTP or HTTP error); a failed delivery may be tried again with the same key. Raises
    ValueError for an unknown target kind or an empty key (a programming error, not a delivery failure).
    """
    if target.kind not in TARGET_KINDS:
        raise ValueError(f"unknown target kind {target.kind!r}")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    target_hash = _target_hash(target)
    with hooks.workspace_context(workspace), transaction.atomic():
        # The row lock is held while sending: a second worker with the same key waits, then sees "sent".
        row, _created = Delivery.objects.select_for_update().get_or_create(
            workspace=workspace,
            idempotency_key=idempotency_key,
            target_hash=target_hash,
            defaults={"target_kind": target.kind, "target_address": target.address},
        )
        if row.status == Delivery.Status.SENT:
            return DeliveryResult(target=target, status="skipped_duplicate")
        row.attempts += 1
        try:
            _SENDERS[target.kind](target, message, _stable_id(workspace, idempotency_key, target_hash))
        except DeliveryFailed as error:
            row.status, row.error = Delivery.Status.FAILED, error.message
            row.save(update_fields=["status", "error", "attempts"])
            hooks.observe("delivery", channel=target.kind, outcome="failed")
            return DeliveryResult(target=target, status="failed", error=error.message)
        row.status, row.error, row.sent_at = Delivery.Status.SENT, "", timezone.now()
        row.save(update_fields=["status", "error", "attempts", "sent_at"])
    hooks.observe("delivery", channel=target.kind, outcome="sent")
    return DeliveryResult(target=target, status="sent")


def sign_webhook(body: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign `body` with `secret`: `X-Aiser-Timestamp` (Unix seconds, now unless given)
    and `X-Aiser-Signature: sha256=<hex HMAC-SHA256 of b"{timestamp}." + body>`."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: f"sha256={digest}"}


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> None:
    """Check a signed webhook as a receiver must: the signature over f"{timestamp}.{body}" matches and the
    timestamp is within `tolerance_s` seconds of `now` (default: the clock), so a captured request cannot
    be replayed later. `headers` is matched without regard to case. Returns None; raises
    InvalidWebhookSignature saying what is wrong. Receivers should also drop a repeated
    `X-Aiser-Idempotency-Key` seen within the window."""
    lowered = {name.lower(): value for name, value in headers.items()}
    stamp_text = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not stamp_text.isdigit() or not signature.startswith("sha256="):
        raise InvalidWebhookSignature("the request has no valid X-Aiser-Timestamp and X-Aiser-Signature")
    stamp = int(stamp_text)
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_s:
        raise InvalidWebhookSignature(
            f"the timestamp is more than {tolerance_s} s away: a replay or a clock skew"
        )
    raw = body.encode() if isinstance(body, str) else body
    expected = sign_webhook(raw, secret, timestamp=stamp)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature):
        raise InvalidWebhookSignature("the signature does not match the body and the secret")


def _target_hash(target: Target) -> str:
    address = target.address.strip().lower() if target.kind == "email" else target.address.strip()
    return hashlib.sha256(f"{target.kind}\n{address}".encode()).hexdigest()


def _stable_id(workspace: str, idempotency_key: str, target_hash: str) -> str:
    # The same on every try of one delivery, different for every other: receivers can drop repeats.
    return hashlib.sha256(f"{workspace}\n{idempotency_key}\n{target_hash}".encode()).hexdigest()[:40]


class _ReportEmail(EmailMultiAlternatives):
    """An email whose inline images sit with the HTML in multipart/related (as mail clients expect:
    mixed[related[alternative[text, html], images...], files...])."""

    def __init__(self, *args: Any, inline_images: list[MIMEBase], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inline_images = inline_images

    def _create_alternatives(self, msg: Any) -> Any:
        msg = super()._create_alternatives(msg)  # type: ignore[misc]  # Django's MIME assembly step
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(msg)
        for image in self.inline_images:
            related.attach(image)
        return related


def _send_email(target: Target, message: Message, stable_id: str) -> None:
    headers = {"Message-ID": f"<{stable_id}@{settings.AISER_BASE_DOMAIN}>"}
    if message.unsubscribe_url:
        # RFC 8058: mail clients show an unsubscribe button that POSTs to the URL, with no page between.
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    inline: list[MIMEBase] = []
    for attachment in message.attachments:
        if attachment.inline_id and attachment.mimetype.startswith("image/"):
            image = MIMEImage(attachment.content, _subtype=attachment.mimetype.split("/", 1)[1])
            image.add_header("Content-ID", f"<{attachment.inline_id}>")
            image.add_header("Content-Disposition", "inline", filename=attachment.filename)
            inline.append(image)
    email = _ReportEmail(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[target.address],
        headers=headers,
        inline_images=inline,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments:
        if not (attachment.inline_id and attachment.mimetype.startswith("image/")):
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
    try:
        email.send(fail_silently=False)
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
        raise DeliveryFailed(f"the mail server refused the message: {error}") from error


def _send_slack(target: Target, message: Message, stable_id: str) -> None:
    text = f"*{message.subject}*\n{message.text}".strip()
    if message.link:
        text += f"\n<{message.link}|Open in Aiser>"
    _post(target.address, _json_body({"text": text}), {IDEMPOTENCY_HEADER: stable_id})


def _send_webhook(target: Target, message: Message, stable_id: str) -> None:
    body = _json_body(message.payload)
    headers = {IDEMPOTENCY_HEADER: stable_id}
    if target.secret:
        headers |= sign_webhook(body, target.secret)
    _post(target.address, body, headers)


def _json_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    if not url.startswith(("https://", "http://")):
        raise DeliveryFailed("the webhook address must start with https://")
    transport = vetted_transport(allow_private=settings.AISER_ALLOW_PRIVATE_WEBHOOKS)
    # trust_env=False: a proxy from the environment would dial hosts netsafety never saw.
    with httpx.Client(transport=transport, trust_env=False, follow_redirects=False) as client:
        try:
            response = client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": "Aiser-Webhook/1", **headers},
                timeout=settings.AISER_WEBHOOK_TIMEOUT_S,
            )
        except ConnectionFailed as error:
            raise DeliveryFailed(f"the webhook address was refused: {error.message}") from error
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"the webhook could not be reached: {error}") from error
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"the webhook answered HTTP {response.status_code}")


_SENDERS = {"email": _send_email, "slack": _send_slack, "webhook": _send_webhook}
