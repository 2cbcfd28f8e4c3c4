# SPDX-License-Identifier: MIT
"""Delimited text (CSV, TSV, any sniffed delimiter) as a stream of text batches.

pyarrow's streaming CSV reader does the splitting in C++ a block at a time, so a file of any size
is read in bounded memory; the header is parsed here so names can be cleaned before reading.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest.detect import (
    TextEncoding,
    decode_head,
    detect_encoding,
    read_head,
    sniff_delimiter,
)
from chat2chart.sources.ingest.model import IngestOptions
from chat2chart.sources.ingest.names import clean_column_names, table_name
from chat2chart.sources.ingest.source import BadRows, Chunk, TableSource

BLOCK_BYTES = 8 * 1024 * 1024  # rows per batch follow from this; ~100k rows of a typical export
MAX_HEADER_BYTES = 16 * 1024 * 1024


class _CountingReader:
    """A read-only file wrapper that remembers how many bytes were read, for progress."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.bytes_read = 0
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.bytes_read += len(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


def csv_source(
    path: Path, original_name: str, options: IngestOptions
) -> tuple[TableSource, TextEncoding, str]:
    """The single table of a delimited text file, with the encoding and delimiter it was read with."""
    label = f"'{original_name}'"
    head = _head_with_header(path)
    encoding = detect_encoding(head, label)
    text = decode_head(head, encoding, label)
    if not text.strip():
        raise IngestError(f"{label} holds only blank lines; there is nothing to load.")
    delimiter, delimiter_note = sniff_delimiter(text, original_name)
    body = text.lstrip("\r\n")
    # pyarrow counts blank lines when skipping, so the header is that many lines further down.
    leading = text[: len(text) - len(body)]
    skip_rows = max(leading.count("\n"), leading.count("\r")) + 1
    header = next(csv.reader(io.StringIO(body), delimiter=delimiter), [])
    if len(header) > options.max_columns:
        raise IngestError(
            f"{label} has {len(header):,} columns; Aiser loads at most {options.max_columns:,} per table. "
            "Remove the columns you do not need, or split the file, and upload again."
        )
    names, warnings = clean_column_names(header)
    if encoding.warning:
        warnings.insert(0, encoding.warning)
    if delimiter_note:
        warnings.append(delimiter_note)

    def read(bad_rows: BadRows) -> Iterator[Chunk]:
        return _read_chunks(path, encoding, delimiter, len(names), skip_rows, bad_rows, label)

    source = TableSource(
        name=table_name(Path(original_name).stem),
        label=label,
        columns=names,
        read=read,
        bad_row_problem=f"do not have the {len(names)} fields of its header",
        warnings=warnings,
        delimiter=delimiter,
    )
    return source, encoding, delimiter


def _head_with_header(path: Path) -> bytes:
    # A very wide header can be longer than the usual head; read on until it ends.
    size = 64 * 1024
    while True:
        head = read_head(path, size)
        if b"\n" in head or b"\r" in head or len(head) < size or size >= MAX_HEADER_BYTES:
            return head
        size *= 4


def _read_chunks(
    path: Path,
    encoding: TextEncoding,
    delimiter: str,
    width: int,
    skip_rows: int,
    bad_rows: BadRows,
    label: str,
) -> Iterator[Chunk]:
    total = max(path.stat().st_size, 1)
    internal = [f"c{i}" for i in range(width)]

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        # Always skip here; BadRows decides whether the ingestion as a whole is refused.
        bad_rows.record(row.number, row.actual_columns)
        return "skip"

    # The header row is skipped with the UTF-8 BOM in it, so only other encodings need transcoding.
    codec = "utf8" if encoding.codec in ("utf-8", "utf-8-sig") else encoding.codec
    read_options = pacsv.ReadOptions(
        column_names=internal, skip_rows=skip_rows, block_size=BLOCK_BYTES, encoding=codec, use_threads=False
    )  # single-threaded parsing is what gives bad rows their line numbers
    parse_options = pacsv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
    )
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in internal},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with open(path, "rb") as raw:
        counter = _CountingReader(raw)
        try:
            reader = pacsv.open_csv(
                counter,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
            for batch in reader:
                yield Chunk(batch=batch, fraction=min(counter.bytes_read / total, 1.0))
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise _read_error(exc, encoding, label) from None


def _read_error(exc: Exception, encoding: TextEncoding, label: str) -> IngestError:
    message = str(exc)
    if isinstance(exc, UnicodeDecodeError) or "UTF8" in message or "decode" in message.lower():
        return IngestError(
            f"{label} has bytes further down that are not valid {encoding.label} text, though it starts as "
            f"{encoding.label}. Save the whole file as UTF-8 and upload it again."
        )
    if "Empty CSV file" in message:
        return IngestError(f"{label} has a header row but no data rows.")
    return IngestError(f"{label} could not be read as delimited text: {message.splitlines()[0]}")
