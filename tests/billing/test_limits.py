# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Plan limits stop work before it starts, at the edge (exactly at the limit passes, one over is refused),
with a message naming the limit and the way to upgrade, and only in the organisation that reached it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import LimitExceeded
from tests.sources.fixtures_api import SALES_CSV, error_message, post_json, upload_source

pytestmark = pytest.mark.enterprise


@pytest.fixture
def billing_on(settings, db):
    settings.AISER_BILLING_ENABLED = True


def _on_plan(workspace, **limits):
    """Put the organisation on a plan of its own with these limits (others unlimited)."""
    from enterprise.billing.models import Plan
    from enterprise.billing.plans import subscription_of

    plan = Plan.objects.create(slug=f"test-{workspace.slug}", name=f"Test {workspace.slug}", rank=5, **limits)
    subscription = subscription_of(workspace.organization)
    subscription.plan, subscription.status = plan, "active"
    subscription.save()
    return plan


def _questions_used(workspace):
    from enterprise.billing.limits import usage_of

    return usage_of(workspace.organization, "question_asked")


def test_question_exactly_at_the_limit_passes_and_one_over_is_refused(billing_on, alpha, beta):
    used = _questions_used(alpha)
    _on_plan(alpha, questions_per_month=used + 2)
    with alpha.activate():
        hooks.record_usage("question_asked", 1)
        hooks.check_limit("question_asked")  # the last question the plan allows
        hooks.record_usage("question_asked", 1)
        with pytest.raises(LimitExceeded) as refused:
            hooks.check_limit("question_asked")
    assert "AI questions a month" in refused.value.message
    assert "Upgrade the plan on Settings → Billing" in refused.value.message
    assert refused.value.details["limit"] == "question_asked"
    with beta.activate():  # beta's plan is its own
        hooks.check_limit("question_asked")


def test_asking_over_the_limit_answers_429_naming_the_limit(billing_on, alpha):
    source = upload_source(alpha.client("editor")).json()["id"]
    _on_plan(alpha, questions_per_month=_questions_used(alpha))

    response = post_json(
        alpha.client("editor"), "/api/v1/conversations/", {"source": source, "table": "sales"}
    )
    conversation = response.json()["id"]
    response = post_json(
        alpha.client("editor"),
        f"/api/v1/conversations/{conversation}/messages/",
        {"content": "revenue by region"},
    )

    assert response.status_code == 429
    assert "AI questions a month" in error_message(response)


def test_data_sources_on_create_exactly_at_and_one_over(billing_on, alpha, beta):
    _on_plan(alpha, data_sources=1)
    first = upload_source(alpha.client("editor"))
    second = upload_source(alpha.client("editor"))

    assert first.status_code == 201, first.content
    assert second.status_code == 429
    assert "data sources" in error_message(second)
    assert "Billing" in error_message(second)
    _on_plan(beta, data_sources=1)
    assert upload_source(beta.client("editor")).status_code == 201


def test_dashboards_on_create(billing_on, alpha):
    _on_plan(alpha, dashboards=1)
    client = alpha.client("editor")

    assert post_json(client, "/api/v1/dashboards/", {"title": "One"}).status_code == 201
    refused = post_json(client, "/api/v1/dashboards/", {"title": "Two"})

    assert refused.status_code == 429
    assert "dashboards" in error_message(refused)


def test_rows_on_ingest_leave_the_previous_data_and_say_why(billing_on, alpha):
    rows_in_sales = SALES_CSV.count("\n") - 1
    _on_plan(alpha, rows_stored=rows_in_sales)
    client = alpha.client("editor")
    kept = upload_source(client).json()
    assert kept["status"] == "ready"  # exactly at the limit

    refused = upload_source(client, SALES_CSV + "2024-03-15,West,Gizmo,10,300.0\n").json()

    assert refused["status"] == "failed"
    assert "rows stored" in refused["error"]


def test_seats_on_invitation_exactly_at_and_one_over(billing_on, alpha):
    from enterprise.tenants.models import Invitation, Membership

    members = Membership.objects.filter(organization=alpha.organization).count()
    _on_plan(alpha, seats=members + 1)
    client = alpha.client("owner")

    client.post("/settings/members/", {"email": "one@elsewhere.test", "role": "viewer"})
    response = client.post("/settings/members/", {"email": "two@elsewhere.test", "role": "viewer"})

    assert (
        Invitation.objects.filter(organization=alpha.organization, email__endswith="elsewhere.test").count()
        == 1
    )
    assert "members (seats)" in response.content.decode()


def test_without_billing_plans_are_not_enforced(settings, alpha):
    settings.AISER_BILLING_ENABLED = False
    _on_plan(alpha, dashboards=0)

    response = post_json(alpha.client("editor"), "/api/v1/dashboards/", {"title": "Free for all"})

    assert response.status_code == 201


def test_after_the_grace_period_nothing_new_is_created_but_queries_still_run(
    billing_on, settings, alpha, beta
):
    from enterprise.billing.plans import subscription_of

    source = upload_source(alpha.client("editor")).json()["id"]
    subscription = subscription_of(alpha.organization)
    subscription.status, subscription.past_due_since = "past_due", timezone.now()
    subscription.save()
    client = alpha.client("editor")

    with time_machine.travel(timezone.now() + timedelta(days=settings.AISER_BILLING_GRACE_DAYS - 1)):
        assert post_json(client, "/api/v1/dashboards/", {"title": "In grace"}).status_code == 201
        assert "payment failed" in client.get("/dashboards/").content.decode().lower()
    with time_machine.travel(timezone.now() + timedelta(days=settings.AISER_BILLING_GRACE_DAYS + 1)):
        refused = post_json(client, "/api/v1/dashboards/", {"title": "Read-only"})
        query = post_json(
            client,
            "/api/v1/query/",
            {"source": source, "table": "sales", "measures": [{"field": "revenue", "agg": "sum"}]},
        )
        assert post_json(beta.client("editor"), "/api/v1/dashboards/", {"title": "Beta"}).status_code == 201

    assert refused.status_code == 429
    assert "nothing new can be created" in error_message(refused)
    assert query.status_code == 200
