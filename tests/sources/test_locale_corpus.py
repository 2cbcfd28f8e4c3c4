# SPDX-License-Identifier: MIT
"""Every file of the locale corpus, uploaded through the API, is stored with the typed values its
author meant: decimal commas, foreign thousands separators, day-first and month-first dates,
ambiguous dates (with a warning), delimiter ties, stray markers and a Windows-1252 file.

The expected values sit next to each file in `<name>.expected.json`, written by hand from what the
file says, never from what Aiser produced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sources.fixtures_api import upload_source

CORPUS = Path(__file__).parent / "locale_corpus"
FILES = sorted(path for path in CORPUS.iterdir() if not path.name.endswith(".expected.json"))


def _expected(path: Path) -> dict:
    return json.loads((CORPUS / f"{path.stem}.expected.json").read_text(encoding="utf-8"))


def test_the_corpus_covers_every_kind_of_file():
    assert len(FILES) == 12
    assert all((CORPUS / f"{path.stem}.expected.json").is_file() for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_corpus_file_is_stored_with_the_values_its_author_meant(alpha, path):
    expected = _expected(path)
    client = alpha.client("editor")

    created = upload_source(client, path.read_bytes(), file_name=path.name)

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "ready", body["error"]
    read_as = body["config"]["read_as"]
    assert {key: read_as.get(key) for key in expected.get("read_as", {})} == expected.get("read_as", {})
    warnings = body["config"]["warnings"]
    for fragment in expected.get("warnings", []):
        assert any(fragment in warning for warning in warnings), (fragment, warnings)
    if not expected.get("warnings"):
        assert not any("could be" in warning for warning in warnings), warnings

    table = body["tables"][0]
    detail = client.get(f"/api/v1/sources/{body['id']}/tables/{table}/").json()
    assert {column["name"]: column["type"] for column in detail["columns"]} == expected["types"]
    preview = client.get(f"/api/v1/sources/{body['id']}/tables/{table}/preview/").json()
    assert [column["name"] for column in preview["columns"]] == list(expected["types"])
    assert preview["rows"] == [
        [pytest.approx(value) if isinstance(value, float) else value for value in row]
        for row in expected["rows"]
    ]
