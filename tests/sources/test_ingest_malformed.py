# SPDX-License-Identifier: MIT
"""Bad uploads get a clear IngestError, and nothing half-written is left behind.

The corpus is generated here in code: empty and header-only files, ragged rows, binary content
under a text name, wrong extensions, broken encodings, very wide files, hostile workbooks.
"""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pyarrow.parquet as pq
import pytest

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest import ingest_file

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _refused(path, name, out_dir, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        ingest_file(path, name, out_dir, **kwargs)
    assert list(out_dir.iterdir()) == [], "a refused upload must not leave files behind"
    return caught.value.message


def test_empty_file_is_refused(upload, out_dir):
    assert "is empty" in _refused(upload("e.csv", b""), "e.csv", out_dir)


def test_blank_lines_only_are_refused(upload, out_dir):
    assert "only blank lines" in _refused(upload("b.csv", "\n\n  \n"), "b.csv", out_dir)


def test_header_without_rows_is_refused(upload, out_dir):
    assert "no data rows" in _refused(upload("h.csv", "a,b,c\n"), "h.csv", out_dir)


def test_ragged_rows_are_refused_with_their_line_numbers(upload, out_dir):
    path = upload("r.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,14,15\n")

    with pytest.raises(IngestError) as caught:
        ingest_file(path, "r.csv", out_dir)

    assert "line 3 (2 fields)" in caught.value.message
    assert "line 5 (4 fields)" in caught.value.message
    assert "skip bad rows" in caught.value.message
    assert caught.value.details == {"bad_lines": [3, 5], "bad_row_count": 2}
    assert list(out_dir.iterdir()) == []


def test_ragged_rows_can_be_skipped_and_are_counted(upload, out_dir):
    path = upload("r.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n")

    table = ingest_file(path, "r.csv", out_dir, on_bad_rows="skip").tables[0]

    assert table.rows == 2
    assert table.skipped_rows == 2
    assert pq.read_table(table.parquet_path).to_pylist() == [
        {"a": 1, "b": 2, "c": 3},
        {"a": 6, "b": 7, "c": 8},
    ]
    assert any("line 3" in warning and "line 5" in warning for warning in table.warnings)


def test_a_file_of_only_bad_rows_is_refused_even_when_skipping(upload, out_dir):
    message = _refused(upload("r.csv", "a,b\n1\n2\n"), "r.csv", out_dir, on_bad_rows="skip")

    assert "all 2 rows were skipped" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "PNG image"),
        (b"%PDF-1.7\n" + bytes(range(256)), "PDF document"),
        (bytes(range(256)) * 64, "binary data"),
        (b"id,name\n1,\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\n", "binary data"),
    ],
)
def test_binary_content_with_a_csv_name_is_refused(upload, out_dir, content, expected):
    message = _refused(upload("data.csv", content), "data.csv", out_dir)

    assert expected in message
    assert "'data.csv'" in message


def test_workbook_named_csv_is_refused_with_the_fix(workbook, out_dir):
    path = workbook("real.xlsx", {"S": [["a"], [1]]})

    assert "upload it with an .xlsx name" in _refused(path, "export.csv", out_dir)


def test_text_named_xlsx_is_refused_with_the_fix(upload, out_dir):
    message = _refused(upload("fake.xlsx", "a,b\n1,2\n"), "fake.xlsx", out_dir)

    assert "plain text" in message
    assert ".csv name" in message


def test_old_xls_is_refused_with_the_fix(upload, out_dir):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    assert "save it as .xlsx" in _refused(upload("old.xls.xlsx", ole), "old.xlsx", out_dir)


def test_json_named_csv_and_csv_named_json_are_refused(upload, out_dir):
    assert ".json name" in _refused(upload("a.csv", '[{"a": 1}]'), "a.csv", out_dir)
    assert ".csv name" in _refused(upload("b.json", "a,b\n1,2\n"), "b.json", out_dir)


def test_unknown_extension_is_refused(upload, out_dir):
    assert ".xlsx" in _refused(upload("report.pdf", b"%PDF-1.7"), "report.pdf", out_dir)


def test_undecodable_bytes_further_down_are_refused(upload, out_dir):
    content = ("name\n" + "plain ascii\n" * 10_000).encode() + b"caf\xe9 \xff\xfe\n"

    message = _refused(upload("mixed.csv", content), "mixed.csv", out_dir)

    assert "not valid UTF-8" in message
    assert "Save the whole file as UTF-8" in message


def test_too_many_columns_is_refused_above_the_cap(upload, out_dir):
    header = ",".join(f"c{i}" for i in range(5000))
    path = upload("wide.csv", f"{header}\n{','.join('1' * 5000)}\n")

    message = _refused(path, "wide.csv", out_dir)

    assert "5,000 columns" in message
    assert "at most 1,000" in message


