# SPDX-License-Identifier: MIT
"""Ingesting well-formed uploads: formats, encodings, type inference, overrides, progress, profiling."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chat2chart.sources.ingest import csvfile, escape_formula, ingest_file, profile_parquet

SALES_CSV = (
    "order_id,amount,discount,ordered_on,created_at,paid,city,units\n"
    '1,"$1,234.50",12%,2024-01-31,2024-01-31T10:00:00+02:00,yes,Café,"1,200"\n'
    "2,$99.99,5%,2024-02-01,2024-02-01T08:30:00Z,no,Zürich,15\n"
    "3,,,2024-02-02,2024-02-02T23:59:59-05:00,Yes,,7\n"
)


def _rows(table) -> list[dict]:
    return pq.read_table(table.parquet_path).to_pylist()


def _types(table) -> dict[str, str]:
    return {column.name: column.type for column in table.table_info.columns}


def test_csv_column_types_are_inferred_from_realistic_values(upload, out_dir):
    result = ingest_file(upload("sales.csv", SALES_CSV), "sales.csv", out_dir)

    table = result.tables[0]
    assert _types(table) == {
        "order_id": "integer",
        "amount": "decimal",
        "discount": "decimal",
        "ordered_on": "date",
        "created_at": "datetime",
        "paid": "boolean",
        "city": "text",
        "units": "integer",
    }
    first, _, third = _rows(table)
    assert first["amount"] == 1234.5
    assert first["discount"] == pytest.approx(0.12)
    assert first["ordered_on"] == dt.date(2024, 1, 31)
    assert first["created_at"] == dt.datetime(2024, 1, 31, 8, 0, tzinfo=dt.UTC)
    assert first["paid"] is True
    assert first["units"] == 1200
    assert third["created_at"] == dt.datetime(2024, 2, 3, 4, 59, 59, tzinfo=dt.UTC)
    assert (third["amount"], third["discount"], third["city"]) == (None, None, None)
    assert table.rows == 3
    assert result.file_format == "csv"


def test_empty_cells_and_null_words_are_missing_values_in_typed_columns(upload, out_dir):
    path = upload("scores.csv", "score,note\n10,N/A\n,ok\nN/A,\n-,x\n7,NULL\n")

    table = ingest_file(path, "scores.csv", out_dir).tables[0]

    assert _types(table) == {"score": "integer", "note": "text"}
    assert [row["score"] for row in _rows(table)] == [10, None, None, None, 7]
    # In a text column "N/A" is what the user wrote, so it stays.
    assert [row["note"] for row in _rows(table)] == ["N/A", "ok", None, "x", "NULL"]
    assert table.table_info.column("score").null_share == 0.6


def test_codes_with_leading_zeros_stay_text(upload, out_dir):
    table = ingest_file(upload("zips.csv", "zip\n01234\n90210\n"), "zips.csv", out_dir).tables[0]

    assert _types(table) == {"zip": "text"}
    assert [row["zip"] for row in _rows(table)] == ["01234", "90210"]


def test_accounting_negatives_and_currency_after_the_number_are_read(upload, out_dir):
    path = upload("ledger.csv", 'balance\n"(1,500.25)"\n20 €\n-$3\n')

    table = ingest_file(path, "ledger.csv", out_dir).tables[0]

    assert [row["balance"] for row in _rows(table)] == [-1500.25, 20.0, -3.0]


@pytest.mark.parametrize(
    ("name", "content", "delimiter"),
    [
        ("people.tsv", "name\tage\nAda\t36\nAlan\t41\n", "\t"),
        ("people.csv", "name;age\nAda;36\nAlan;41\n", ";"),
        ("people.txt", "name|age\nAda|36\nAlan|41\n", "|"),
    ],
)
def test_delimiter_is_sniffed(upload, out_dir, name, content, delimiter):
    result = ingest_file(upload(name, content), name, out_dir)

    assert result.delimiter == delimiter
    assert _rows(result.tables[0]) == [{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}]


def test_latin1_file_is_decoded_and_the_user_is_told(upload, out_dir):
    path = upload("cafes.csv", "name,city\nCafé Noir,Besançon\n", encoding="latin-1")

    result = ingest_file(path, "cafes.csv", out_dir)

    assert _rows(result.tables[0]) == [{"name": "Café Noir", "city": "Besançon"}]
    assert result.encoding == "Windows-1252"
    assert any("not UTF-8" in warning for warning in result.tables[0].warnings)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_unicode_encodings_and_byte_order_marks_are_detected(upload, out_dir, encoding):
    path = upload("menu.csv", "dish,price\nCrème brûlée,7.5\nSmørrebrød,9\n", encoding=encoding)

    table = ingest_file(path, "menu.csv", out_dir).tables[0]

    # The byte-order mark must not end up in the first column's name.
    assert [column.name for column in table.table_info.columns] == ["dish", "price"]
    assert _rows(table) == [{"dish": "Crème brûlée", "price": 7.5}, {"dish": "Smørrebrød", "price": 9.0}]


def test_blank_lines_before_the_header_are_ignored(upload, out_dir):
    table = ingest_file(upload("gap.csv", "\r\n\r\na,b\r\n1,2\r\n\r\n3,4\r\n"), "gap.csv", out_dir).tables[0]

    assert _rows(table) == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]


def test_quoted_fields_may_hold_delimiters_quotes_and_newlines(upload, out_dir):
    path = upload("notes.csv", 'id,note\n1,"one, two"\n2,"say ""hi"""\n3,"line one\nline two"\n')

    table = ingest_file(path, "notes.csv", out_dir).tables[0]

    assert [row["note"] for row in _rows(table)] == ["one, two", 'say "hi"', "line one\nline two"]


