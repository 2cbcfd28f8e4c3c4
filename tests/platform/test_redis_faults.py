# SPDX-License-Identifier: MIT
"""With Redis unreachable (cut through a TCP proxy the test controls): answers stay right with the
cache bypassed, the API budget fails open, sign-in throttling fails closed, /readyz names the cache
and the channel layer; when Redis is back everything works again without a restart."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from chat2chart.core.logs import formatter
from tests.conftest import PASSWORD
from tests.faultproxy import FaultProxy
from tests.sources.fixtures_api import REVENUE_BY_REGION, run_query, upload_source

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_proxy(settings: Any) -> Iterator[FaultProxy]:
    """Both caches and the channel layer go to Redis through a proxy, with 1 s timeouts."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    from channels.layers import channel_layers

    real = urlsplit(settings.REDIS_URL)
    with FaultProxy(real.hostname or "127.0.0.1", real.port or 6379) as proxy:
        url = f"redis://127.0.0.1:{proxy.port}{real.path}"
        options = {"socket_connect_timeout": 1, "socket_timeout": 1}
        settings.CACHES = {
            alias: {**config, "LOCATION": url, "OPTIONS": options}
            for alias, config in settings.CACHES.items()
        }
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": url, "socket_timeout": 1, "socket_connect_timeout": 1}]},
            }
        }
        channel_layers.backends.clear()
        try:
            yield proxy
        finally:
            channel_layers.backends.clear()


@pytest.fixture
def events() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def _names(stream: io.StringIO) -> set[str]:
    return {json.loads(line)["event"] for line in stream.getvalue().splitlines()}


def test_answers_stay_right_while_the_cache_is_bypassed(alpha, redis_proxy, events):
    client = alpha.client("editor")
    source = upload_source(client).json()
    expected = run_query(client, source["id"]).json()["rows"]

    redis_proxy.drop()
    during = [run_query(client, source["id"]) for _ in range(2)]

    assert [response.status_code for response in during] == [200, 200]
    assert [response.json()["rows"] for response in during] == [expected, expected]
    assert during[1].json()["cached"] is False  # nothing could be stored, nothing was served stale
    assert "cache_unavailable" in _names(events)

    redis_proxy.restore()
    again = [run_query(client, source["id"], REVENUE_BY_REGION).json() for _ in range(2)]
    assert [body["rows"] for body in again] == [expected, expected]
    assert again[1]["cached"] is True  # the cache is used again, without a restart


def test_the_api_budget_fails_open_while_redis_is_down(alpha, redis_proxy, settings, events):
    settings.AISER_API_RATE = "1/m"
    client = alpha.client("viewer")

    redis_proxy.drop()
    during = [client.get("/api/v1/me/").status_code for _ in range(3)]
    redis_proxy.restore()
    after = [client.get("/api/v1/me/").status_code for _ in range(2)]

    assert during == [200, 200, 200]
    assert "rate_limit_unavailable" in _names(events)
    assert after == [200, 429]  # counted again as soon as Redis is back


def test_sign_in_fails_closed_while_redis_is_down(alpha, redis_proxy):
    person = alpha.users["viewer"]

    def sign_in() -> tuple[Client, Any]:
        client = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="203.0.113.50")
        return client, client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})

    redis_proxy.drop()
    refused, response = sign_in()
    # The right password is refused: attempts that cannot be counted are not allowed.
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in refused.session

    redis_proxy.restore()
    accepted, response = sign_in()
    assert response.status_code == 302
    assert accepted.session["_auth_user_id"] == str(person.pk)


def test_readyz_names_the_cache_and_the_channel_layer(redis_proxy, db, settings):
    client = Client(HTTP_HOST="localhost" if settings.ENTERPRISE else "testserver")
    assert client.get("/readyz").status_code == 200

    redis_proxy.drop()
    down = client.get("/readyz")
    redis_proxy.restore()
    from channels.layers import channel_layers

    channel_layers.backends.clear()  # a fresh layer, as a new worker would have; the old one reconnects too
    back = client.get("/readyz")

    assert down.status_code == 503
    assert sorted(down.json()["failing"]) == ["cache", "channel_layer"]
    assert back.status_code == 200


def test_the_anonymous_embed_limit_fails_open_while_redis_is_down(alpha, redis_proxy, rf):
    from django_ratelimit.core import is_ratelimited

    def limited() -> bool:
        request = rf.get("/embed/x/", REMOTE_ADDR="198.51.100.77")
        with alpha.activate():
            return is_ratelimited(request, group="faults-embed", key="ip", rate="1/m", increment=True)

    redis_proxy.drop()
    during = [limited(), limited()]
    redis_proxy.restore()
    after = [limited(), limited()]

    assert during == [False, False]
    assert after == [False, True]


@pytest.fixture
def broker_proxy(settings: Any) -> Iterator[FaultProxy]:
    """Celery's broker (Redis) behind a proxy, tasks really sent (not eager), no publish retries."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    from aiser.celery import app

    real = urlsplit(settings.REDIS_URL)
    names = ("broker_url", "task_always_eager", "task_publish_retry", "broker_connection_timeout")
    saved = {name: app.conf[name] for name in names}
    with FaultProxy(real.hostname or "127.0.0.1", real.port or 6379) as proxy:
        app.conf.update(
            broker_url=f"redis://127.0.0.1:{proxy.port}/13",  # a db of its own: nothing consumes it
            task_always_eager=False,
            task_publish_retry=False,
            broker_connection_timeout=1,
        )
        settings.CELERY_TASK_ALWAYS_EAGER = False
        _forget_broker_connections(app)
        try:
            yield proxy
        finally:
            app.conf.update(saved)
            _forget_broker_connections(app)


def _forget_broker_connections(app: Any) -> None:
    """Drop the app's connection and producer pools so the next send connects to the current broker_url."""
    app._pool = None
    app.amqp._producer_pool = None


def test_an_upload_while_the_task_queue_is_down_says_to_try_again_and_is_never_a_500(
    alpha, broker_proxy, events, django_capture_on_commit_callbacks
):
    client = alpha.client("editor")
    broker_proxy.drop()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload_source(client, file_name="queued.csv")
    assert response.status_code == 201, response.content
    shown = client.get(f"/api/v1/sources/{response.json()['id']}/").json()
    assert shown["status"] == "failed"
    assert "task queue is unavailable" in shown["error"]
    assert "try again" in shown["error"]
    assert "task_queue_unavailable" in _names(events)

    broker_proxy.restore()
    with django_capture_on_commit_callbacks(execute=True):
        again = upload_source(client, file_name="queued.csv")
    assert again.status_code == 201, again.content
    # Queued this time (no worker runs in this test): pending, not failed.
    assert client.get(f"/api/v1/sources/{again.json()['id']}/").json()["status"] == "pending"
