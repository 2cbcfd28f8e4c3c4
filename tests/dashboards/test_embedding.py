# SPDX-License-Identifier: MIT
"""Embedded dashboards and public links: only a valid token of the right organisation opens a
dashboard, its locked values always apply (and key the cache), and framing is allowed only where
the organisation said so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from chat2chart.core.principal import Principal
from chat2chart.dashboards import embedding
from chat2chart.dashboards.models import EmbedSettings, Widget
from tests.dashboards.conftest import make_dashboard, set_up_embedding, sign, widgets_by_title

NOT_AVAILABLE = "This dashboard is not available."


@pytest.fixture
def secret(alpha):
    with alpha.activate():
        return set_up_embedding(alpha)


def embed(workspace, token, suffix=""):
    return workspace.anonymous_client().get(f"/embed/dashboard/{token}{suffix}")


def csp_directives(response):
    """The Content-Security-Policy header as {directive: its sources}."""
    parts = (part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, _, value in parts}


def rows_of(response, title="Revenue rows"):
    return widgets_by_title(response)[title]["data"]["rows"]


def test_a_valid_token_opens_its_dashboard_without_signing_in(alpha, dashboard, secret):
    response = embed(alpha, sign(alpha, secret, dashboard.pk, params={"customer_id": 1}))
    assert response.status_code == 200
    assert b"Sales overview" in response.content
    assert csp_directives(response)["frame-ancestors"] == "'self'"
    assert "X-Frame-Options" not in response


def test_the_data_endpoint_serves_only_the_locked_customers_rows(alpha, dashboard, secret):
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    rows = rows_of(embed(alpha, token, "/data/"))
    assert {row[0] for row in rows} == {1}
    assert len(rows) == 3


@pytest.mark.parametrize("change", ["signature", "payload"])
def test_a_tampered_token_is_refused_with_the_plain_message(alpha, dashboard, secret, change):
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    header, payload, signature = token.split(".")
    if change == "signature":
        signature = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    else:
        payload = jwt.utils.base64url_encode(
            json.dumps(
                {**jwt.decode(token, options={"verify_signature": False}), "params": {"customer_id": 2}}
            ).encode()
        ).decode()
    forged = f"{header}.{payload}.{signature}"
    page = embed(alpha, forged)
    assert page.status_code == 403
    assert NOT_AVAILABLE in page.content.decode()
    assert embed(alpha, forged, "/data/").status_code == 403


def test_an_expired_token_is_refused(alpha, dashboard, secret):
    token = sign(alpha, secret, dashboard.pk, minutes=-1)
    assert embed(alpha, token).status_code == 403
    assert embed(alpha, token, "/data/").status_code == 403


def test_a_token_without_expiry_or_living_longer_than_a_day_is_refused(alpha, dashboard, secret):
    claims = {"resource": {"dashboard": dashboard.pk}, "params": {}, "aud": alpha.workspace_name}
    no_exp = jwt.encode(claims, secret, algorithm="HS256")
    too_long = jwt.encode(
        {**claims, "exp": datetime.now(UTC) + timedelta(hours=25)}, secret, algorithm="HS256"
    )
    assert embed(alpha, no_exp).status_code == 403
    assert embed(alpha, too_long).status_code == 403


def test_a_token_signed_with_none_algorithm_is_refused(alpha, dashboard, secret):
    claims = {
        "resource": {"dashboard": dashboard.pk},
        "aud": alpha.workspace_name,
        "exp": int((datetime.now(UTC) + timedelta(minutes=5)).timestamp()),
    }
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert embed(alpha, unsigned).status_code == 403


def test_data_requested_after_the_token_expired_is_refused(alpha, dashboard, secret, monkeypatch):
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1}, minutes=1)
    assert embed(alpha, token).status_code == 200
    assert embed(alpha, token, "/data/").status_code == 200

    later = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr(embedding, "clock", lambda: later)
    refused = embed(alpha, token, "/data/")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == NOT_AVAILABLE
    assert embed(alpha, token, "/filter-options/?field=region").status_code == 403


def test_a_token_for_a_missing_dashboard_gets_the_same_plain_answer(alpha, dashboard, secret):
    response = embed(alpha, sign(alpha, secret, dashboard.pk + 1000))
    assert response.status_code == 404
    assert NOT_AVAILABLE in response.content.decode()


def test_a_token_opens_only_its_own_dashboards_widgets(alpha, sales, dashboard, secret):
    with alpha.activate():
        other = make_dashboard(sales, widgets=("targets",), title="Other")
        other_widget = other.widgets.get().pk
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    response = embed(alpha, token, f"/data/?widget={other_widget}")
    assert response.status_code == 200
    assert response.json()["widgets"] == []


@pytest.mark.enterprise
def test_a_token_of_another_organisation_is_refused(alpha, beta, dashboard, secret):
    with beta.activate():
        beta_secret = set_up_embedding(beta)
    # Signed with beta's secret for alpha's audience, or for beta, and used on alpha's host.
    assert embed(alpha, sign(alpha, beta_secret, dashboard.pk)).status_code == 403
    assert embed(alpha, sign(beta, beta_secret, dashboard.pk)).status_code == 403
    # Alpha's own secret but beta's audience: still refused on alpha's host.
    assert embed(alpha, sign(alpha, secret, dashboard.pk, audience=beta.workspace_name)).status_code == 403
    # And alpha's valid token does not open anything on beta's host.
    assert embed(beta, sign(alpha, secret, dashboard.pk)).status_code in (403, 404)


def test_two_customers_never_share_cached_rows(alpha, dashboard, secret):
    first = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    second = sign(alpha, secret, dashboard.pk, params={"customer_id": 2})
    assert embed(alpha, first, "/data/").status_code == 200
    again = widgets_by_title(embed(alpha, first, "/data/"))["Revenue rows"]
    assert again["data"]["cached"] is True  # the cache is really in use

    other = widgets_by_title(embed(alpha, second, "/data/"))["Revenue rows"]
    assert other["data"]["cached"] is False
    assert {row[0] for row in other["data"]["rows"]} == {2}
    assert other["data"]["rows"] != again["data"]["rows"]


def test_a_locked_value_cannot_be_overridden_through_the_url(alpha, sales, secret):
    with alpha.activate():
        dashboard = make_dashboard(
            sales, filters=[{"field": "customer_id", "kind": "values"}, {"field": "region", "kind": "values"}]
        )
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    for query in (
        "?filter.customer_id=2",
        "?filters=" + json.dumps({"customer_id": [2]}),
        "?filter.customer_id=2&filters=" + json.dumps({"customer_id": [1, 2]}),
    ):
        rows = rows_of(embed(alpha, token, "/data/" + query))
        assert {row[0] for row in rows} == {1}, query
    # Unlocked filters still work, and only narrow further.
    rows = rows_of(embed(alpha, token, "/data/?filter.region=South"))
    assert [(row[0], row[1]) for row in rows] == [(1, "2024-03-01")]
    # The locked field is not offered as a filter on the page.
    page = embed(alpha, token).content.decode()
    assert '"field": "customer_id"' not in page
    assert '"field": "region"' in page


def test_a_widget_whose_table_lacks_a_locked_field_is_refused_not_shown_unfiltered(alpha, sales, secret):
    with alpha.activate():
        dashboard = make_dashboard(sales, widgets=("rows", "targets"))
    widgets = widgets_by_title(
        embed(alpha, sign(alpha, secret, dashboard.pk, params={"customer_id": 1}), "/data/")
    )
    assert "data" not in widgets["Targets"]
    assert widgets["Targets"]["error"]["code"] == "locked_field_missing"
    assert {row[0] for row in widgets["Revenue rows"]["data"]["rows"]} == {1}


def test_filter_options_of_an_embed_list_only_the_locked_customers_values(alpha, sales, secret):
    with alpha.activate():
        dashboard = make_dashboard(sales, filters=[{"field": "region", "kind": "values"}])
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 2})
    response = embed(alpha, token, "/filter-options/?field=region")
    assert response.json()["values"] == ["South"]


def test_rotating_the_encryption_keys_keeps_embed_tokens_working(alpha, dashboard, secret, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    token = sign(alpha, secret, dashboard.pk)
    new_key = Fernet.generate_key().decode()
    settings.AISER_FERNET_KEYS = [new_key, *settings.AISER_FERNET_KEYS]
    call_command("rotate_secrets", workspace=[alpha.workspace_name])
    settings.AISER_FERNET_KEYS = [new_key]  # the old key is gone: only re-encrypted secrets still read
    assert embed(alpha, token).status_code == 200


def test_rotating_the_secret_invalidates_old_tokens(alpha, dashboard, secret):
    old = sign(alpha, secret, dashboard.pk)
    assert embed(alpha, old).status_code == 200
    response = alpha.client("admin").post("/api/v1/embedding/secret/")
    assert response.status_code == 201
    new_secret = response.json()["secret"]
    assert new_secret != secret
    assert embed(alpha, old).status_code == 403
    assert embed(alpha, sign(alpha, new_secret, dashboard.pk)).status_code == 200


@pytest.mark.enterprise  # roles: in the core edition every member may do everything
def test_the_secret_is_stored_encrypted_and_only_admins_rotate_it(alpha, secret):
    with alpha.activate():
        stored = bytes(EmbedSettings.objects.get().secret)
    assert secret.encode() not in stored
    assert alpha.client("editor").post("/api/v1/embedding/secret/").status_code == 403
    settings = alpha.client("admin").get("/api/v1/embedding/").json()
    assert settings["has_secret"] is True
    assert "secret" not in settings


def test_frame_ancestors_lists_the_allowed_origins(alpha, dashboard, secret):
    admin = alpha.client("admin")
    response = admin.patch(
        "/api/v1/embedding/",
        json.dumps({"allowed_origins": ["https://app.example.com/"]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["allowed_origins"] == ["https://app.example.com"]
    page = embed(alpha, sign(alpha, secret, dashboard.pk))
    assert csp_directives(page)["frame-ancestors"] == "'self' https://app.example.com"


def test_an_origin_that_could_break_the_header_is_refused(alpha):
    response = alpha.client("admin").patch(
        "/api/v1/embedding/",
        json.dumps({"allowed_origins": ["https://a.example; script-src *"]}),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_other_pages_cannot_be_framed(alpha, dashboard):
    assert alpha.client().get(f"/dashboards/{dashboard.pk}/")["X-Frame-Options"] == "DENY"
    assert alpha.client().get("/dashboards/")["X-Frame-Options"] == "DENY"


def test_the_api_signs_an_embed_url_that_works(alpha, dashboard, secret):
    response = alpha.client("admin").post(
        f"/api/v1/dashboards/{dashboard.pk}/embed-url/",
        json.dumps({"params": {"customer_id": 2}, "exp_minutes": 5}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    assert f"//{alpha.host}" in url
    path = url.split(alpha.host, 1)[1]
    assert alpha.anonymous_client().get(path).status_code == 200
    rows = rows_of(alpha.anonymous_client().get(path + "/data/"))
    assert {row[0] for row in rows} == {2}


@pytest.mark.enterprise  # roles: in the core edition every member may do everything
def test_an_editor_cannot_sign_embed_urls(alpha, dashboard, secret):
    response = alpha.client("editor").post(
        f"/api/v1/dashboards/{dashboard.pk}/embed-url/", "{}", content_type="application/json"
    )
    assert response.status_code == 403


def test_a_public_link_works_until_it_is_revoked(alpha, dashboard):
    owner = alpha.client("owner")
    published = owner.post(
        f"/api/v1/dashboards/{dashboard.pk}/publish/", "{}", content_type="application/json"
    )
    assert published.status_code == 201
    token = published.json()["token"]
    path = f"/public/dashboard/{token}"
    assert alpha.anonymous_client().get(path).status_code == 200
    assert len(rows_of(alpha.anonymous_client().get(path + "/data/"))) == 6
    assert alpha.anonymous_client().get(path)["X-Frame-Options"] == "DENY"

    assert owner.post(f"/api/v1/dashboards/{dashboard.pk}/unpublish/").json() == {"revoked": 1}
    gone = alpha.anonymous_client().get(path)
    assert gone.status_code == 404
    assert NOT_AVAILABLE in gone.content.decode()
    assert alpha.anonymous_client().get(path + "/data/").status_code == 404


def test_a_public_link_stops_working_when_it_expires(alpha, dashboard):
    from chat2chart.dashboards.models import PublicLink

    token = (
        alpha.client()
        .post(
            f"/api/v1/dashboards/{dashboard.pk}/publish/",
            json.dumps({"expires_in_days": 1}),
            content_type="application/json",
        )
        .json()["token"]
    )
    with alpha.activate():
        PublicLink.objects.update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert alpha.anonymous_client().get(f"/public/dashboard/{token}").status_code == 404


def test_only_the_token_hash_of_a_public_link_is_kept(alpha, dashboard):
    from chat2chart.dashboards.models import PublicLink

    token = (
        alpha.client()
        .post(f"/api/v1/dashboards/{dashboard.pk}/publish/", "{}", content_type="application/json")
        .json()["token"]
    )
    with alpha.activate():
        assert not PublicLink.objects.filter(token_hash=token).exists()


@pytest.mark.enterprise  # roles: in the core edition every member may do everything
def test_a_viewer_cannot_publish(alpha, dashboard):
    response = alpha.client("viewer").post(
        f"/api/v1/dashboards/{dashboard.pk}/publish/", "{}", content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.enterprise
def test_two_organisations_never_see_each_others_dashboards(alpha, beta, dashboard):
    with beta.activate():
        from chat2chart.dashboards import services

        services.dashboard_create(principal=Principal.for_user(beta.users["owner"]), title="Beta only")
    alpha_titles = [d["title"] for d in alpha.client().get("/api/v1/dashboards/").json()["dashboards"]]
    beta_titles = [d["title"] for d in beta.client().get("/api/v1/dashboards/").json()["dashboards"]]
    assert alpha_titles == ["Sales overview"]
    assert beta_titles == ["Beta only"]
    # Ids are per organisation: the same number on beta's host is beta's own dashboard or nothing.
    response = beta.client().get(f"/api/v1/dashboards/{dashboard.pk}/")
    assert response.status_code == 404 or response.json()["title"] == "Beta only"
    with alpha.activate():
        assert Widget.objects.filter(dashboard=dashboard).count() == 2