def test_formula_like_cells_are_kept_as_data(upload, out_dir):
    path = upload("risky.csv", 'label\n=HYPERLINK("http://x")\n+1+2\n@SUM(A1)\n-5 apples\n')

    table = ingest_file(path, "risky.csv", out_dir).tables[0]

    assert [row["label"] for row in _rows(table)] == [
        '=HYPERLINK("http://x")',
        "+1+2",
        "@SUM(A1)",
        "-5 apples",
    ]


def test_escape_formula_defuses_text_that_a_spreadsheet_would_run():
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("+cmd") == "'+cmd"
    assert escape_formula("-2") == "'-2"
    assert escape_formula("@SUM(A1)") == "'@SUM(A1)"
    assert escape_formula("plain") == "plain"
    assert escape_formula(-2) == -2
    assert escape_formula(None) is None


def test_day_first_dates_are_recognised_and_ambiguous_ones_are_flagged(upload, out_dir):
    day_first = ingest_file(upload("eu.csv", "d\n31/01/2024\n01/02/2024\n"), "eu.csv", out_dir).tables[0]
    ambiguous = ingest_file(upload("amb.csv", "d\n01/02/2024\n03/04/2024\n"), "amb.csv", out_dir).tables[0]

    assert [row["d"] for row in _rows(day_first)] == [dt.date(2024, 1, 31), dt.date(2024, 2, 1)]
    assert day_first.warnings == []
    assert [row["d"] for row in _rows(ambiguous)] == [dt.date(2024, 1, 2), dt.date(2024, 3, 4)]
    assert any("month/day" in warning for warning in ambiguous.warnings)


def test_a_value_beyond_the_sample_widens_the_column_instead_of_being_lost(upload, out_dir, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 64)  # many small chunks, so the sample is the first few
    lines = ["n,d,c"] + [f"{i},2024-01-{i % 28 + 1:02d},{i}" for i in range(200)]
    lines += ["2.5,2024-03-01T10:00:00+01:00,not a number"]
    path = upload("late.csv", "\n".join(lines) + "\n")

    table = ingest_file(path, "late.csv", out_dir, sample_rows=10).tables[0]

    assert _types(table) == {"n": "decimal", "d": "datetime", "c": "text"}
    rows = _rows(table)
    assert len(rows) == 201
    assert rows[-1] == {"n": 2.5, "d": dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC), "c": "not a number"}
    assert rows[5]["c"] == "5"
    assert sum("later holds" in warning for warning in table.warnings) == 3


def test_overrides_rename_and_retype_columns_and_count_unreadable_values(upload, out_dir):
    path = upload("codes.csv", "code,qty,when\n001,5,2024-01-01\n002,x,2024-01-02\n003,7,2024-01-03\n")

    table = ingest_file(
        path,
        "codes.csv",
        out_dir,
        overrides={"code": {"name": "product_code"}, "qty": {"type": "integer"}, "when": {"type": "text"}},
    ).tables[0]

    assert _types(table) == {"product_code": "text", "qty": "integer", "when": "text"}
    assert [row["qty"] for row in _rows(table)] == [5, None, 7]
    assert table.nulled_values == {"qty": 1}
    assert any("'qty'" in warning and "'x'" in warning for warning in table.warnings)


