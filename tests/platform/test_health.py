# SPDX-License-Identifier: MIT
"""/healthz says the process is up; /readyz checks database, cache and channel layer."""

import pytest
from django.test import Client


def test_healthz_answers_without_a_database(client_on_public):
    assert client_on_public.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_every_dependency(client_on_public):
    response = client_on_public.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == ["cache", "channel_layer", "database"]


def test_readyz_names_the_failing_part(client_on_public, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client_on_public.get("/readyz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert list(response.json()["failing"]) == ["channel_layer"]


@pytest.fixture
def client_on_public(db, settings):
    host = "localhost" if settings.ENTERPRISE else "testserver"
    return Client(HTTP_HOST=host)
