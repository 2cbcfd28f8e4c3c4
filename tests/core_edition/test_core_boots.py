# SPDX-License-Identifier: MIT
"""The open core on its own (`AISER_EDITION=core`): one workspace, no enterprise code loaded."""

import sys

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client

from chat2chart.core import hooks
from chat2chart.core.principal import Principal

pytestmark = pytest.mark.core


def test_no_enterprise_app_or_module_is_loaded():
    assert settings.AISER_EDITION == "core"
    assert not [
        app.name for app in apps.get_app_configs() if app.name.startswith(("enterprise", "django_tenants"))
    ]
    assert not [name for name in sys.modules if name == "enterprise" or name.startswith("enterprise.")]


def test_sign_up_lands_in_the_workspace(db):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "solo@example.test",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert response.status_code == 302
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(email="solo@example.test").update(verified=True)
    assert client.login(email="solo@example.test", password="a-long-enough-passphrase-9")
    assert client.get("/").status_code == 200


def test_me_describes_the_single_workspace(alpha):
    body = alpha.client("viewer").get("/api/v1/me/").json()
    assert body["organization"]["slug"] == "default"
    assert body["user"]["email"] == "viewer@default.test"


def test_default_hooks_allow_signed_in_people_and_nobody_else(alpha):
    from django.contrib.auth.models import AnonymousUser

    assert hooks.can(Principal.for_user(alpha.users["viewer"]), hooks.DELETE)
    assert not hooks.can(Principal.for_user(AnonymousUser()), hooks.VIEW)
    assert hooks.current_workspace() == "default"


def test_upload_and_query_a_csv(alpha, tmp_path):
    client = alpha.client()
    csv = tmp_path / "sales.csv"
    csv.write_text("region,revenue\nNorth,10\nSouth,5\nNorth,7\n")
    with csv.open("rb") as handle:
        created = client.post("/api/v1/sources/", {"name": "Sales", "file": handle})
    assert created.status_code == 201, created.content
    source = client.get(f"/api/v1/sources/{created.json()['id']}/").json()
    assert source["status"] == "ready", source
    table = client.get(f"/api/v1/sources/{source['id']}/tables/").json()[0]["name"]
    result = client.post(
        "/api/v1/query/",
        {
            "source": source["id"],
            "table": table,
            "measures": [{"field": "revenue", "agg": "sum"}],
            "dimensions": [{"field": "region"}],
            "order": [{"field": "region", "dir": "asc"}],
        },
        content_type="application/json",
    ).json()
    assert result["rows"] == [["North", 17], ["South", 5]]


def test_api_errors_keep_their_shape(alpha):
    response = alpha.client().get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
