# SPDX-License-Identifier: MIT
"""Tenant context outside the request cycle: cache keys, websockets, tasks. Two organisations each."""

import pytest
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.core.cache import caches
from django.db import connection

from chat2chart.core import hooks
from chat2chart.core.asyncdb import in_scope
from chat2chart.core.principal import Principal

pytestmark = pytest.mark.enterprise


@pytest.mark.parametrize("alias", ["default", "ratelimit"])
def test_cache_keys_never_cross_organisations(alpha, beta, alias):
    cache = caches[alias]
    with alpha.activate():
        cache.set("answer", "alpha's rows")
    with beta.activate():
        assert cache.get("answer") is None
        cache.set("answer", "beta's rows")
    with alpha.activate():
        assert cache.get("answer") == "alpha's rows"


def test_workspace_hooks_fail_closed_on_the_public_schema(db):
    connection.set_schema_to_public()
    with pytest.raises(RuntimeError, match="no organisation"):
        hooks.current_workspace()
    with pytest.raises(RuntimeError, match="must name its organisation"), hooks.workspace_context(""):
        pass
    with pytest.raises(RuntimeError, match="unknown organisation"), hooks.workspace_context("org_nobody"):
        pass


def test_task_workspace_context_enters_only_that_schema(alpha, beta):
    with hooks.workspace_context(alpha.workspace_name):
        assert hooks.current_workspace() == "org_alpha"
    with hooks.workspace_context(beta.workspace_name):
        assert connection.schema_name == "org_beta"


class _WhereAmI(AsyncJsonWebsocketConsumer):
    """A consumer that reports the schema its database calls run in and who is connected."""

    async def connect(self):
        await self.accept()
        schema = await in_scope(self.scope, lambda: hooks.current_workspace())()
        allowed = await in_scope(
            self.scope, lambda: hooks.can(Principal.for_user(self.scope["user"]), hooks.VIEW)
        )()
        await self.send_json({"schema": schema, "allowed": allowed})


def _application():
    from channels.auth import AuthMiddlewareStack

    from chat2chart.core.websocket import SameOriginMiddleware
    from enterprise.tenants.asgi import OrganizationScopeMiddleware

    return SameOriginMiddleware(OrganizationScopeMiddleware(AuthMiddlewareStack(_WhereAmI.as_asgi())))


def _communicator(host, origin, cookie=b""):
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(_application(), "/ws/test/", headers=headers)


def _session_cookie(workspace, role):
    client = workspace.client(role)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.django_db(transaction=False)
async def test_websocket_database_calls_run_in_the_host_organisation(alpha, beta):
    for workspace in (alpha, beta):
        communicator = _communicator(workspace.host, f"http://{workspace.host}")
        connected, _ = await communicator.connect()
        assert connected
        message = await communicator.receive_json_from()
        assert message["schema"] == workspace.workspace_name
        await communicator.disconnect()


async def test_websocket_of_a_non_member_gets_no_permission(alpha, beta):
    from asgiref.sync import sync_to_async

    cookie = await sync_to_async(_session_cookie)(alpha, "owner")
    own = _communicator(alpha.host, f"http://{alpha.host}", cookie)
    assert (await own.connect())[0]
    assert (await own.receive_json_from())["allowed"] is True
    await own.disconnect()
    # Alpha's owner, on beta's host: connected to beta's schema, but beta's policy refuses them.
    other = _communicator(beta.host, f"http://{beta.host}", cookie)
    assert (await other.connect())[0]
    assert (await other.receive_json_from())["allowed"] is False
    await other.disconnect()


async def test_websocket_from_another_origin_is_refused(alpha, beta):
    communicator = _communicator(alpha.host, f"http://{beta.host}")
    connected, _ = await communicator.connect()
    assert not connected


async def test_websocket_to_an_unknown_host_is_refused(db):
    communicator = _communicator("nobody.localhost", "http://nobody.localhost")
    connected, _ = await communicator.connect()
    assert not connected


def test_periodic_refresh_visits_every_organisation_in_its_own_schema(alpha, beta, monkeypatch):
    from chat2chart.sources import services, tasks

    visited = []
    monkeypatch.setattr(
        services, "refresh_due_sources_in_workspace", lambda: visited.append(hooks.current_workspace()) or []
    )
    dispatched = tasks.refresh_due_sources_everywhere()
    assert {"org_alpha", "org_beta"} <= set(dispatched)
    assert visited == dispatched


def test_task_without_an_organisation_fails_closed(db):
    from chat2chart.sources import tasks

    with pytest.raises(RuntimeError, match="must name its organisation"):
        tasks.refresh_due_sources("")
