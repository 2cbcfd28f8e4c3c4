# SPDX-License-Identifier: MIT
"""Security issue #4: every connection setting of a database source is a destination.

Pointing a stored source at another database or schema, or weakening its TLS mode, without
entering the password again would send the stored password somewhere its owner never chose.
"""

from __future__ import annotations

import pytest

from chat2chart.sources.connections import connection_fields
from tests.security import fixtures_sources as fx
from tests.sources.fixtures_api import error_message, patch_json, post_json


@pytest.fixture(scope="module")
def postgres_db():
    with fx.customer_postgres("dest") as config:
        yield config


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


def _stored(alpha, source_id: int):
    from chat2chart.core.secrets import decrypt_secret
    from chat2chart.sources.models import Source

    with alpha.activate():
        source = Source.objects.get(pk=source_id)
        return dict(source.config), decrypt_secret(source.secret)


@pytest.mark.parametrize(
    "change",
    [
        {"database": "postgres"},  # another database on the same server, which exists
        {"schema": "other_schema"},
        {"sslmode": "disable"},
        {"host": "127.0.0.2"},
        {"port": 5433},
        {"user": "someone_else"},
    ],
)
def test_changing_any_connection_setting_needs_the_password_again(alpha, postgres_db, change):
    client = alpha.client("editor")
    created = post_json(client, "/api/v1/sources/", {"name": "DB", "kind": "postgres", "config": postgres_db})
    assert created.status_code == 201, created.content
    source_id = created.json()["id"]
    before = _stored(alpha, source_id)

    response = patch_json(client, f"/api/v1/sources/{source_id}/", {"config": change})
    assert response.status_code == 400, response.content
    assert error_message(response).startswith("config.password")
    assert _stored(alpha, source_id) == before


def test_with_the_password_entered_again_the_change_is_made(alpha, postgres_db):
    client = alpha.client("editor")
    source_id = post_json(
        client, "/api/v1/sources/", {"name": "DB", "kind": "postgres", "config": postgres_db}
    ).json()["id"]
    response = patch_json(
        client,
        f"/api/v1/sources/{source_id}/",
        {"config": {"schema": "other_schema", "password": fx.PG_PASSWORD}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["tables"] == ["t"]
    config, secret = _stored(alpha, source_id)
    assert config["schema"] == "other_schema"
    assert secret == {"password": fx.PG_PASSWORD}


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_every_setting_but_the_password_counts_as_a_destination(kind):
    expected = {
        "postgres": {"host", "port", "database", "user", "schema", "sslmode"},
        "mysql": {"host", "port", "database", "user", "ssl"},
    }
    assert set(connection_fields(kind)) == expected[kind]