def test_progress_is_reported_from_bytes_read_up_to_the_whole_file(upload, out_dir, monkeypatch):
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 256)
    path = upload("big.csv", "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(2000)))
    calls: list[tuple[int, float]] = []

    ingest_file(path, "big.csv", out_dir, on_progress=lambda rows, fraction: calls.append((rows, fraction)))

    fractions = [fraction for _, fraction in calls]
    assert len(calls) > 10
    assert fractions == sorted(fractions)
    assert 0 < fractions[len(fractions) // 2] < 1
    assert calls[-1] == (2000, 1.0)


def test_every_excel_sheet_with_data_becomes_a_table(workbook, out_dir):
    path = workbook(
        "book.xlsx",
        {
            "Q1 Sales": [
                ["region", "revenue", "closed", "won"],
                ["North", 1200.5, dt.datetime(2024, 1, 31), True],
                ["South", 800, dt.datetime(2024, 2, 29), False],
            ],
            "Targets (2024)": [["region", "target"], ["North", 1000], ["South", 900]],
            "Empty": [],
        },
    )

    result = ingest_file(path, "book.xlsx", out_dir)

    assert [table.name for table in result.tables] == ["q1_sales", "targets_2024"]
    sales = result.tables[0]
    assert _types(sales) == {"region": "text", "revenue": "decimal", "closed": "date", "won": "boolean"}
    assert _rows(sales)[1] == {
        "region": "South",
        "revenue": 800.0,
        "closed": dt.date(2024, 2, 29),
        "won": False,
    }
    assert _types(result.tables[1]) == {"region": "text", "target": "integer"}
    assert any("'Empty'" in warning for warning in result.warnings)


def test_json_array_of_objects_becomes_a_table(upload, out_dir):
    records = [
        {"id": 1, "name": "Ada", "tags": ["x"], "active": True, "joined": "2024-01-31"},
        {"id": 2, "name": "Alan", "score": 9.5, "active": False, "joined": "2024-02-01"},
    ]
    result = ingest_file(upload("people.json", json.dumps(records)), "people.json", out_dir)

    table = result.tables[0]
    assert result.file_format == "json"
    assert _types(table) == {
        "id": "integer",
        "name": "text",
        "tags": "text",
        "active": "boolean",
        "joined": "date",
        "score": "decimal",
    }
    assert _rows(table)[0]["tags"] == '["x"]'
    assert _rows(table)[0]["score"] is None


def test_json_object_holding_one_list_of_objects_is_read(upload, out_dir):
    document = {"count": 2, "results": [{"a": 1}, {"a": 2}]}

    table = ingest_file(upload("api.json", json.dumps(document)), "api.json", out_dir).tables[0]

    assert _rows(table) == [{"a": 1}, {"a": 2}]


def test_ndjson_is_streamed_and_keys_seen_late_still_get_a_column(upload, out_dir):
    lines = [json.dumps({"id": i}) for i in range(5)] + [json.dumps({"id": 5, "late": "yes"})]
    result = ingest_file(upload("events.ndjson", "\n".join(lines) + "\n\n"), "events.ndjson", out_dir)

    table = result.tables[0]
    assert result.file_format == "ndjson"
    assert table.rows == 6
    assert [row["late"] for row in _rows(table)] == [None] * 5 + [True]


def test_table_names_are_safe_sql_identifiers(upload, out_dir):
    names = {
        "Sales Report (2024).csv": "sales_report_2024",
        "2024.csv": "t_2024",
        "select.csv": "select_data",
        "Überblick.csv": "uberblick",
    }
    for original, expected in names.items():
        table = ingest_file(upload(original, "a\n1\n"), original, out_dir).tables[0]
        assert table.name == expected
        assert table.parquet_path.name.startswith(f"{expected}-")


def test_each_ingestion_writes_a_new_file_and_leaves_nothing_else(upload, out_dir):
    path = upload("a.csv", "x\n1\n")

    first = ingest_file(path, "a.csv", out_dir).tables[0]
    second = ingest_file(path, "a.csv", out_dir).tables[0]

    assert first.parquet_path != second.parquet_path
    assert sorted(out_dir.iterdir()) == sorted([first.parquet_path, second.parquet_path])


def test_profile_describes_types_samples_nulls_and_distinct_counts(upload, out_dir):
    rows = "".join(f"{i % 4},2024-01-0{i % 3 + 1},{'' if i % 5 == 0 else 'v'}\n" for i in range(100))
    table = ingest_file(upload("p.csv", "k,d,t\n" + rows), "p.csv", out_dir).tables[0]

    info = profile_parquet(table.parquet_path, "p")

    assert info.row_count == 100
    k, d, t = info.columns
    assert (k.type, k.samples, k.distinct_count, k.null_share) == ("integer", [0, 1, 2, 3], 4, 0.0)
    assert d.samples == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert t.null_share == 0.2
    assert json.dumps(info.to_dict())  # catalogue entries are stored as JSON


def test_wide_file_under_the_cap_is_ingested(upload, out_dir):
    header = ",".join(f"c{i}" for i in range(1500))
    row = ",".join(str(i) for i in range(1500))
    path = upload("wide.csv", f"{header}\n{row}\n{row}\n")

    table = ingest_file(path, "wide.csv", out_dir, max_columns=2000).tables[0]

    assert len(table.table_info.columns) == 1500
    assert _rows(table)[0]["c1499"] == 1499


def test_parquet_files_are_readable_by_path(upload, out_dir):
    table = ingest_file(upload("s.csv", SALES_CSV), "s.csv", out_dir).tables[0]

    assert isinstance(table.parquet_path, Path)
    assert table.parquet_path.parent == out_dir
    assert pq.read_metadata(table.parquet_path).num_rows == 3
