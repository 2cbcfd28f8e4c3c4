# SPDX-License-Identifier: MIT
"""Security issue #2: a REST source's secret headers go only to the origin of its URL.

Two local servers on different ports are two origins: the API pages to the "attacker", who must
never see the Authorization header; an editor who never sees the headers cannot re-point
pagination without entering them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chat2chart.sources.connectors.rest import RestSpec, fetch_records
from tests.security.fixtures_sources import LocalApi
from tests.sources.fixtures_api import error_message, patch_json, post_json

TOKEN = "Bearer rest-secret-for-the-api-only"


@pytest.fixture
def attacker() -> Iterator[LocalApi]:
    api = LocalApi(lambda path, api: (200, {"rows": [{"id": 99}], "next": None}, {}))
    yield api
    api.close()


@pytest.fixture
def api(attacker: LocalApi) -> Iterator[LocalApi]:
    def routes(path: str, api: LocalApi) -> tuple[int, Any, dict[str, str]]:
        if path == "/body-next":
            return 200, {"rows": [{"id": 1}], "next": f"{attacker.url}/steal"}, {}
        if path == "/link-next":
            return 200, {"rows": [{"id": 1}]}, {"Link": f'<{attacker.url}/steal>; rel="next"'}
        if path == "/same-origin":
            return 200, {"rows": [{"id": 1}], "next": "/last"}, {}
        if path == "/last":
            return 200, {"rows": [{"id": 2}], "next": None}, {}
        return 404, {"error": "no such page"}, {}

    served = LocalApi(routes)
    yield served
    served.close()


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


def _fetch(url: str, **spec: Any) -> list[dict[str, Any]]:
    return fetch_records(
        RestSpec(url=url, headers={"Authorization": TOKEN}, records_path="rows", pagination="link", **spec),
        allow_private=True,
        timeout_s=5,
        max_bytes=100_000,
    )


def test_a_next_link_in_the_body_to_another_origin_gets_no_authorization(api, attacker):
    records = _fetch(f"{api.url}/body-next", next_path="next")
    assert records == [{"id": 1}, {"id": 99}]
    assert api.authorizations() == [TOKEN]
    assert attacker.authorizations() == [None]


def test_a_link_header_to_another_origin_gets_no_authorization(api, attacker):
    assert _fetch(f"{api.url}/link-next") == [{"id": 1}, {"id": 99}]
    assert attacker.authorizations() == [None]


def test_next_links_on_the_same_origin_keep_the_headers(api):
    assert _fetch(f"{api.url}/same-origin", next_path="next") == [{"id": 1}, {"id": 2}]
    assert api.authorizations() == [TOKEN, TOKEN]


def _create(client, url: str, **config: Any):
    body = {"url": url, "records_path": "rows", "headers": {"Authorization": TOKEN}, **config}
    return post_json(client, "/api/v1/sources/", {"name": "Paged API", "kind": "rest", "config": body})


def test_a_rest_source_paging_to_another_origin_never_sends_it_the_token(alpha, api, attacker):
    client = alpha.client("editor")
    created = _create(client, f"{api.url}/body-next", pagination="link", next_path="next")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "ready", created.json()["error"]
    assert created.json()["progress"]["rows"] == 2
    assert api.authorizations() == [TOKEN]
    assert attacker.authorizations() == [None]


@pytest.mark.parametrize(
    "change",
    [
        {"pagination": "link", "next_path": "next"},  # follow a field the API's owner may not control
        {"pagination": "link"},  # follow the Link header
        {"url": "http://127.0.0.2:9/elsewhere"},  # another origin outright
    ],
)
def test_changing_where_requests_go_needs_the_headers_again(alpha, api, change):
    client = alpha.client("editor")
    source = _create(client, f"{api.url}/same-origin").json()
    response = patch_json(client, f"/api/v1/sources/{source['id']}/", {"config": change})
    assert response.status_code == 400, response.content
    assert error_message(response).startswith("config.headers")
    again = patch_json(
        client,
        f"/api/v1/sources/{source['id']}/",
        {"config": {**change, "headers": {"Authorization": TOKEN}}},
    )
    assert again.status_code == 200, again.content


def test_settings_that_do_not_move_requests_keep_the_headers(alpha, api):
    client = alpha.client("editor")
    source = _create(client, f"{api.url}/same-origin", pagination="link", next_path="next").json()
    response = patch_json(client, f"/api/v1/sources/{source['id']}/", {"config": {"page_cap": 5}})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready", response.json()["error"]
    assert set(api.authorizations()) == {TOKEN}
