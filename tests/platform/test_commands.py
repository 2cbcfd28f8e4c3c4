# SPDX-License-Identifier: MIT
"""Operator commands: create an organisation, print an API key on the last line, seed the demo twice."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.enterprise


def test_create_org_then_a_key_that_works(db):
    out = StringIO()
    call_command(
        "create_org",
        "delta-co",
        name="Delta",
        owner_email="boss@delta.test",
        owner_password="a-long-enough-passphrase-9",
        stdout=out,
    )
    assert "http://delta-co.localhost" in out.getvalue()
    out = StringIO()
    call_command(
        "create_api_key", org="delta-co", email="boss@delta.test", name="ci", role="editor", stdout=out
    )
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("ak_")
    me = Client(HTTP_HOST="delta-co.localhost", HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me/").json()
    assert me["organization"]["role"] == "editor"


def test_create_org_refuses_a_taken_slug(alpha):
    with pytest.raises(CommandError, match="already taken"):
        call_command(
            "create_org",
            "alpha",
            name="Again",
            owner_email="x@alpha2.test",
            owner_password="a-long-enough-passphrase-9",
        )


def test_api_errors_are_json_even_when_something_breaks(alpha, monkeypatch):
    from chat2chart.core import views

    def broken(user):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(views.hooks, "workspace_info", broken)
    response = alpha.client().get("/api/v1/me/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "fire" not in response.content.decode()
