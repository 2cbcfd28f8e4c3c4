# SPDX-License-Identifier: MIT
"""Real Excel workbooks through `POST /api/v1/sources/`: several sheets, dates, formulas, merged
header cells and an empty sheet, stored with the values a person sees in Excel.

The workbooks are made here with openpyxl. Excel saves each formula with its last result; openpyxl
cannot calculate, so the tests write those results into the file as Excel would, computed in
plain Python.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest

from tests.sources.fixtures_api import upload_new_version, upload_source

ORDERS = [
    ("North", dt.date(2024, 1, 3), 3, 12.5),
    ("South", dt.date(2024, 2, 29), 4, 7.25),
    ("East", dt.date(2024, 12, 31), 10, 1.1),
]


def sales_workbook(*, cached_results: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sales = book.active
    sales.title = "Sales 2024"
    sales.append(["Orders by region, 2024"])  # a title merged across the table
    sales.merge_cells("A1:E1")
    sales.append(["Region", "Ordered", "Order", None, "Total"])
    sales.append([None, None, "Units", "Unit price", None])
    for cell in ("A2:A3", "B2:B3", "E2:E3"):
        sales.merge_cells(cell)
    sales.merge_cells("C2:D2")  # "Order" spans "Units" and "Unit price"
    for row, (region, ordered, units, price) in enumerate(ORDERS, start=4):
        sales.append([region, dt.datetime.combine(ordered, dt.time()), units, price, f"=C{row}*D{row}"])
    targets = book.create_sheet("Targets")
    targets.append(["region", "target", "reviewed at"])
    targets.append(["North", 40, dt.datetime(2024, 3, 1, 9, 30)])
    targets.append(["South", 30, dt.datetime(2024, 3, 2, 17, 0)])
    book.create_sheet("Notes")  # empty
    buffer = io.BytesIO()
    book.save(buffer)
    return _with_cached_results(buffer.getvalue()) if cached_results else buffer.getvalue()


def _with_cached_results(data: bytes) -> bytes:
    """The workbook as Excel saves it: each formula cell also holds its result."""
    totals = {f"E{row}": units * price for row, (_, _, units, price) in enumerate(ORDERS, start=4)}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for ref, value in totals.items():
                    # openpyxl writes the empty result as <v/>, or as <v></v> when lxml is installed.
                    text, count = re.subn(
                        rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)',
                        rf"\g<1><v>{value!r}</v>",
                        text,
                    )
                    assert count == 1, ref
                content = text.encode()
            target.writestr(entry, content)
    return out.getvalue()


def _tables(client, source_id: int) -> dict[str, dict]:
    return {table["name"]: table for table in client.get(f"/api/v1/sources/{source_id}/tables/").json()}


def _preview(client, source_id: int, table: str) -> list[list]:
    return client.get(f"/api/v1/sources/{source_id}/tables/{table}/preview/").json()["rows"]


def test_a_real_workbook_uploads_with_every_sheet_read_as_its_author_meant(alpha):
    client = alpha.client("editor")

    created = upload_source(client, sales_workbook(), file_name="Sales book.xlsx")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "ready", body["error"]
    assert sorted(body["tables"]) == ["sales_2024", "targets"]
    assert any("'Notes'" in warning and "empty" in warning for warning in body["config"]["warnings"])
    assert not any("formulas" in warning for warning in body["config"]["warnings"])

    tables = _tables(client, body["id"])
    sales_types = {column["name"]: column["type"] for column in tables["sales_2024"]["columns"]}
    assert sales_types == {
        "Region": "text",
        "Ordered": "date",
        "Order Units": "integer",
        "Order Unit price": "decimal",
        "Total": "decimal",
    }
    expected_sales = [
        [region, ordered.isoformat(), units, pytest.approx(price), pytest.approx(units * price)]
        for region, ordered, units, price in ORDERS
    ]
    assert _preview(client, body["id"], "sales_2024") == expected_sales
    assert _preview(client, body["id"], "targets") == [
        ["North", 40, "2024-03-01T09:30:00"],
        ["South", 30, "2024-03-02T17:00:00"],
    ]


def test_formulas_saved_without_results_are_empty_and_the_user_is_told_why(alpha):
    client = alpha.client("editor")

    body = upload_source(client, sales_workbook(cached_results=False), file_name="book.xlsx").json()

    assert body["status"] == "ready", body["error"]
    assert any("no saved result" in warning for warning in body["config"]["warnings"])
    assert [row[4] for row in _preview(client, body["id"], "sales_2024")] == [None, None, None]


def test_a_new_version_of_a_workbook_uploads_through_the_same_path(alpha):
    client = alpha.client("editor")
    body = upload_source(client, sales_workbook(), file_name="book.xlsx").json()

    response = upload_new_version(client, body["id"], sales_workbook(), file_name="book.xlsx")

    assert response.status_code == 202, response.content
    detail = client.get(f"/api/v1/sources/{body['id']}/").json()
    assert detail["status"] == "ready", detail["error"]
    assert detail["version"] == body["version"] + 1
    assert len(_preview(client, body["id"], "sales_2024")) == len(ORDERS)


def test_a_workbook_in_one_organisation_is_not_visible_from_another(alpha, beta):
    body = upload_source(alpha.client("editor"), sales_workbook(), file_name="book.xlsx").json()

    response = beta.client("editor").get(f"/api/v1/sources/{body['id']}/tables/sales_2024/preview/")

    assert response.status_code == 404
