# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The platform console: staff only, on the public site only; organisations listed with their figures;
suspension, reactivation, plan overrides and trial extension from the pages, each audited."""

from __future__ import annotations

import pytest
from django.test import Client

from chat2chart.core import hooks
from enterprise.console.models import StaffAction

pytestmark = pytest.mark.enterprise


def test_staff_see_every_organisation_with_its_figures(console, alpha, beta):
    with alpha.activate():
        hooks.record_usage("question_asked", 3)
        hooks.record_usage("query_run", 5)
    page = console.get("/console/")
    assert page.status_code == 200
    rows = {row.organization.slug: row for row in page.context["rows"]}
    assert {"alpha", "beta"} <= set(rows)
    assert rows["alpha"].members == 4
    assert rows["alpha"].plan == "free"
    assert rows["alpha"].status == "Active"
    assert rows["alpha"].questions_this_month == rows["beta"].questions_this_month + 3
    totals = page.context["totals"]
    assert totals["questions_per_day"][-1] >= 3
    assert totals["queries_per_day"][-1] >= 5
    assert b'id="console-organizations"' in page.content


def test_an_organisation_page_charts_its_own_usage_only(console, alpha, beta):
    with alpha.activate():
        hooks.record_usage("query_run", 7)
    with beta.activate():
        hooks.record_usage("query_run", 2)
    page = console.get("/console/organizations/alpha/")
    assert page.status_code == 200
    chart = page.context["chart"]
    assert chart["daily"]["query_run"][-1] == 7
    assert chart["monthly"]["query_run"][-1] >= 7
    assert b"Billing is off on this platform" in page.content


def test_the_console_shows_billing_plans_and_recurring_revenue_when_billing_is_on(
    console, alpha, beta, settings
):
    from enterprise.billing.models import Plan, Subscription, SubscriptionStatus

    settings.AISER_BILLING_ENABLED = True
    team, business = Plan.objects.get(slug="team"), Plan.objects.get(slug="business")
    Subscription.objects.filter(organization__in=[alpha.organization, beta.organization]).delete()
    Subscription.objects.create(
        organization=alpha.organization,
        plan=team,
        status=SubscriptionStatus.ACTIVE,
        stripe_customer_id="cus_a",
        stripe_subscription_id="sub_a",
    )
    Subscription.objects.create(
        organization=beta.organization,
        plan=business,
        status=SubscriptionStatus.PAST_DUE,
        stripe_customer_id="cus_b",
        stripe_subscription_id="sub_b",
    )
    expected_cents = sum(
        s.plan.monthly_price_cents
        for s in Subscription.objects.filter(status__in=["active", "past_due"]).exclude(
            stripe_subscription_id=""
        )
    )
    page = console.get("/console/")
    rows = {row.organization.slug: row for row in page.context["rows"]}
    assert (rows["alpha"].plan, rows["beta"].plan) == ("team", "business")
    assert page.context["totals"]["mrr"] == f"{expected_cents / 100:,.2f}"
    assert expected_cents >= team.monthly_price_cents + business.monthly_price_cents > 0


def test_people_who_are_not_staff_never_see_the_console(alpha, public_host):
    signed_in = Client(HTTP_HOST=public_host)
    signed_in.force_login(alpha.users["owner"])
    assert signed_in.get("/console/").status_code == 404
    assert signed_in.get("/console/organizations/alpha/").status_code == 404
    refused = signed_in.post("/console/organizations/alpha/suspend/", {"reason": "x"})
    assert refused.status_code == 404
    alpha.organization.refresh_from_db()
    assert not alpha.organization.is_suspended
    anonymous = Client(HTTP_HOST=public_host).get("/console/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]


def test_the_console_is_not_served_on_an_organisation_host(alpha, staff):
    from enterprise.tenants.models import Membership

    Membership.objects.create(user=staff, organization=alpha.organization, role="owner")
    client = Client(HTTP_HOST=alpha.host)
    client.force_login(staff)
    assert client.get("/console/").status_code == 404
    assert client.post("/console/organizations/alpha/suspend/", {"reason": "x"}).status_code == 404


def test_suspending_and_reactivating_from_the_console_is_audited(console, alpha, beta, staff):
    response = console.post("/console/organizations/alpha/suspend/", {"reason": "Chargeback"})
    assert response.status_code == 302
    alpha.organization.refresh_from_db()
    assert alpha.organization.is_suspended
    assert alpha.organization.suspended_reason == "Chargeback"
    assert alpha.client("viewer").get("/api/v1/me/").status_code == 403
    assert beta.client("viewer").get("/api/v1/me/").status_code == 200

    console.post("/console/organizations/alpha/reactivate/")
    alpha.organization.refresh_from_db()
    assert not alpha.organization.is_suspended
    assert alpha.client("viewer").get("/api/v1/me/").status_code == 200

    actions = list(StaffAction.objects.filter(organization=alpha.organization).order_by("pk"))
    assert [(a.action, a.actor_id, a.actor_email) for a in actions] == [
        ("organization.suspend", staff.pk, staff.email),
        ("organization.reactivate", staff.pk, staff.email),
    ]
    assert actions[0].data == {"reason": "Chargeback"}
    page = console.get("/console/organizations/alpha/")
    assert b"organization.suspend" in page.content
    assert b"Chargeback" in page.content


def test_a_suspension_needs_a_reason(console, alpha):
    page = console.post("/console/organizations/alpha/suspend/", {"reason": "  "}, follow=True)
    assert "Say why" in page.content.decode()
    alpha.organization.refresh_from_db()
    assert not alpha.organization.is_suspended
    assert not StaffAction.objects.filter(organization=alpha.organization).exists()


def test_plan_overrides_and_trial_extension_are_saved_and_audited(console, alpha):
    console.post(
        "/console/organizations/alpha/terms/",
        {"plan_override": "enterprise", "api_requests_per_minute": "1200", "llm_tokens_per_day": ""},
    )
    console.post("/console/organizations/alpha/trial/", {"days": "30"})
    alpha.organization.refresh_from_db()
    assert alpha.organization.plan_override == "enterprise"
    assert alpha.organization.api_requests_per_minute == 1200
    assert alpha.organization.llm_tokens_per_day is None
    assert alpha.organization.trial_ends_at is not None
    actions = {a.action: a.data for a in StaffAction.objects.filter(organization=alpha.organization)}
    assert actions["terms.update"] == {
        "plan_override": ["", "enterprise"],
        "api_requests_per_minute": [None, 1200],
    }
    assert actions["trial.extend"]["days"] == 30
    listed = {row.organization.slug: row.plan for row in console.get("/console/").context["rows"]}
    assert listed["alpha"] == "enterprise"


def test_bad_numbers_are_refused_with_a_message_and_change_nothing(console, alpha):
    page = console.post("/console/organizations/alpha/terms/", {"api_requests_per_minute": "-3"}, follow=True)
    assert "must be at least 1" in page.content.decode()
    page = console.post("/console/organizations/alpha/trial/", {"days": "lots"}, follow=True)
    assert "whole number" in page.content.decode()
    alpha.organization.refresh_from_db()
    assert alpha.organization.api_requests_per_minute is None
    assert alpha.organization.trial_ends_at is None
    assert not StaffAction.objects.filter(organization=alpha.organization).exists()


def test_an_unknown_organisation_is_404(console):
    assert console.get("/console/organizations/no-such-org/").status_code == 404


def test_the_first_staff_account_made_with_createsuperuser_opens_the_console(public_host, monkeypatch, db):
    from django.core.management import call_command

    from chat2chart.accounts.models import User

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-founder-passphrase-3")
    call_command("createsuperuser", email="founder@platform.test", interactive=False, verbosity=0)
    client = Client(HTTP_HOST=public_host)
    client.force_login(User.objects.get(email="founder@platform.test"))
    assert client.get("/console/").status_code == 200
