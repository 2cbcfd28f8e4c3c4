# SPDX-License-Identifier: MIT
"""Real files through `POST /api/v1/sources/`, read in the ingest worker, checked against pandas.

Each file is generated here, uploaded through the API (so the upload handler, the stored original,
the worker process and the publishing all run), and the stored values are compared, through
`/api/v1/query/`, with what pandas reads from the same bytes told the file's conventions.
"""

from __future__ import annotations

import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.sources.fixtures_api import post_json, upload_source

ROWS = 30_000  # more than the 20,000-row sample, so the validating pass has rows of its own


def _query(client, source_id: int, table: str, measures: list, dimension: str) -> dict:
    response = post_json(
        client,
        "/api/v1/query/",
        {
            "source": source_id,
            "table": table,
            "measures": measures,
            "dimensions": [{"field": dimension}],
            "order": [{"field": dimension}],
        },
    )
    assert response.status_code == 200, response.content
    return {row[0]: row[1:] for row in response.json()["rows"]}


def _types(client, source_id: int, table: str) -> dict[str, str]:
    detail = client.get(f"/api/v1/sources/{source_id}/tables/{table}/").json()
    return {column["name"]: column["type"] for column in detail["columns"]}


def _european_csv() -> tuple[bytes, pd.DataFrame]:
    rng = np.random.default_rng(11)
    cents = rng.integers(1, 500_000_000, ROWS)
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, ROWS), unit="D")
    frame = pd.DataFrame(
        {
            "region": rng.choice(["Nord", "Süd", "Ost", "West"], ROWS),
            # German style: dot thousands, comma decimals ("1.234.567,89")
            "umsatz": [f"{c // 100:,}".replace(",", ".") + f",{c % 100:02d}" for c in cents],
            "datum": days.strftime("%d.%m.%Y"),
        }
    )
    return frame.to_csv(sep=";", index=False).encode("utf-8"), frame


def test_a_european_csv_is_stored_with_decimal_commas_and_day_first_dates_as_pandas_reads_it(alpha):
    content, _ = _european_csv()
    client = alpha.client("editor")

    body = upload_source(client, content, file_name="umsatz.csv").json()

    assert body["status"] == "ready", body["error"]
    assert body["config"]["read_as"]["number_format"] == "1.234,56"
    assert body["config"]["read_as"]["date_order"] == "DMY"
    assert _types(client, body["id"], "umsatz") == {"region": "text", "umsatz": "decimal", "datum": "date"}
    expected = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", thousands=".", dtype={"datum": str})
    expected["datum"] = pd.to_datetime(expected["datum"], format="%d.%m.%Y")
    by_region = expected.groupby("region").agg(
        total=("umsatz", "sum"), rows=("umsatz", "size"), first=("datum", "min"), last=("datum", "max")
    )
    stored = _query(
        client,
        body["id"],
        "umsatz",
        [
            {"field": "umsatz", "agg": "sum"},
            {"field": "umsatz", "agg": "count"},
            {"field": "datum", "agg": "min"},
            {"field": "datum", "agg": "max"},
        ],
        "region",
    )
    assert set(stored) == set(by_region.index)
    for region, (total, rows, first, last) in stored.items():
        # Results carry twelve significant digits (drivervalues.json_value).
        assert total == pytest.approx(by_region.loc[region, "total"], rel=1e-11)
        assert rows == by_region.loc[region, "rows"]
        assert first == by_region.loc[region, "first"].date().isoformat()
        assert last == by_region.loc[region, "last"].date().isoformat()


def test_a_column_numeric_in_its_first_rows_and_text_later_is_kept_as_text_with_every_value(alpha):
    codes = [str(1000 + i % 900) for i in range(ROWS)]
    codes[25_000] = "A-17"  # beyond the sample: only the pass over every value sees it
    content = ("code,qty\n" + "".join(f"{code},{i % 7}\n" for i, code in enumerate(codes))).encode()
    client = alpha.client("editor")

    body = upload_source(client, content, file_name="codes.csv").json()

    assert body["status"] == "ready", body["error"]
    assert _types(client, body["id"], "codes") == {"code": "text", "qty": "integer"}
    assert any("'code'" in warning and "'A-17'" in warning for warning in body["config"]["warnings"])
    expected = (
        pd.read_csv(io.BytesIO(content), dtype={"code": str}).groupby("code")["qty"].agg(["size", "sum"])
    )
    stored = _query(
        client,
        body["id"],
        "codes",
        [{"field": "qty", "agg": "count"}, {"field": "qty", "agg": "sum"}],
        "code",
    )
    assert len(stored) == len(expected) == 901
    assert stored == {code: [int(row["size"]), int(row["sum"])] for code, row in expected.iterrows()}


