# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""A subscription's life against localstripe: trial, Checkout, upgrade with proration, downgrade at the
period's end (refused while too much is in use), cancellation, and the billing pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.billing.fake_stripe import sign

pytestmark = pytest.mark.enterprise


def _subscription(workspace):
    from enterprise.billing.plans import subscription_of

    return subscription_of(workspace.organization)


def _subscribe(fake_stripe, workspace, plan="team"):
    """Checkout as the owner would, paid on the fake's page, confirmed by the signed webhook."""
    from django.conf import settings

    from enterprise.billing.subscriptions import checkout_start

    url = checkout_start(
        organization=workspace.organization,
        plan_slug=plan,
        actor=workspace.users["owner"],
        success_url="http://x/ok",
        cancel_url="http://x/no",
    )
    body = fake_stripe.complete_checkout(url.rsplit("/", 1)[1])
    response = Client(HTTP_HOST=settings.AISER_BASE_DOMAIN).post(
        "/billing/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )
    assert response.status_code == 200, response.content
    return _subscription(workspace)


def test_a_new_organisation_trials_for_14_days_then_is_on_free(fake_stripe, alpha):
    from enterprise.billing.models import Subscription
    from enterprise.billing.selectors import organization_plan

    Subscription.objects.filter(organization=alpha.organization).delete()
    created = alpha.organization.created_at
    with time_machine.travel(created + timedelta(days=3)):
        state = organization_plan(alpha.organization)
        assert (state.plan.slug, state.status, state.trial_days_left) == ("team", "trialing", 11)
    with time_machine.travel(created + timedelta(days=14, minutes=1)):
        state = organization_plan(alpha.organization)
        assert (state.plan.slug, state.status, state.trial_days_left) == ("free", "free", None)


def test_upgrade_is_immediate_and_prorated(fake_stripe, alpha):
    from enterprise.billing.subscriptions import plan_change

    subscription = _subscribe(fake_stripe, alpha)
    change = plan_change(organization=alpha.organization, plan_slug="business", actor=alpha.users["owner"])

    assert change.outcome == "upgraded"
    assert _subscription(alpha).plan.slug == "business"
    in_stripe = fake_stripe.client().v1.subscriptions.retrieve(subscription.stripe_subscription_id)
    assert in_stripe["items"]["data"][0]["plan"]["id"] == "price_business"
    update = [
        form
        for method, path, form in fake_stripe.requests
        if path.endswith(subscription.stripe_subscription_id) and method == "POST"
    ]
    assert update[-1]["proration_behavior"] == ["create_prorations"]


def test_downgrade_waits_for_the_period_end(fake_stripe, alpha):
    from enterprise.billing.subscriptions import plan_change, scheduled_changes_apply

    subscription = _subscribe(fake_stripe, alpha, plan="business")
    change = plan_change(organization=alpha.organization, plan_slug="team", actor=alpha.users["owner"])

    assert change.outcome == "scheduled"
    assert change.effective_at == subscription.current_period_end
    assert _subscription(alpha).plan.slug == "business"
    assert scheduled_changes_apply() == 0  # not yet
    with time_machine.travel(subscription.current_period_end + timedelta(minutes=1)):
        assert scheduled_changes_apply() == 1
    assert (_subscription(alpha).plan.slug, _subscription(alpha).scheduled_plan) == ("team", None)
    in_stripe = fake_stripe.client().v1.subscriptions.retrieve(subscription.stripe_subscription_id)
    assert in_stripe["items"]["data"][0]["plan"]["id"] == "price_team"


def test_downgrade_is_refused_naming_what_to_remove(fake_stripe, alpha):
    from chat2chart.core.errors import ValidationFailed
    from enterprise.billing.models import Plan
    from enterprise.billing.subscriptions import plan_change
    from enterprise.tenants.models import Membership

    _subscribe(fake_stripe, alpha, plan="business")
    members = Membership.objects.filter(organization=alpha.organization).count()
    Plan.objects.filter(slug="team").update(seats=members - 1)

    with pytest.raises(ValidationFailed) as refused:
        plan_change(organization=alpha.organization, plan_slug="team", actor=alpha.users["owner"])

    assert (
        f"members (seats): {members} in use, the plan allows {members - 1}; remove 1" in refused.value.message
    )
    assert _subscription(alpha).scheduled_plan is None


def test_cancel_keeps_the_plan_until_stripe_ends_it_and_deletes_nothing(fake_stripe, alpha):
    from django.conf import settings

    from enterprise.billing.subscriptions import subscription_cancel
    from tests.billing.fake_stripe import event
    from tests.sources.fixtures_api import upload_source

    source = upload_source(alpha.client("editor")).json()["id"]
    subscription = _subscribe(fake_stripe, alpha)
    subscription_cancel(organization=alpha.organization, actor=alpha.users["owner"])
    assert _subscription(alpha).cancel_at_period_end
    assert (
        fake_stripe.client()
        .v1.subscriptions.retrieve(subscription.stripe_subscription_id)
        .cancel_at_period_end
    )

    ended = fake_stripe.client().v1.subscriptions.retrieve(subscription.stripe_subscription_id).to_dict()
    body = event("customer.subscription.deleted", {**ended, "status": "canceled"})
    Client(HTTP_HOST=settings.AISER_BASE_DOMAIN).post(
        "/billing/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )

    assert (_subscription(alpha).plan.slug, _subscription(alpha).status) == ("free", "free")
    assert alpha.client("viewer").get(f"/api/v1/sources/{source}/").status_code == 200


def test_billing_page_shows_plan_usage_and_invoices_to_owners_only(fake_stripe, alpha, beta):
    _subscribe(fake_stripe, alpha)

    page = alpha.client("owner").get("/settings/billing/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "<strong>Team</strong>" in text
    assert "AI questions a month" in text
    assert "49 USD" in text
    assert ".pdf" in text
    assert alpha.client("viewer").get("/settings/billing/").status_code == 404
    assert alpha.client("editor").post("/settings/billing/cancel/").status_code == 404
    assert "49 USD" not in beta.client("owner").get("/settings/billing/").content.decode()


def test_checkout_button_redirects_to_stripe_checkout(fake_stripe, alpha):
    from enterprise.billing.models import Subscription

    Subscription.objects.filter(organization=alpha.organization).delete()

    response = alpha.client("owner").post("/settings/billing/checkout/", {"plan": "business"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake_stripe.url}/checkout/cs_test_")
    session = next(iter(fake_stripe.sessions.values()))
    assert session["client_reference_id"] == str(alpha.organization.pk)
    assert session["success_url"].endswith("/settings/billing/?checkout=done")


def test_billing_details_reach_the_stripe_customer(fake_stripe, alpha):
    _subscribe(fake_stripe, alpha)
    owner = alpha.client("owner")

    def tax_ids() -> list[tuple[str, str]]:
        customer = _subscription(alpha).stripe_customer_id
        return [(t.type, t.value) for t in fake_stripe.client().v1.customers.tax_ids.list(customer).data]

    owner.post("/settings/billing/details/", {"billing_email": "ap@alpha.test", "tax_id": "DE123456789"})
    refused = owner.post("/settings/billing/details/", {"billing_email": "nope", "tax_id": ""}, follow=True)

    customer = fake_stripe.client().v1.customers.retrieve(_subscription(alpha).stripe_customer_id)
    assert customer.email == "ap@alpha.test"
    assert (_subscription(alpha).tax_id, _subscription(alpha).tax_id_type) == ("DE123456789", "eu_vat")
    assert tax_ids() == [("eu_vat", "DE123456789")]  # a real Stripe tax id, read from the VAT prefix
    assert "Enter a valid billing email address." in refused.content.decode()

    # A chosen kind replaces the old tax id; a number that says nothing needs a kind; clearing removes it.
    owner.post(
        "/settings/billing/details/",
        {"billing_email": "ap@alpha.test", "tax_id": "51824753556", "tax_id_type": "au_abn"},
    )
    assert tax_ids() == [("au_abn", "51824753556")]
    unclear = owner.post(
        "/settings/billing/details/", {"billing_email": "ap@alpha.test", "tax_id": "123456"}, follow=True
    )
    assert "Choose the kind of tax id" in unclear.content.decode()
    # A number Stripe refuses changes nothing, there or here.
    rejected = owner.post(
        "/settings/billing/details/",
        {"billing_email": "ap@alpha.test", "tax_id": "DE1", "tax_id_type": "eu_vat"},
        follow=True,
    )
    assert "Stripe did not accept the tax id" in rejected.content.decode()
    assert tax_ids() == [("au_abn", "51824753556")]
    assert _subscription(alpha).tax_id == "51824753556"
    owner.post("/settings/billing/details/", {"billing_email": "ap@alpha.test", "tax_id": ""})
    assert tax_ids() == []
    assert _subscription(alpha).tax_id == ""


def test_usage_page_shows_this_month_by_day_and_person(fake_stripe, alpha):
    from chat2chart.core import hooks
    from enterprise.billing.services import usage_drain

    with alpha.activate():
        hooks.record_usage("question_asked", 3, user_id=alpha.users["editor"].pk)
    usage_drain()

    page = alpha.client("owner").get("/settings/billing/usage/")

    assert page.status_code == 200
    assert "editor@alpha.test" in page.content.decode()
    assert f'"{timezone.now().date().isoformat()}"' in page.content.decode()


def test_mrr_counts_paying_subscriptions_only(fake_stripe, alpha, beta):
    from enterprise.billing.selectors import mrr_cents

    before = mrr_cents()
    _subscribe(fake_stripe, alpha, plan="business")
    assert mrr_cents() - before == 29_900


def test_without_a_stripe_key_the_billing_page_shows_usage_and_calls_nothing(settings, alpha):
    settings.AISER_BILLING_ENABLED, settings.STRIPE_SECRET_KEY = False, ""

    page = alpha.client("owner").get("/settings/billing/")

    assert page.status_code == 200
    assert "Billing is not set up on this installation" in page.content.decode()
    assert "Unlimited" in page.content.decode()
