# SPDX-License-Identifier: MIT
"""The model pages: the list with each table's automatic model, the editor page (viewers read,
editors save), the history with authors, the Cube export as a zip, and two organisations apart."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml

from chat2chart.semantic.cube_import import import_cube_project
from chat2chart.semantic.yaml_io import load_model
from tests.semantic.test_api import auto_model, upload_shop
from tests.sources.fixtures_api import post_json


def test_the_list_shows_models_and_every_tables_automatic_model(alpha):
    client = alpha.client("editor")
    source = upload_shop(client)
    model = auto_model(client, source, name="Shop model")

    page = client.get("/models/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Shop model" in html
    assert f'href="/models/{model["id"]}/"' in html
    for table in ("customers", "orders", "order_lines"):
        assert f'href="/models/auto/{source}/{table}/"' in html
    assert 'href="/models/"' in client.get("/dashboards/").content.decode()  # in the navigation


def test_the_automatic_model_of_one_table_is_shown_and_saved_by_an_editor(alpha):
    client = alpha.client("editor")
    source = upload_shop(client)

    shown = client.get(f"/models/auto/{source}/orders/")
    assert shown.status_code == 200
    assert "sql_table: orders" in shown.content.decode()

    created = client.post("/models/", {"source": source, "table": "orders", "name": "Orders only"})
    assert created.status_code == 302
    models = client.get("/api/v1/semantic/models/").json()
    saved = next(m for m in models if m["name"] == "Orders only")
    assert created["Location"] == f"/models/{saved['id']}/"
    assert [c.name for c in load_model(saved["yaml"]).cubes] == ["orders"]


@pytest.mark.enterprise  # roles are an enterprise feature; in the core edition every member edits
def test_viewers_read_the_editor_but_cannot_save_or_create(alpha):
    editor = alpha.client("editor")
    model = auto_model(editor, upload_shop(editor))
    viewer = alpha.client("viewer")

    page = viewer.get(f"/models/{model['id']}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="yaml-text"' in html
    assert "readonly" in html
    assert 'id="model-save"' not in html
    assert 'id="model-save"' in editor.get(f"/models/{model['id']}/").content.decode()
    refused = viewer.post("/models/", {"source": 1, "table": "orders"})
    assert refused.status_code == 404
    put = viewer.put(f"/api/v1/semantic/models/{model['id']}/", {"yaml": "cubes: []"}, "application/json")
    assert put.status_code == 403


def test_the_state_lists_versions_with_their_authors_and_the_models_members(alpha):
    client = alpha.client("editor")
    model = auto_model(client, upload_shop(client))
    edited = model["yaml"].replace("title: Number of rows", "title: Orders", 1)
    assert (
        client.put(
            f"/api/v1/semantic/models/{model['id']}/", {"yaml": edited}, "application/json"
        ).status_code
        == 200
    )

    state = client.get(f"/models/{model['id']}/state/").json()

    assert state["model"]["version"] == 2
    assert [v["number"] for v in state["versions"]] == [2, 1]
    assert {v["author"] for v in state["versions"]} == {alpha.users["editor"].email}
    assert "+    title: Orders" in state["versions"][0]["diff"]
    measures = {m["name"]: m["label"] for m in state["members"]["measures"]}
    assert measures["customers.count"] == "Orders"  # the first cube's count measure was retitled
    dimensions = {d["name"]: d["type"] for d in state["members"]["dimensions"]}
    assert dimensions["orders.created_at"] == "time"


def test_validation_points_at_the_line_and_field_of_a_problem(alpha):
    client = alpha.client("viewer")
    text = (
        "cubes:\n  - name: orders\n    sql_table: orders\n"
        "    measures:\n      - name: total\n        type: total\n"
    )

    checked = post_json(client, "/api/v1/semantic/models/validate/", {"yaml": text})

    assert checked.status_code == 200
    problem = checked.json()["problems"][0]
    assert (problem["line"], problem["cube"], problem["member"], problem["field"]) == (
        6,
        "orders",
        "total",
        "type",
    )


def test_a_key_written_twice_is_refused_with_its_line_and_not_saved(alpha):
    client = alpha.client("editor")
    model = auto_model(client, upload_shop(client))
    text = (
        "cubes:\n  - name: orders\n    sql_table: orders\n"
        "    measures:\n      - name: total\n        type: count\n"
        "        title: Orders\n        title: Order count\n"
    )

    checked = post_json(client, "/api/v1/semantic/models/validate/", {"yaml": text})
    saved = client.put(f"/api/v1/semantic/models/{model['id']}/", {"yaml": text}, "application/json")

    assert checked.status_code == 200
    [problem] = checked.json()["problems"]
    assert (problem["line"], problem["cube"], problem["member"], problem["field"]) == (
        8,
        "orders",
        "total",
        "title",
    )
    assert "line 7" in problem["message"]
    assert saved.status_code == 400
    assert client.get(f"/api/v1/semantic/models/{model['id']}/").json()["version"] == 1


def test_the_cube_export_zip_imports_back_to_the_same_cubes(alpha):
    client = alpha.client("viewer")
    editor = alpha.client("editor")
    model = auto_model(editor, upload_shop(editor))

    download = client.get(f"/models/{model['id']}/export.zip")

    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert all(path.startswith("model/") for path in files)
    assert all(isinstance(yaml.safe_load(text), dict) for text in files.values())
    imported, report = import_cube_project(files)
    original = load_model(model["yaml"])
    assert not report.problems
    assert sorted(c.name for c in imported.cubes) == sorted(c.name for c in original.cubes)
    for cube in original.cubes:
        back = imported.cube(cube.name)
        assert back is not None
        assert {m.name: m.type for m in back.measures} == {m.name: m.type for m in cube.measures}


def test_another_organisation_cannot_open_the_model(alpha, beta):
    client = alpha.client("editor")
    model = auto_model(client, upload_shop(client), name="Alpha's secret model")

    pages = ("", "state/", "export.zip")
    for url in (f"/models/{model['id']}/{page}" for page in pages):
        assert beta.client("owner").get(url).status_code == 404
    listed = beta.client("owner").get("/models/").content.decode()
    assert "secret model" not in listed
    assert f"/models/{model['id']}/" not in listed
