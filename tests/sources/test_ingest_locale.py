# SPDX-License-Identifier: MIT
"""Reading numbers and dates the way the file's author wrote them, and the user's say over it:
per-column and per-file number formats and date orders, stray markers, delimiter ties, and the
refusal of a type change that would quietly empty a column."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest import csvfile, ingest_file
from chat2chart.sources.ingest.refusal import check_type_change
from tests.sources.fixtures_api import patch_json, upload_new_version, upload_source


def _rows(table) -> list[dict]:
    return pq.read_table(table.parquet_path).to_pylist()


def _column(rows: list[dict], name: str) -> list:
    return [row[name] for row in rows]


# --- ingest_file ------------------------------------------------------------------------------------


def test_one_file_is_read_with_one_decimal_convention(upload, out_dir):
    # "1.200" alone could be 1.2; the other column's "12,5" settles that this file writes decimal commas.
    path = upload("mixed.csv", "a;b\n1.200;12,5\n3;7\n")

    table = ingest_file(path, "mixed.csv", out_dir).tables[0]

    assert _rows(table) == [{"a": 1200, "b": 12.5}, {"a": 3, "b": 7.0}]
    assert {c.name: c.read_as for c in table.table_info.columns} == {"a": "1.234,56", "b": "1.234,56"}
    assert any("'1.200'" in warning for warning in table.warnings)


def test_a_day_over_twelve_further_down_settles_the_day_order(upload, out_dir, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 64)  # the sample holds only ambiguous dates
    lines = ["d"] + [f"0{i % 9 + 1}/0{i % 9 + 1}/2024" for i in range(40)] + ["25/01/2024"]
    path = upload("late.csv", "\n".join(lines) + "\n")

    table = ingest_file(path, "late.csv", out_dir, sample_rows=5).tables[0]

    assert table.table_info.columns[0].read_as == "DMY"
    assert _column(_rows(table), "d")[-1] == dt.date(2024, 1, 25)


def test_stray_markers_are_empty_counted_and_reported(upload, out_dir):
    path = upload("m.csv", "n\n1\nunknown\nn/a\n-\n\u2014\nN.A.\n#N/A\n2\n")

    table = ingest_file(path, "m.csv", out_dir).tables[0]

    assert _column(_rows(table), "n") == [1, None, None, None, None, None, None, 2]
    assert table.marker_values == {"n": 6}
    assert any("6 value(s) in column 'n'" in warning for warning in table.warnings)


def test_the_chosen_delimiter_is_named_when_another_also_fitted(upload, out_dir):
    result = ingest_file(upload("t.csv", "region;revenue, eur\nNorth;1200,50\n"), "t.csv", out_dir)

    assert result.delimiter == ";"
    assert result.read_as["delimiter"] == "semicolon"
    assert any("split on semicolons" in warning for warning in result.tables[0].warnings)


def test_column_and_file_choices_win_over_what_the_values_suggest(upload, out_dir):
    path = upload("c.csv", "a,b,d\n1.200,1.500,01/02/2024\n3,2,03/04/2024\n")

    table = ingest_file(
        path,
        "c.csv",
        out_dir,
        overrides={
            "*": {"number_format": "1.234,56", "date_order": "DMY"},
            "b": {"number_format": "1,234.56"},
        },
    ).tables[0]

    assert _rows(table) == [
        {"a": 1200, "b": 1.5, "d": dt.date(2024, 2, 1)},
        {"a": 3, "b": 2.0, "d": dt.date(2024, 4, 3)},
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"a": {"number_format": "1_234"}}, "not a number format"),
        ({"a": {"date_order": "YDM"}}, "not a date order"),
        ({"*": {"type": "integer"}}, "whole file"),
    ],
)
def test_unknown_reading_choices_are_refused(upload, out_dir, overrides, expected):
    with pytest.raises(IngestError) as caught:
        ingest_file(upload("o.csv", "a,b\n1,2\n"), "o.csv", out_dir, overrides=overrides)
    assert expected in caught.value.message


def test_a_type_change_that_would_empty_many_values_is_refused_with_three_examples(upload, out_dir):
    path = upload("q.csv", "qty\n5\nabout 3\nmany\nn/a\nsome\nlots\n7\n")

    with pytest.raises(IngestError) as caught:
        ingest_file(path, "q.csv", out_dir, overrides={"qty": {"type": "integer"}}, max_blanked_share=0.01)

    message = caught.value.message
    assert "4 of its 6 values" in message
    assert sum(example in message for example in ("'about 3'", "'many'", "'some'", "'lots'")) == 3
    assert caught.value.details["blanked"] == 4
    assert list(out_dir.iterdir()) == []


def test_a_type_change_that_empties_at_most_one_percent_is_applied_and_counted(upload, out_dir):
    path = upload("q.csv", "qty\n" + "".join(f"{i}\n" for i in range(199)) + "about 3\n")

    table = ingest_file(
        path, "q.csv", out_dir, overrides={"qty": {"type": "integer"}}, max_blanked_share=0.01
    ).tables[0]

    assert table.nulled_values == {"qty": 1}
    assert _column(_rows(table), "qty")[-1] is None


def test_check_type_change_allows_exactly_the_limit():
    check_type_change("c", "integer", present=100, blanked=1, examples=["x"], max_share=0.01)
    with pytest.raises(IngestError):
        check_type_change("c", "integer", present=100, blanked=2, examples=["x", "y"], max_share=0.01)


# --- through the API --------------------------------------------------------------------------------


def _preview(client, source_id: int, table: str) -> list[list]:
    return client.get(f"/api/v1/sources/{source_id}/tables/{table}/preview/").json()["rows"]


def test_a_column_number_format_chosen_in_the_api_rereads_the_file(alpha):
    client = alpha.client("editor")
    source = upload_source(client, "item;weight\nbolt;1.200\nnut;3\n", file_name="parts.csv").json()
    assert _preview(client, source["id"], "parts") == [["bolt", 1200], ["nut", 3]]
    assert source["config"]["read_as"]["number_format"] == "1.234,56"

    url = f"/api/v1/sources/{source['id']}/tables/parts/"
    response = patch_json(client, url, {"columns": {"weight": {"number_format": "1,234.56"}}})

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "ready", response.json()["error"]
    assert _preview(client, source["id"], "parts") == [["bolt", 1.2], ["nut", 3.0]]
    table = client.get(url).json()
    assert {c["name"]: c["read_as"] for c in table["columns"]}["weight"] == "1,234.56"
    assert table["overrides"] == {"weight": {"number_format": "1,234.56"}}


def test_a_date_order_chosen_for_the_whole_file_applies_to_every_column_and_is_kept(alpha):
    client = alpha.client("editor")
    content = "shipped,paid\n01/02/2024,03/04/2024\n05/06/2024,07/08/2024\n"
    source = upload_source(client, content, file_name="dates.csv").json()
    assert _preview(client, source["id"], "dates")[0] == ["2024-01-02", "2024-03-04"]
    url = f"/api/v1/sources/{source['id']}/tables/dates/"

    patch_json(client, url, {"columns": {"*": {"date_order": "DMY"}}})
    renamed = patch_json(client, url, {"columns": {"paid": {"name": "paid_on"}}})

    assert renamed.json()["status"] == "ready", renamed.json()["error"]
    assert _preview(client, source["id"], "dates") == [
        ["2024-02-01", "2024-04-03"],
        ["2024-06-05", "2024-08-07"],
    ]
    assert client.get(url).json()["overrides"] == {"*": {"date_order": "DMY"}, "paid": {"name": "paid_on"}}


def test_a_type_change_that_would_blank_values_is_refused_and_the_data_stays(alpha):
    client = alpha.client("editor")
    content = "code,qty\nA,5\nB,about 3\nC,many\nD,some\nE,7\n"
    source = upload_source(client, content, file_name="stock.csv").json()
    url = f"/api/v1/sources/{source['id']}/tables/stock/"

    response = patch_json(client, url, {"columns": {"qty": {"type": "integer"}}})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert "3 of its 5 values" in error["message"]
    assert all(example in error["message"] for example in ("'about 3'", "'many'", "'some'"))
    after = client.get(f"/api/v1/sources/{source['id']}/").json()
    assert after["status"] == "ready"
    assert after["error"] == ""
    assert _preview(client, source["id"], "stock")[1] == ["B", "about 3"]
    assert client.get(url).json()["overrides"] == {}


def test_a_new_upload_the_kept_type_does_not_fit_is_refused_and_the_source_stays_ready(alpha):
    client = alpha.client("editor")
    source = upload_source(client, "code,qty\nA,5\nB,6\nC,7\nD,8\n", file_name="stock.csv").json()
    url = f"/api/v1/sources/{source['id']}/tables/stock/"
    chosen = patch_json(client, url, {"columns": {"qty": {"type": "text"}}})
    assert chosen.json()["status"] == "ready", chosen.json()["error"]
    chosen = patch_json(client, url, {"columns": {"qty": {"type": "integer"}}})
    assert chosen.json()["status"] == "ready", chosen.json()["error"]
    version = client.get(f"/api/v1/sources/{source['id']}/").json()["version"]

    response = upload_new_version(
        client, source["id"], "code,qty\nA,5\nB,about 3\nC,many\nD,some\nE,7\n", file_name="stock.csv"
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert "3 of its 5 values" in error["message"]
    assert all(example in error["message"] for example in ("'about 3'", "'many'", "'some'"))
    assert error["details"]["blanked"] == 3
    after = client.get(f"/api/v1/sources/{source['id']}/").json()
    assert (after["status"], after["error"], after["version"]) == ("ready", "", version)
    assert _preview(client, source["id"], "stock") == [["A", 5], ["B", 6], ["C", 7], ["D", 8]]
    assert client.get(url).json()["overrides"] == {"qty": {"type": "integer"}}


def test_forcing_datetime_reads_day_first_values_instead_of_emptying_the_column(upload, out_dir):
    stamps = [f"{day:02d}-08-2023 02:01:00" for day in range(1, 29)] * 5
    path = upload("log.csv", "at\n" + "\n".join([*stamps, "soon"]) + "\n")
    inferred = ingest_file(path, "log.csv", out_dir).tables[0]
    assert inferred.table_info.columns[0].type == "text"  # "soon" is not a date

    table = ingest_file(
        path, "log.csv", out_dir, overrides={"at": {"type": "datetime"}}, max_blanked_share=0.01
    ).tables[0]

    values = _column(_rows(table), "at")
    assert values[0] == dt.datetime(2023, 8, 1, 2, 1)
    assert values[27] == dt.datetime(2023, 8, 28, 2, 1)
    assert values[-1] is None
    assert table.nulled_values == {"at": 1}


def test_columns_that_each_allow_only_a_different_decimal_mark_are_flagged(upload, out_dir):
    path = upload("two.csv", 'us,de\n1.5,"2,5"\n3.25,"4,75"\n')

    table = ingest_file(path, "two.csv", out_dir).tables[0]

    assert _rows(table) == [{"us": 1.5, "de": 2.5}, {"us": 3.25, "de": 4.75}]
    assert any("decimal point" in w and "decimal comma" in w for w in table.warnings)


def test_a_number_format_the_values_do_not_fit_keeps_the_column_as_text_and_says_so(upload, out_dir):
    path = upload("p.csv", "p\n1.5\n2.25\n")

    table = ingest_file(path, "p.csv", out_dir, overrides={"p": {"number_format": "1.234,56"}}).tables[0]

    assert _column(_rows(table), "p") == ["1.5", "2.25"]
    assert any("not numbers written like 1.234,56" in warning for warning in table.warnings)
