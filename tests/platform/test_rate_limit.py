# SPDX-License-Identifier: MIT
"""The API budget per caller is enforced with a JSON 429, and counted per organisation."""

import pytest


@pytest.fixture
def tight_budget(settings):
    settings.AISER_API_RATE = "3/m"


def test_fourth_call_in_a_minute_gets_429(alpha, tight_budget):
    client = alpha.client("viewer")
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    body = client.get("/api/v1/me/").json()
    assert body["error"]["code"] == "throttled"


@pytest.mark.enterprise
def test_one_organisation_spending_its_budget_leaves_the_other_alone(alpha, beta, tight_budget):
    from enterprise.tenants.models import Membership

    # One person in both organisations: the counters are per organisation, not per person.
    person = alpha.users["viewer"]
    Membership.objects.create(user=person, organization=beta.organization, role="viewer")
    alpha_client = alpha.client("viewer")
    for _ in range(3):
        alpha_client.get("/api/v1/me/")
    assert alpha_client.get("/api/v1/me/").status_code == 429
    beta_client = beta.client("viewer")
    beta_client.force_login(person)
    assert beta_client.get("/api/v1/me/").status_code == 200
