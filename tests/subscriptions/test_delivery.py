# SPDX-License-Identifier: MIT
"""The delivery contract: each channel sends once per (workspace, key, target), signs webhooks, refuses
private addresses when told to, and records failures so a retry can send."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from chat2chart.subscriptions.delivery import (
    Attachment,
    InvalidWebhookSignature,
    Message,
    Target,
    deliver,
    verify_webhook,
)
from chat2chart.subscriptions.models import Delivery

PNG = bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 32  # only the mail structure is checked here

MESSAGE = Message(
    subject="Weekly sales",
    text="Revenue: 1,200",
    html='<p>Revenue: 1,200</p><img src="cid:chart-1" alt="Revenue">',
    attachments=(
        Attachment("revenue.png", PNG, "image/png", inline_id="chart-1"),
        Attachment("dashboard.pdf", b"%PDF-1.4 test", "application/pdf"),
        Attachment("revenue.csv", b"month,revenue\n2026-01,1200\n", "text/csv"),
    ),
    link="http://alpha.localhost:8000/dashboards/1/",
    payload={"event": "subscription.sent", "title": "Weekly sales", "values": {"revenue": 1200}},
    unsubscribe_url="http://alpha.localhost:8000/subscriptions/unsubscribe/abc/",
)


def _rows(workspace: Any) -> list[Delivery]:
    with workspace.activate():
        return list(Delivery.objects.all())


@pytest.mark.django_db(transaction=False)
def test_an_email_is_sent_once_with_inline_chart_attachments_and_one_click_unsubscribe(
    alpha: Any, smtp_inbox: Any
) -> None:
    target = Target(kind="email", address="ana@example.com")
    first = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-1")
    again = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-1")

    assert (first.status, again.status) == ("sent", "skipped_duplicate")
    assert len(smtp_inbox.messages) == 1
    mail = smtp_inbox.messages[0]
    assert mail["To"] == "ana@example.com"
    assert mail["List-Unsubscribe"] == "<http://alpha.localhost:8000/subscriptions/unsubscribe/abc/>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    related = next(part for part in mail.walk() if part.get_content_type() == "multipart/related")
    image = next(part for part in related.walk() if part.get_content_type() == "image/png")
    assert image["Content-ID"] == "<chart-1>"
    assert image.get_payload(decode=True) == PNG
    files = {part.get_filename(): part.get_content_type() for part in mail.iter_attachments()}
    assert files["dashboard.pdf"] == "application/pdf"
    assert files["revenue.csv"] == "text/csv"
    assert [row.status for row in _rows(alpha)] == ["sent"]


@pytest.mark.django_db(transaction=False)
def test_a_refused_email_is_recorded_as_failed_and_sent_on_the_next_try(alpha: Any, smtp_inbox: Any) -> None:
    target = Target(kind="email", address="ana@example.com")
    smtp_inbox.refuse = True
    failed = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-2")
    smtp_inbox.refuse = False
    retried = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-2")

    assert failed.status == "failed"
    assert "451" in failed.error
    assert retried.status == "sent"
    assert len(smtp_inbox.messages) == 1
    (row,) = _rows(alpha)
    assert (row.status, row.attempts) == ("sent", 2)


@pytest.mark.django_db(transaction=False)
def test_a_signed_webhook_verifies_with_its_secret_and_is_sent_once(
    alpha: Any, webhook_receiver: Any
) -> None:
    target = Target(kind="webhook", address=webhook_receiver.url + "/hook", secret="s3cret")
    for _ in range(2):
        deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-3")

    assert len(webhook_receiver.requests) == 1
    path, headers, body = webhook_receiver.requests[0]
    assert path == "/hook"
    assert json.loads(body) == dict(MESSAGE.payload)
    verify_webhook(body, headers, "s3cret")  # raises when wrong
    assert headers["X-Aiser-Idempotency-Key"]
    with pytest.raises(InvalidWebhookSignature, match="does not match"):
        verify_webhook(body, headers, "another-secret")
    with pytest.raises(InvalidWebhookSignature, match="does not match"):
        verify_webhook(body + b" ", headers, "s3cret")
    with pytest.raises(InvalidWebhookSignature, match="replay"):
        verify_webhook(body, headers, "s3cret", now=time.time() + 301)


@pytest.mark.django_db(transaction=False)
def test_a_slack_post_carries_the_title_text_and_link(alpha: Any, webhook_receiver: Any) -> None:
    target = Target(kind="slack", address=webhook_receiver.url + "/services/T/B/x")
    result = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-4")

    assert result.status == "sent"
    text = json.loads(webhook_receiver.requests[0][2])["text"]
    assert text.startswith("*Weekly sales*\nRevenue: 1,200")
    assert "<http://alpha.localhost:8000/dashboards/1/|Open in Aiser>" in text


@pytest.mark.django_db(transaction=False)
def test_a_webhook_answering_an_error_fails_and_is_retried(alpha: Any, webhook_receiver: Any) -> None:
    target = Target(kind="webhook", address=webhook_receiver.url)
    webhook_receiver.status = 500
    failed = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-5")
    webhook_receiver.status = 204
    sent = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-5")

    assert (failed.status, failed.error) == ("failed", "the webhook answered HTTP 500")
    assert sent.status == "sent"
    assert len(webhook_receiver.requests) == 2


@pytest.mark.django_db(transaction=False)
def test_private_webhook_addresses_are_refused_when_not_allowed(
    alpha: Any, webhook_receiver: Any, settings: Any
) -> None:
    settings.AISER_ALLOW_PRIVATE_WEBHOOKS = False
    target = Target(kind="webhook", address=webhook_receiver.url)
    result = deliver(workspace=alpha.workspace_name, target=target, message=MESSAGE, idempotency_key="run-6")

    assert result.status == "failed"
    assert "private" in result.error
    assert webhook_receiver.requests == []


@pytest.mark.django_db(transaction=False)
def test_the_same_key_in_two_organisations_sends_to_each(alpha: Any, beta: Any, smtp_inbox: Any) -> None:
    target = Target(kind="email", address="ana@example.com")
    for workspace in (alpha, beta):
        result = deliver(
            workspace=workspace.workspace_name, target=target, message=MESSAGE, idempotency_key="k"
        )
        assert result.status == "sent"

    assert len(smtp_inbox.messages) == 2
    assert len(_rows(alpha)) == 1
    assert len(_rows(beta)) == 1
