# SPDX-License-Identifier: MIT
"""The semantic API end to end: an uploaded Excel workbook with three sheets becomes one source, its
automatic model answers model queries like plain Python does, every save is a version that can be
rolled back, Cube projects come in and go out, and models never cross organisations."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.semantic.shop import shop_rows
from tests.sources.fixtures_api import error_message, post_json, upload_source

ROWS = shop_rows()
HEADERS = {
    "customers": ["id", "segment", "credit"],
    "orders": ["id", "customer_id", "status", "created_at", "shipping"],
    "order_lines": ["id", "order_id", "product", "quantity", "price"],
}
PROJECT = Path(__file__).parent / "cube_project"


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, header in HEADERS.items():
        sheet = book.create_sheet(name)
        sheet.append(header)
        for row in ROWS[name]:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_shop(client: Any) -> int:
    created = upload_source(client, workbook_bytes(), file_name="shop.xlsx", name="Shop")
    assert created.status_code == 201, created.content
    assert sorted(created.json()["tables"]) == ["customers", "order_lines", "orders"]
    return created.json()["id"]


def auto_model(client: Any, source: int, name: str = "Shop") -> dict[str, Any]:
    response = post_json(client, "/api/v1/semantic/models/auto/", {"source": source, "name": name})
    assert response.status_code == 201, response.content
    return response.json()


def run(client: Any, model: int, query: dict[str, Any], **extra: Any) -> Any:
    return post_json(client, "/api/v1/semantic/query/", {"model": model, "query": query, **extra})


def by_first_column(response: Any) -> dict[Any, list[Any]]:
    assert response.status_code == 200, response.content
    return {row[0]: [round(float(v), 4) for v in row[1:]] for row in response.json()["rows"]}


def test_uploaded_workbook_gets_an_automatic_model_that_answers_like_python(alpha):
    client = alpha.client("editor")
    source = upload_shop(client)
    model = auto_model(client, source)
    assert "customer_id = {customers}.id" in model["yaml"]  # the join was suggested and kept

    answer = run(
        client,
        model["id"],
        {
            "measures": ["orders.total_shipping", "order_lines.total_quantity", "orders.count"],
            "dimensions": ["customers.segment"],
        },
    )

    segment = {c[0]: c[1] for c in ROWS["customers"]}
    order_segment = {o[0]: segment[o[1]] for o in ROWS["orders"]}
    want: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for order in ROWS["orders"]:
        want[segment[order[1]]][0] += order[4]
        want[segment[order[1]]][2] += 1
    for line in ROWS["order_lines"]:
        want[order_segment[line[1]]][1] += line[3]
    assert by_first_column(answer) == {k: [round(v, 4) for v in values] for k, values in want.items()}
    body = answer.json()
    assert [c["name"] for c in body["columns"]] == [
        "customers.segment",
        "orders.total_shipping",
        "order_lines.total_quantity",
        "orders.count",
    ]
    assert "LEFT JOIN" in body["sql"]


def test_order_shipping_by_product_is_not_multiplied_by_lines(alpha):
    client = alpha.client("editor")
    model = auto_model(client, upload_shop(client))

    answer = run(
        client, model["id"], {"measures": ["orders.total_shipping"], "dimensions": ["order_lines.product"]}
    )

    orders = {o[0]: o[4] for o in ROWS["orders"]}
    products: dict[Any, set[int]] = defaultdict(set)
    for line in ROWS["order_lines"]:
        products[line[2]].add(line[1])
    products[None] = set(orders) - {line[1] for line in ROWS["order_lines"]}
    want = {p: [round(sum(orders[o] for o in ids), 4)] for p, ids in products.items()}
    assert by_first_column(answer) == want


def test_every_save_is_a_version_with_author_and_diff_and_can_be_rolled_back(alpha):
    client = alpha.client("editor")
    model = auto_model(client, upload_shop(client))
    url = f"/api/v1/semantic/models/{model['id']}/"
    edited = model["yaml"].replace("title: Number of rows", "title: Orders", 1)
    assert edited != model["yaml"]

    saved = client.put(url, {"yaml": edited}, content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 2

    versions = client.get(f"{url}versions/").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["author"] == alpha.users["editor"].pk
    assert "-    title: Number of rows" in versions[0]["diff"]
    assert "+    title: Orders" in versions[0]["diff"]

    rolled = post_json(client, f"{url}rollback/", {"version": 1})
    assert rolled.status_code == 200, rolled.content
    assert rolled.json()["version"] == 3
    assert rolled.json()["yaml"] == model["yaml"]
    assert client.get(f"{url}versions/").json()[0]["note"] == "rolled back to version 1"


def test_invalid_yaml_is_refused_with_lines_and_the_model_is_unchanged(alpha):
    client = alpha.client("editor")
    model = auto_model(client, upload_shop(client))
    url = f"/api/v1/semantic/models/{model['id']}/"
    broken = model["yaml"].replace("type: sum", "type: total", 1)
    line = broken.splitlines().index("    type: total") + 1

    refused = client.put(url, {"yaml": broken}, content_type="application/json")
    assert refused.status_code == 400
    [problem] = refused.json()["error"]["details"]
    assert problem["line"] == line
    assert problem["field"] == "type"
    assert client.get(url).json()["version"] == 1

    checked = post_json(client, "/api/v1/semantic/models/validate/", {"yaml": broken})
    assert checked.json()["valid"] is False
    assert checked.json()["problems"][0]["line"] == line


def test_unknown_tables_and_columns_of_the_source_are_refused_with_their_lines(alpha):
    client = alpha.client("editor")
    source = upload_shop(client)
    text = (
        f"source: {source}\ncubes:\n  - name: o\n    sql_table: orders\n    measures:\n"
        "      - name: total\n        type: sum\n        sql: amount\n"
        "  - name: x\n    sql_table: invoices\n"
    )

    refused = post_json(client, "/api/v1/semantic/models/", {"name": "Bad", "yaml": text})

    assert refused.status_code == 400
    problems = {(p["cube"], p["line"]): p["message"] for p in refused.json()["error"]["details"]}
    assert problems[("o", 8)] == "table 'orders' has no column 'amount'"
    assert problems[("x", 10)].startswith("'invoices' is not a table of the source")
    missing = post_json(client, "/api/v1/semantic/models/validate/", {"yaml": "source: 999\ncubes: []\n"})
    assert missing.json()["problems"][0]["message"] == "there is no source 999 in this workspace"


def test_cube_project_is_imported_from_files_and_from_a_zip_and_exported(alpha):
    client = alpha.client("editor")
    source = upload_shop(client)
    files = {str(p.relative_to(PROJECT)): p.read_text() for p in PROJECT.rglob("*") if p.is_file()}

    imported = post_json(
        client, "/api/v1/semantic/models/import/", {"files": files, "name": "Cube", "source": source}
    )
    assert imported.status_code == 201, imported.content
    report = imported.json()["report"]
    assert not any("pre_aggregations" in line for line in report["skipped"]["model/cubes/orders.yml"])
    model_id = imported.json()["model"]["id"]
    paid = run(client, model_id, {"measures": ["orders.count"], "segments": ["orders.paid"]})
    assert paid.json()["rows"] == [[sum(1 for o in ROWS["orders"] if o[2] == "paid")]]

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path, text in files.items():
            zipped.writestr(f"project/{path}", text)
    archive.seek(0)
    archive.name = "project.zip"
    zipped_import = client.post(
        "/api/v1/semantic/models/import/", {"file": archive, "name": "Cube zip", "source": str(source)}
    )
    assert zipped_import.status_code == 201, zipped_import.content
    zipped_id = zipped_import.json()["model"]["id"]
    assert run(client, zipped_id, {"measures": ["customers.count"]}).json()["rows"] == [
        [len(ROWS["customers"])]
    ]

    exported = client.get(f"/api/v1/semantic/models/{model_id}/export/").json()["files"]
    assert sorted(exported) == [
        "model/cubes/customers.yml",
        "model/cubes/order_lines.yml",
        "model/cubes/orders.yml",
    ]
    assert "pre_aggregations" in exported["model/cubes/orders.yml"]


def test_a_query_across_two_sources_is_refused(alpha):
    client = alpha.client("editor")
    first, second = upload_shop(client), upload_shop(client)
    text = (
        f"cubes:\n  - name: a\n    sql_table: orders\n    source: {first}\n"
        "    measures:\n      - name: count\n        type: count\n"
        f"  - name: b\n    sql_table: customers\n    source: {second}\n"
        "    measures:\n      - name: count\n        type: count\n"
    )
    created = post_json(client, "/api/v1/semantic/models/", {"name": "Two", "yaml": text})
    assert created.status_code == 201, created.content

    refused = run(client, created.json()["id"], {"measures": ["a.count", "b.count"]})
    assert refused.status_code == 400
    assert "only one source" in error_message(refused)
    alone = run(client, created.json()["id"], {"measures": ["a.count"]})
    assert alone.json()["rows"] == [[len(ROWS["orders"])]]


@pytest.mark.enterprise  # the core edition lets every signed-in person do everything
def test_viewers_read_but_cannot_change_models(alpha):
    model = auto_model(alpha.client("editor"), upload_shop(alpha.client("editor")))
    viewer = alpha.client("viewer")
    assert viewer.get(f"/api/v1/semantic/models/{model['id']}/").status_code == 200
    refused = viewer.put(
        f"/api/v1/semantic/models/{model['id']}/", {"name": "Mine"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert alpha.anonymous_client().get("/api/v1/semantic/models/").status_code in (401, 403)


@pytest.mark.enterprise
def test_models_never_cross_organisations(alpha, beta):
    model = auto_model(alpha.client("editor"), upload_shop(alpha.client("editor")))
    other = beta.client("owner")

    assert other.get("/api/v1/semantic/models/").json() == []
    assert other.get(f"/api/v1/semantic/models/{model['id']}/").status_code == 404
    assert other.get(f"/api/v1/semantic/models/{model['id']}/versions/").status_code == 404
    assert run(other, model["id"], {"measures": ["orders.count"]}).status_code == 404
    beta_model = auto_model(other, upload_shop(other), name="Shop")  # the same name is free in beta
    assert [m["id"] for m in other.get("/api/v1/semantic/models/").json()] == [beta_model["id"]]
    assert [m["id"] for m in alpha.client("viewer").get("/api/v1/semantic/models/").json()] == [model["id"]]