def test_duplicate_and_empty_column_names_are_renamed_and_reported(upload, out_dir):
    path = upload("d.csv", "name,,Name,name, \n1,2,3,4,5\n")

    table = ingest_file(path, "d.csv", out_dir).tables[0]

    assert [c.name for c in table.table_info.columns] == ["name", "column_2", "Name_2", "name_3", "column_5"]
    assert sum("no name" in w for w in table.warnings) == 2
    assert sum("repeats the name" in w for w in table.warnings) == 2


def test_zip_bomb_workbook_is_refused_before_unpacking(workbook, rewrite_zip_entry, out_dir, monkeypatch):
    genuine = workbook("book.xlsx", {"S": [["a"], [1]]})
    bomb = rewrite_zip_entry(genuine, "xl/worksheets/sheet1.xml", b"\x00" * (64 * 1024 * 1024))
    opened: list[object] = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a))

    message = _refused(bomb, "book.xlsx", out_dir)

    assert "would unpack to 64 MB" in message
    assert opened == [], "the workbook must be refused before anything is unpacked"


def test_workbook_with_declared_size_above_the_cap_is_refused(workbook, out_dir):
    path = workbook("book.xlsx", {"S": [["a"], [1]]})

    assert "was refused" in _refused(path, "book.xlsx", out_dir, max_unpacked_bytes=1000)


def test_xml_entity_expansion_in_a_workbook_is_refused(workbook, rewrite_zip_entry, out_dir):
    genuine = workbook("book.xlsx", {"S": [["a"], ["x"]]})
    with zipfile.ZipFile(genuine) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    hostile_sheet = laughs + sheet.replace("<t>x</t>", "<t>&lol2;</t>")
    hostile = rewrite_zip_entry(genuine, "xl/worksheets/sheet1.xml", hostile_sheet.encode())

    message = _refused(hostile, "book.xlsx", out_dir)

    assert "XML entity declarations" in message


def test_workbooks_are_parsed_with_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


def test_damaged_workbook_is_refused(workbook, out_dir, tmp_path):
    genuine = workbook("book.xlsx", {"S": [["a"], [1]]}).read_bytes()
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(genuine[: len(genuine) // 2])

    assert "book.xlsx" in _refused(damaged, "book.xlsx", out_dir)


def test_workbook_whose_sheets_have_no_rows_is_refused(workbook, out_dir):
    path = workbook("book.xlsx", {"A": [], "B": [["only", "header"]]})

    assert "no sheet with rows" in _refused(path, "book.xlsx", out_dir)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[{"a": 1}, {"a": 2', "not valid JSON"),
        ('[{"a": 1}, 5]', "Item 2"),
        ('{"meta": {"a": 1}}', "no list of objects"),
        ('{"a": [{"x": 1}], "b": [{"y": 2}]}', "several lists of objects (a, b)"),
        ("[]", "empty list"),
    ],
)
def test_json_without_a_list_of_objects_is_refused(upload, out_dir, content, expected):
    assert expected in _refused(upload("d.json", content), "d.json", out_dir)


def test_json_document_above_the_size_cap_points_to_ndjson(upload, out_dir):
    path = upload("big.json", json.dumps([{"a": i} for i in range(1000)]))

    assert "NDJSON" in _refused(path, "big.json", out_dir, max_json_bytes=1000)


def test_ndjson_lines_that_are_not_objects_are_bad_rows(upload, out_dir):
    path = upload("e.ndjson", '{"a": 1}\nnot json\n{"a": 2}\n[1]\n')

    message = _refused(path, "e.ndjson", out_dir)
    table = ingest_file(path, "e.ndjson", out_dir, on_bad_rows="skip").tables[0]

    assert "line 2" in message
    assert "line 4" in message
    assert "not JSON objects" in message
    assert (table.rows, table.skipped_rows) == (2, 2)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"missing": {"type": "text"}}, "no column named 'missing'"),
        ({"a": {"type": "money"}}, "'money' is not a column type"),
        ({"a": {"name": "b"}}, "Column 'a' cannot be renamed to 'b': that name is taken by column 'b'"),
        ({"a": {"label": "x"}}, "does not know: label"),
    ],
)
def test_invalid_overrides_are_refused(upload, out_dir, overrides, expected):
    assert expected in _refused(upload("o.csv", "a,b\n1,2\n"), "o.csv", out_dir, overrides=overrides)


def test_bad_rows_policy_must_be_known(upload, out_dir):
    with pytest.raises(ValueError, match="on_bad_rows"):
        ingest_file(upload("a.csv", "a\n1\n"), "a.csv", out_dir, on_bad_rows="ignore")


def test_a_failure_after_some_sheets_removes_what_was_written(workbook, out_dir):
    book = openpyxl.Workbook()
    good = book.active
    good.title = "Good"
    good.append(["a"])
    good.append([1])
    bad = book.create_sheet("Bad")
    bad.append(["a"])
    bad.append([1, "stray value"])  # a value beyond the header, refused by default
    buffer = io.BytesIO()
    book.save(buffer)
    path = out_dir.parent / "two.xlsx"
    path.write_bytes(buffer.getvalue())

    message = _refused(path, "two.xlsx", out_dir)

    assert "sheet 'Bad'" in message
    assert "row 2 (2 fields)" in message
