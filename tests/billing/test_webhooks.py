# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Stripe's webhook: signature verified, each event applied once, late events never roll state back."""

from __future__ import annotations

import time

import pytest

from tests.billing.fake_stripe import event, sign

pytestmark = pytest.mark.enterprise

WEBHOOK = "/billing/stripe/webhook/"


def _post(client, body, signature=None):
    return client.post(
        WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature or sign(body)
    )


@pytest.fixture
def public_client(settings):
    from django.test import Client

    return Client(HTTP_HOST=settings.AISER_BASE_DOMAIN)


def _subscription(workspace):
    from enterprise.billing.plans import subscription_of

    return subscription_of(workspace.organization)


def _subscription_object(workspace, *, status="active", price="price_team", **extra):
    sub = _subscription(workspace)
    return {
        "id": sub.stripe_subscription_id or "sub_test_1",
        "object": "subscription",
        "customer": sub.stripe_customer_id or f"cus_{workspace.slug}",
        "status": status,
        "items": {"data": [{"id": "si_1", "price": {"id": price}}]},
        "current_period_end": int(time.time()) + 30 * 86400,
        "cancel_at_period_end": False,
        "metadata": {"organization_id": str(workspace.organization.pk)},
        **extra,
    }


def test_checkout_completed_puts_only_that_organisation_on_the_paid_plan(
    fake_stripe, alpha, beta, public_client
):
    from enterprise.billing.subscriptions import checkout_start

    url = checkout_start(
        organization=alpha.organization,
        plan_slug="team",
        actor=alpha.users["owner"],
        success_url="http://x/ok",
        cancel_url="http://x/no",
    )
    session_id = url.rsplit("/", 1)[1]
    body = fake_stripe.complete_checkout(session_id)

    response = _post(public_client, body)

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "applied"
    alpha_sub, beta_sub = _subscription(alpha), _subscription(beta)
    assert (alpha_sub.plan.slug, alpha_sub.status) == ("team", "active")
    assert alpha_sub.stripe_subscription_id.startswith("sub_")
    assert alpha_sub.current_period_end is not None
    assert beta_sub.plan.slug != "team" or beta_sub.status == "trialing"
    assert not beta_sub.stripe_subscription_id


def test_forged_signature_is_refused_with_a_json_error_and_changes_nothing(fake_stripe, alpha, public_client):
    body = event("customer.subscription.updated", _subscription_object(alpha, price="price_business"))

    response = _post(public_client, body, signature=sign(body, secret="whsec_someone_else"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert _subscription(alpha).plan.slug != "business"


def test_replayed_event_is_applied_once(fake_stripe, alpha, public_client):
    from enterprise.billing.models import StripeEvent

    body = event(
        "invoice.payment_failed",
        {
            "object": "invoice",
            "customer": "cus_alpha",
            "metadata": {"organization_id": str(alpha.organization.pk)},
        },
    )
    first, again = _post(public_client, body), _post(public_client, body)

    assert first.json()["outcome"] == "applied"
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert StripeEvent.objects.filter(type="invoice.payment_failed").count() == 1


def test_old_signature_replayed_later_is_refused(fake_stripe, alpha, public_client):
    body = event("customer.subscription.updated", _subscription_object(alpha, price="price_business"))

    response = _post(public_client, body, signature=sign(body, at=int(time.time()) - 3600))

    assert response.status_code == 400
    assert _subscription(alpha).plan.slug != "business"


def test_events_out_of_order_leave_the_latest_state(fake_stripe, alpha, public_client):
    now = int(time.time())
    deleted = event(
        "customer.subscription.deleted", _subscription_object(alpha, status="canceled"), created=now
    )
    older_update = event(
        "customer.subscription.updated", _subscription_object(alpha, price="price_business"), created=now - 60
    )
    created = event("customer.subscription.created", _subscription_object(alpha), created=now - 120)

    # Created first, then the deletion, then an update sent between them arrives last.
    assert _post(public_client, created).json()["outcome"] == "applied"
    assert _post(public_client, deleted).json()["outcome"] == "applied"
    assert _post(public_client, older_update).json()["outcome"] == "stale"

    subscription = _subscription(alpha)
    assert (subscription.plan.slug, subscription.status) == ("free", "free")
    assert subscription.stripe_subscription_id == ""


def test_payment_failure_then_paid_invoice_clears_past_due(fake_stripe, alpha, public_client):
    ref = {"metadata": {"organization_id": str(alpha.organization.pk)}, "object": "invoice"}
    _post(public_client, event("customer.subscription.created", _subscription_object(alpha)))
    _post(public_client, event("invoice.payment_failed", ref))
    assert _subscription(alpha).status == "past_due"

    _post(public_client, event("invoice.paid", ref))

    subscription = _subscription(alpha)
    assert subscription.status == "active"
    assert subscription.past_due_since is None


def test_customer_updated_sets_billing_email(fake_stripe, alpha, public_client):
    subscription = _subscription(alpha)
    subscription.stripe_customer_id = "cus_alpha_test"
    subscription.save()
    body = event(
        "customer.updated", {"id": "cus_alpha_test", "object": "customer", "email": "books@alpha.test"}
    )

    assert _post(public_client, body).json()["outcome"] == "applied"
    assert _subscription(alpha).billing_email == "books@alpha.test"


def test_body_that_is_not_an_event_gets_a_json_error(fake_stripe, public_client):
    body = b'{"hello": "world"}'

    response = _post(public_client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_event"
