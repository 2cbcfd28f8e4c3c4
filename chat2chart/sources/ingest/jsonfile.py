# SPDX-License-Identifier: MIT
"""JSON files as tables: an array of objects, an object holding one array of objects, or NDJSON.

NDJSON streams line by line. A JSON document has to be parsed whole, so it is capped in size
(`max_json_bytes`) and the message points to NDJSON for anything bigger.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest.detect import TextEncoding, decode_head, detect_encoding, read_head
from chat2chart.sources.ingest.model import IngestOptions
from chat2chart.sources.ingest.names import clean_column_names, table_name
from chat2chart.sources.ingest.source import BadRows, Chunk, TableSource, cell_text, text_batch

CHUNK_ROWS = 50_000


def json_source(
    path: Path, original_name: str, options: IngestOptions, *, ndjson: bool
) -> tuple[TableSource, TextEncoding, bool]:
    """The table in a JSON or NDJSON file, its encoding, and whether it was read as NDJSON.

    A `.json` file holding one object per line is read as NDJSON: that is what it is.
    """
    label = f"'{original_name}'"
    head = read_head(path)
    encoding = detect_encoding(head, label)
    decode_head(head, encoding, label)  # refuses binary content early
    if not ndjson:
        document = _load_document(path, label, encoding, options)
        if document is not None:
            return _document_source(document, original_name, label, options), encoding, False
    return _ndjson_source(path, original_name, label, encoding, options), encoding, True


def _load_document(path: Path, label: str, encoding: TextEncoding, options: IngestOptions) -> Any | None:
    size = path.stat().st_size
    if size > options.max_json_bytes:
        raise IngestError(
            f"{label} is {size / 1024**2:,.0f} MB; JSON documents are read whole and can be at most "
            f"{options.max_json_bytes / 1024**2:,.0f} MB. Save it as NDJSON (one object per line, "
            ".ndjson) or CSV, which have no such limit."
        )
    try:
        with open(path, encoding=encoding.codec) as handle:
            return json.load(handle)
    except UnicodeDecodeError:
        raise IngestError(
            f"{label} has bytes that are not valid {encoding.label}; save it as UTF-8."
        ) from None
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and exc.lineno > 1:
            return None  # several documents, one per line: NDJSON
        raise IngestError(
            f"{label} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None


def _document_source(document: Any, original_name: str, label: str, options: IngestOptions) -> TableSource:
    records = _records(document, label)
    keys = _keys(records, label, options)
    names, warnings = clean_column_names(keys)

    def read(bad_rows: BadRows) -> Iterator[Chunk]:
        for start in range(0, len(records), CHUNK_ROWS):
            part = records[start : start + CHUNK_ROWS]
            rows = [[cell_text(record.get(key)) for key in keys] for record in part]
            yield Chunk(text_batch(rows, len(keys)), (start + len(part)) / len(records))

    return TableSource(
        name=table_name(Path(original_name).stem), label=label, columns=names, read=read, warnings=warnings
    )


def _records(document: Any, label: str) -> list[dict]:
    if isinstance(document, dict):
        lists = [key for key, value in document.items() if _is_record_list(value)]
        if not lists:
            raise IngestError(
                f"{label} holds a JSON object but no list of objects in it; Aiser reads a list of objects "
                "(one per row), or an object with one such list."
            )
        if len(lists) > 1:
            raise IngestError(
                f"{label} holds several lists of objects ({', '.join(lists[:5])}); upload one list per file."
            )
        document = document[lists[0]]
    if not isinstance(document, list):
        raise IngestError(f"{label} holds a single JSON value, not a list of objects.")
    if not document:
        raise IngestError(f"{label} holds an empty list; there is nothing to load.")
    for index, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise IngestError(
                f"Item {index} of the list in {label} is {type(item).__name__}, not an object; "
                "every row must be an object of column names to values."
            )
    return document


def _is_record_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _keys(records: list[dict], label: str, options: IngestOptions) -> list[str]:
    keys: dict[str, None] = {}
    for record in records:
        for key in record:
            keys.setdefault(key)
        if len(keys) > options.max_columns:
            raise _too_many_columns(label, len(keys), options)
    return list(keys)


def _too_many_columns(label: str, count: int, options: IngestOptions) -> IngestError:
    return IngestError(
        f"{label} has more than {options.max_columns:,} different keys ({count:,} so far); Aiser loads at "
        f"most {options.max_columns:,} columns per table. Keep only the fields you need."
    )


def _ndjson_source(
    path: Path, original_name: str, label: str, encoding: TextEncoding, options: IngestOptions
) -> TableSource:
    keys = _ndjson_keys(path, label, encoding, options)
    if not keys:
        raise IngestError(f"{label} has no JSON objects in it; there is nothing to load.")
    names, warnings = clean_column_names(keys)

    def read(bad_rows: BadRows) -> Iterator[Chunk]:
        rows: list[list[str]] = []
        for number, record, fraction in _ndjson_records(path, encoding, label):
            if not isinstance(record, dict):
                bad_rows.record(number)
                continue
            rows.append([cell_text(record.get(key)) for key in keys])
            if len(rows) >= CHUNK_ROWS:
                yield Chunk(text_batch(rows, len(keys)), fraction)
                rows = []
        if rows:
            yield Chunk(text_batch(rows, len(keys)), 1.0)

    return TableSource(
        name=table_name(Path(original_name).stem),
        label=label,
        columns=names,
        read=read,
        bad_row_problem="are not JSON objects",
        warnings=warnings,
    )


def _ndjson_keys(path: Path, label: str, encoding: TextEncoding, options: IngestOptions) -> list[str]:
    # A first pass collects every key, so a field that only appears late still gets its column.
    keys: dict[str, None] = {}
    for _, record, _ in _ndjson_records(path, encoding, label):
        if isinstance(record, dict):
            for key in record:
                keys.setdefault(key)
            if len(keys) > options.max_columns:
                raise _too_many_columns(label, len(keys), options)
    return list(keys)


def _ndjson_records(path: Path, encoding: TextEncoding, label: str) -> Iterator[tuple[int, Any, float]]:
    """(line number, parsed value or None if the line is not JSON, share of file read) per non-blank line."""
    total = max(path.stat().st_size, 1)
    number = 0
    with open(path, encoding=encoding.codec, newline=None) as handle:
        try:
            for number, line in enumerate(handle, start=1):  # noqa: B007 - number is read after the loop
                text = line.strip()
                if not text:
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError:
                    record = None
                yield number, record, min(handle.buffer.tell() / total, 1.0)
        except UnicodeDecodeError:
            raise IngestError(
                f"{label} has bytes after line {number} that are not valid {encoding.label}; "
                "save it as UTF-8."
            ) from None
