# SPDX-License-Identifier: MIT
"""Budgets per person, per API key and per organisation: every answer says where the caller stands
(`RateLimit-*`), a refusal is a JSON 429 with `Retry-After`, and one organisation spending its budget
never touches another's.

Budgets are counted in fixed one-minute windows, so each test runs inside one frozen minute."""

from datetime import datetime

import pytest
import time_machine
from django.test import Client

MID_MINUTE = datetime(2025, 3, 15, 12, 0, 30)


@pytest.fixture
def frozen():
    with time_machine.travel(MID_MINUTE, tick=False):
        yield


@pytest.fixture
def staff(db):
    from chat2chart.accounts.models import User

    return User.objects.create_user(
        email="staff@platform.test", password="a-long-staff-passphrase", is_staff=True
    )


def _calls(client, count, path="/api/v1/me/"):
    return [client.get(path) for _ in range(count)]


def test_a_successful_answer_carries_the_budget_headers(alpha, settings, frozen):
    settings.AISER_API_RATE = "3/m"
    response = alpha.client("viewer").get("/api/v1/me/")
    assert response.status_code == 200
    assert response["RateLimit-Limit"] == "3"
    assert response["RateLimit-Remaining"] == "2"
    assert response["RateLimit-Reset"] == "30"  # the window ends at the next full minute
    assert "Retry-After" not in response


def test_exactly_at_the_limit_passes_and_one_over_is_refused_with_retry_after(alpha, settings, frozen):
    settings.AISER_API_RATE = "3/m"
    responses = _calls(alpha.client("viewer"), 4)
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    refused = responses[-1]
    assert refused["Retry-After"] == "30"
    assert refused["RateLimit-Limit"] == "3"
    assert refused.json()["error"]["code"] == "throttled"


def test_each_person_has_a_budget_of_their_own(alpha, settings, frozen):
    settings.AISER_API_RATE = "2/m"
    assert [r.status_code for r in _calls(alpha.client("viewer"), 3)] == [200, 200, 429]
    assert alpha.client("editor").get("/api/v1/me/").status_code == 200


@pytest.mark.enterprise
def test_each_api_key_has_a_budget_of_its_own(alpha, settings, frozen):
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    with alpha.activate():
        owner = Principal.for_user(alpha.users["owner"])
        made = alpha.organization
        first = api_key_create(organization=made, principal=owner, name="first", role="viewer").raw_key
        second = api_key_create(organization=made, principal=owner, name="second", role="viewer").raw_key
    settings.AISER_API_RATE = "2/m"
    by_first = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {first}")
    by_second = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {second}")
    assert [r.status_code for r in _calls(by_first, 3)] == [200, 200, 429]
    assert by_second.get("/api/v1/me/").status_code == 200
    # The key's creator signed in has their own budget too.
    assert alpha.client("owner").get("/api/v1/me/").status_code == 200


@pytest.mark.enterprise
def test_the_organisation_budget_caps_its_members_together_and_never_another_organisation(
    alpha, beta, settings, frozen
):
    settings.AISER_API_RATE = "10/m"
    settings.AISER_ORG_API_RATE = "4/m"
    statuses = [r.status_code for r in _calls(alpha.client("viewer"), 2) + _calls(alpha.client("editor"), 2)]
    assert statuses == [200, 200, 200, 200]
    refused = alpha.client("admin").get("/api/v1/me/")
    assert refused.status_code == 429
    assert refused["RateLimit-Limit"] == "4"  # the organisation's budget is the one spent
    assert refused["Retry-After"] == "30"
    other = beta.client("viewer").get("/api/v1/me/")
    assert other.status_code == 200
    assert other["RateLimit-Remaining"] == "3"


@pytest.mark.enterprise
def test_a_refused_request_spends_nothing_of_the_organisation_budget(alpha, settings, frozen):
    settings.AISER_API_RATE = "2/m"
    settings.AISER_ORG_API_RATE = "5/m"
    # The viewer is refused three times: those refusals leave the colleagues' share alone.
    assert [r.status_code for r in _calls(alpha.client("viewer"), 5)] == [200, 200, 429, 429, 429]
    assert [r.status_code for r in _calls(alpha.client("editor"), 2)] == [200, 200]
    assert alpha.client("admin").get("/api/v1/me/")["RateLimit-Remaining"] == "0"


@pytest.mark.enterprise
def test_the_plan_override_sets_the_organisation_budget(alpha, beta, settings, frozen, staff):
    from enterprise.console.services import terms_update

    settings.AISER_API_RATE = "100/m"
    settings.AISER_ORG_API_RATE = "2/m"
    terms_update(organization=alpha.organization, actor=staff, changes={"api_requests_per_minute": 5})
    responses = _calls(alpha.client("viewer"), 6)
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert responses[0]["RateLimit-Limit"] == "5"
    assert beta.client("viewer").get("/api/v1/me/")["RateLimit-Limit"] == "2"


def test_embeds_carry_the_headers_and_refuse_with_json(alpha, settings, frozen):
    settings.AISER_EMBED_RATE = "2/m"
    client = alpha.anonymous_client()
    responses = _calls(client, 3, "/public/dashboard/nothing-here")
    assert [r.status_code for r in responses] == [404, 404, 429]
    assert responses[0]["RateLimit-Limit"] == "2"
    assert responses[0]["RateLimit-Remaining"] == "1"
    assert responses[2]["Retry-After"] == "30"
    assert responses[2].json()["error"]["code"] == "rate_limited"


@pytest.mark.enterprise
def test_the_organisation_embed_budget_counts_every_visitor_and_only_its_own(alpha, beta, settings, frozen):
    settings.AISER_EMBED_RATE = "10/m"
    settings.AISER_ORG_EMBED_RATE = "3/m"
    visitors = [Client(HTTP_HOST=alpha.host, REMOTE_ADDR=f"10.0.0.{n}") for n in range(1, 5)]
    statuses = [v.get("/public/dashboard/nothing-here").status_code for v in visitors]
    assert statuses == [404, 404, 404, 429]
    assert beta.anonymous_client().get("/public/dashboard/nothing-here").status_code == 404
