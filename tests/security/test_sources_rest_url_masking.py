# SPDX-License-Identifier: MIT
"""Hardening: a REST URL carrying a key in its query string is shown masked to people who cannot
edit the source, in the API and on the pages, and never appears in an error message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.fixtures_sources import LocalApi
from tests.sources.fixtures_api import patch_json, post_json

API_KEY = "qs-Key-only-editors-see-5"


@pytest.fixture
def api() -> Iterator[LocalApi]:
    def routes(path: str, api: LocalApi):
        if path.startswith("/scores?"):
            return 200, {"rows": [{"team": "red", "score": 3}]}, {}
        return 404, {"error": "gone"}, {}

    served = LocalApi(routes)
    yield served
    served.close()


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


def _create(client, api: LocalApi) -> dict:
    config = {"url": f"{api.url}/scores?api_key={API_KEY}&team=red", "records_path": "rows"}
    created = post_json(client, "/api/v1/sources/", {"name": "Keyed API", "kind": "rest", "config": config})
    assert created.status_code == 201, created.content
    return created.json()


def test_a_failed_fetch_names_the_url_without_its_key(alpha, api):
    client = alpha.client("editor")
    source = _create(client, api)
    failed = patch_json(
        client,
        f"/api/v1/sources/{source['id']}/",
        {"config": {"url": f"{api.url}/missing?api_key={API_KEY}"}},
    ).json()
    assert failed["status"] == "failed"
    assert "404" in failed["error"]
    assert "api_key=***" in failed["error"]
    assert API_KEY not in failed["error"]
    for page in [f"/sources/{source['id']}/", "/sources/"]:
        response = alpha.client("viewer").get(page)
        assert response.status_code == 200
        assert "api_key=***" in response.content.decode()  # the error is shown, masked
        assert API_KEY not in response.content.decode()


@pytest.mark.enterprise  # the core edition has no viewers: every member may edit
def test_viewers_see_the_url_masked_and_editors_see_it_whole(alpha, api):
    source = _create(alpha.client("editor"), api)
    viewer = alpha.client("viewer")
    for url in ["/api/v1/sources/", f"/api/v1/sources/{source['id']}/"]:
        text = viewer.get(url).content.decode()
        assert API_KEY not in text
        assert "api_key=***" in text
        assert "team=red" in text
    editor_view = alpha.client("editor").get(f"/api/v1/sources/{source['id']}/").json()
    assert editor_view["config"]["url"].endswith(f"api_key={API_KEY}&team=red")
