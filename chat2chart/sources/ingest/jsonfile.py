# SPDX-License-Identifier: MIT
"""JSON files as tables: an array of objects, an object holding one array of objects, or NDJSON.

Everything streams: a JSON document is read twice with ijson (once for its shape and keys, once
for its rows), so memory stays bounded by one chunk of rows whatever the file's size. A document
is still capped in size (`max_json_bytes`), as reading it twice takes time; NDJSON has no cap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest.detect import TextEncoding, decode_head, detect_encoding, read_head
from chat2chart.sources.ingest.model import IngestOptions
from chat2chart.sources.ingest.names import clean_column_names, table_name
from chat2chart.sources.ingest.source import BadRows, Chunk, TableSource, cell_text, text_batch

CHUNK_ROWS = 50_000
_TRAILING = "trailing garbage"  # yajl's words for a second value after the first: NDJSON
_NOT_AN_OBJECT = frozenset({"number", "string", "boolean", "null", "start_array"})


@dataclass(frozen=True)
class _Layout:
    prefix: str  # ijson prefix of the rows: "item", or "<key>.item" for an object holding the list
    keys: list[str]
    count: int


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
        layout = _scan_document(path, label, encoding, options)
        if layout is not None:
            return _document_source(path, layout, original_name, label, encoding), encoding, False
    return _ndjson_source(path, original_name, label, encoding, options), encoding, True


class _Utf8Reader:
    """Bytes for ijson from a text file in any encoding (ijson parses UTF-8)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson probes with read(0) to see whether it gets bytes
        return self._text.read(size).encode("utf-8")


@contextmanager
def _parse_errors(label: str, encoding: TextEncoding) -> Iterator[None]:
    """Turn reading and parsing errors into IngestError, and a second JSON value into _SeveralValues."""
    try:
        yield
    except UnicodeDecodeError:
        raise IngestError(
            f"{label} has bytes that are not valid {encoding.label}; save it as UTF-8."
        ) from None
    except ijson.JSONError as exc:
        first_line = (str(exc).splitlines() or ["unreadable"])[0]
        if _TRAILING in first_line:
            raise _SeveralValues from None
        raise IngestError(f"{label} is not valid JSON: {first_line}.") from None


class _SeveralValues(Exception):
    """The file holds several JSON values one after another: NDJSON, not one document."""


def _scan_document(path: Path, label: str, encoding: TextEncoding, options: IngestOptions) -> _Layout | None:
    size = path.stat().st_size
    if size > options.max_json_bytes:
        raise IngestError(
            f"{label} is {size / 1024**2:,.0f} MB; JSON documents can be at most "
            f"{options.max_json_bytes / 1024**2:,.0f} MB. Save it as NDJSON (one object per line, "
            ".ndjson) or CSV, which have no such limit."
        )
    try:
        with open(path, encoding=encoding.codec) as handle, _parse_errors(label, encoding):
            events = ijson.parse(_Utf8Reader(handle), use_float=True)
            first = next(iter(events), ("", "", None))[1]
        if first == "start_array":
            return _scan_list(path, label, encoding, options)
        if first == "start_map":
            return _scan_object(path, label, encoding, options)
    except _SeveralValues:
        return None
    raise IngestError(f"{label} holds a single JSON value, not a list of objects.")


def _scan_list(path: Path, label: str, encoding: TextEncoding, options: IngestOptions) -> _Layout:
    keys: dict[str, None] = {}
    count = 0
    with open(path, encoding=encoding.codec) as handle, _parse_errors(label, encoding):
        for count, item in enumerate(ijson.items(_Utf8Reader(handle), "item", use_float=True), start=1):
            if not isinstance(item, dict):
                raise IngestError(
                    f"Item {count} of the list in {label} is {type(item).__name__}, not an object; "
                    "every row must be an object of column names to values."
                )
            for key in item:
                keys.setdefault(key)
            if len(keys) > options.max_columns:
                raise _too_many_columns(label, len(keys), options)
    if not count:
        raise IngestError(f"{label} holds an empty list; there is nothing to load.")
    return _Layout(prefix="item", keys=list(keys), count=count)


def _scan_object(path: Path, label: str, encoding: TextEncoding, options: IngestOptions) -> _Layout:
    # Which top-level keys hold a non-empty list made only of objects, and the keys of those objects.
    lists: dict[str, dict[str, None]] = {}
    counts: dict[str, int] = {}
    spoilt: set[str] = set()
    with open(path, encoding=encoding.codec) as handle, _parse_errors(label, encoding):
        for prefix, event, value in ijson.parse(_Utf8Reader(handle), use_float=True):
            if "." not in prefix:
                if prefix and event == "start_array":
                    lists[prefix], counts[prefix] = {}, 0
                continue
            key, _, rest = prefix.partition(".")
            if key not in lists or key in spoilt:
                continue
            if rest == "item" and event == "start_map":
                counts[key] += 1
            elif rest == "item" and event in _NOT_AN_OBJECT:
                spoilt.add(key)
            elif rest == "item" and event == "map_key":
                lists[key].setdefault(value)
                if len(lists[key]) > options.max_columns:
                    raise _too_many_columns(label, len(lists[key]), options)
    found = [key for key in lists if counts[key] and key not in spoilt]
    if not found:
        raise IngestError(
            f"{label} holds a JSON object but no list of objects in it; Aiser reads a list of objects "
            "(one per row), or an object with one such list."
        )
    if len(found) > 1:
        raise IngestError(
            f"{label} holds several lists of objects ({', '.join(found[:5])}); upload one list per file."
        )
    return _Layout(prefix=f"{found[0]}.item", keys=list(lists[found[0]]), count=counts[found[0]])


def _document_source(
    path: Path, layout: _Layout, original_name: str, label: str, encoding: TextEncoding
) -> TableSource:
    keys = layout.keys
    names, warnings = clean_column_names(keys)

    def read(bad_rows: BadRows) -> Iterator[Chunk]:
        rows: list[list[str]] = []
        done = 0
        with open(path, encoding=encoding.codec) as handle, _parse_errors(label, encoding):
            for record in ijson.items(_Utf8Reader(handle), layout.prefix, use_float=True):
                rows.append([cell_text(record.get(key)) for key in keys])
                if len(rows) >= CHUNK_ROWS:
                    done += len(rows)
                    yield Chunk(text_batch(rows, len(keys)), done / layout.count)
                    rows = []
        if rows:
            yield Chunk(text_batch(rows, len(keys)), 1.0)

    return TableSource(
        name=table_name(Path(original_name).stem), label=label, columns=names, read=read, warnings=warnings
    )


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