def test_a_workbook_uploads_with_its_numbers_and_dates_as_pandas_reads_them(alpha, tmp_path):
    rng = np.random.default_rng(5)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Orders"
    sheet.append(["city", "amount", "ordered"])
    for i in range(2_000):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
        sheet.append(
            [["Lyon", "Basel", "Graz"][i % 3], round(float(rng.random() * 1000), 2), day.to_pydatetime()]
        )
    path = tmp_path / "orders.xlsx"
    book.save(path)
    client = alpha.client("editor")

    body = upload_source(client, path.read_bytes(), file_name="orders.xlsx").json()

    assert body["status"] == "ready", body["error"]
    table = body["tables"][0]
    assert _types(client, body["id"], table) == {"city": "text", "amount": "decimal", "ordered": "date"}
    expected = pd.read_excel(path).groupby("city").agg(total=("amount", "sum"), last=("ordered", "max"))
    stored = _query(
        client,
        body["id"],
        table,
        [{"field": "amount", "agg": "sum"}, {"field": "ordered", "agg": "max"}],
        "city",
    )
    for city, (total, last) in stored.items():
        assert total == pytest.approx(expected.loc[city, "total"], rel=1e-11)
        assert last == expected.loc[city, "last"].date().isoformat()


def test_a_json_array_uploads_with_its_values_as_pandas_reads_them(alpha):
    records = [
        {"team": ["red", "blue"][i % 2], "points": i * 3 + 0.5, "won": i % 5 == 0} for i in range(5_000)
    ]
    content = json.dumps(records).encode()
    client = alpha.client("editor")

    body = upload_source(client, content, file_name="games.json").json()

    assert body["status"] == "ready", body["error"]
    table = body["tables"][0]
    assert _types(client, body["id"], table) == {"team": "text", "points": "decimal", "won": "boolean"}
    expected = pd.read_json(io.BytesIO(content)).groupby("team")["points"].agg(["sum", "size"])
    stored = _query(
        client,
        body["id"],
        table,
        [{"field": "points", "agg": "sum"}, {"field": "points", "agg": "count"}],
        "team",
    )
    assert stored == {
        team: [pytest.approx(row["sum"]), int(row["size"])] for team, row in expected.iterrows()
    }


def test_the_stored_original_keeps_its_extension(alpha):
    client = alpha.client("editor")

    body = upload_source(client, "a,b\n1,2\n", file_name="Sales Report.CSV").json()

    assert body["status"] == "ready", body["error"]
    from chat2chart.sources.models import Source

    with alpha.activate():
        stored = Source.objects.get(pk=body["id"]).upload_path
    assert stored.endswith(".csv")
    assert "Sales" not in stored  # the stored name carries nothing of the user's own


def test_a_short_latin_1_file_is_read_as_western_text_not_as_chinese(alpha):
    # Two accented letters pair up into valid Big5-HKSCS characters ("Süd" read as "S㥣"); text whose
    # every non-ASCII byte is a Latin letter in Windows-1252 is that.
    content = "Region;Umsatz\nSüd;10\nNord;20\nSüd;5\nOst;7\n".encode("latin-1")
    client = alpha.client("editor")
    created = upload_source(client, content, file_name="latin1.csv")
    assert created.status_code == 201, created.content
    source = created.json()
    table = "latin1"
    totals = _query(client, source["id"], table, [{"field": "Umsatz", "agg": "sum"}], "Region")
    frame = pd.read_csv(io.BytesIO(content), sep=";", encoding="cp1252")
    assert {k: v[0] for k, v in totals.items()} == frame.groupby("Region").Umsatz.sum().to_dict()
