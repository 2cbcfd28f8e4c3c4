# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""A suspended organisation: its members see a page saying so, its API, embeds and websocket refuse
with a clear error, its data is kept; the other organisation works throughout; reactivation restores."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from enterprise.console.services import organization_reactivate, organization_suspend

pytestmark = pytest.mark.enterprise


def _bearer(workspace: Any) -> Client:
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    with workspace.activate():
        made = api_key_create(
            organization=workspace.organization,
            principal=Principal.for_user(workspace.users["owner"]),
            name="ci",
            role="viewer",
        )
    return Client(HTTP_HOST=workspace.host, HTTP_AUTHORIZATION=f"Bearer {made.raw_key}")


def test_a_suspended_organisation_refuses_while_the_other_works(alpha, beta, staff):
    alpha_key, beta_key = _bearer(alpha), _bearer(beta)
    organization_suspend(organization=alpha.organization, actor=staff, reason="Unpaid invoices")

    page = alpha.client("viewer").get("/dashboards/")
    assert page.status_code == 403
    assert b"is suspended" in page.content
    api = alpha.client("viewer").get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "organization_suspended"
    assert alpha_key.get("/api/v1/me/").json()["error"]["code"] == "organization_suspended"
    embed = alpha.anonymous_client().get("/embed/dashboard/any-token/data/")
    assert embed.status_code == 403
    assert embed.json()["error"]["code"] == "organization_suspended"
    assert alpha.anonymous_client().get("/public/dashboard/any").json()["error"]["code"] == (
        "organization_suspended"
    )
    # Signing in and out still works, so members can read the page.
    assert alpha.anonymous_client().get("/accounts/login/").status_code == 200

    assert beta.client("viewer").get("/api/v1/me/").status_code == 200
    assert beta_key.get("/api/v1/me/").status_code == 200
    assert beta.client("viewer").get("/dashboards/").status_code == 200


def test_people_who_are_not_members_learn_nothing_of_the_suspension(alpha, beta, staff):
    organization_suspend(organization=alpha.organization, actor=staff, reason="Unpaid invoices")
    outsider = Client(HTTP_HOST=alpha.host)
    outsider.force_login(beta.users["viewer"])
    assert outsider.get("/dashboards/").status_code == 404
    signed_out = alpha.anonymous_client().get("/dashboards/")
    assert signed_out.status_code == 302
    assert "/accounts/login/" in signed_out["Location"]


def test_reactivation_restores_the_organisation_with_its_data(alpha, staff):
    from enterprise.tenants.models import Membership

    members = Membership.objects.filter(organization=alpha.organization).count()
    before = alpha.client("viewer").get("/api/v1/sources/").json()
    organization_suspend(organization=alpha.organization, actor=staff, reason="Abuse report")
    assert alpha.client("viewer").get("/api/v1/sources/").status_code == 403
    organization_reactivate(organization=alpha.organization, actor=staff)
    assert alpha.client("viewer").get("/api/v1/sources/").json() == before
    assert Membership.objects.filter(organization=alpha.organization).count() == members


def _committed(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run in a thread of its own, so the change is committed (the websocket reads it elsewhere)."""

    def run() -> Any:
        from django.db import connections

        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def _handshake(workspace: Any, cookie: bytes) -> tuple[bool, Any]:
    from aiser.asgi import application

    headers = [
        (b"host", workspace.host.encode()),
        (b"origin", f"http://{workspace.host}".encode()),
        (b"cookie", cookie),
    ]
    communicator = WebsocketCommunicator(application, "/ws/conversations/1/", headers=headers)
    connected, code = await communicator.connect(timeout=10)
    await communicator.disconnect()
    return connected, code


def test_the_websocket_of_a_suspended_organisation_refuses_the_handshake(alpha, beta):
    from chat2chart.accounts.models import User
    from chat2chart.conversations.consumers import REFUSED
    from enterprise.console.models import StaffAction
    from enterprise.tenants.models import Organization

    staff = _committed(
        User.objects.create_user,
        email="ws-staff@platform.test",
        password="x-long-passphrase-1",
        is_staff=True,
    )
    target = _committed(Organization.objects.get, pk=alpha.organization.pk)
    _committed(organization_suspend, organization=target, actor=staff, reason="Security hold")
    try:
        alpha_cookie = f"sessionid={alpha.client('viewer').cookies['sessionid'].value}".encode()
        beta_cookie = f"sessionid={beta.client('viewer').cookies['sessionid'].value}".encode()
        # Refused at the door, before any consumer runs...
        connected, code = asyncio.run(_handshake(alpha, alpha_cookie))
        assert connected is False
        assert code != REFUSED
        # ...while the other organisation's handshake reaches its consumer (which finds no such
        # conversation and refuses with its own code).
        assert asyncio.run(_handshake(beta, beta_cookie)) == (False, REFUSED)
    finally:
        _committed(organization_reactivate, organization=target, actor=staff)
        _committed(User.objects.filter(pk=staff.pk).delete)
        _committed(StaffAction.objects.filter(actor_email="ws-staff@platform.test").delete)
