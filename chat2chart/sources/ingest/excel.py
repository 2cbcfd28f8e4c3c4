# SPDX-License-Identifier: MIT
"""Excel workbooks (.xlsx): every sheet with data becomes a table.

The archive is checked before anything is unpacked (zip bombs are refused on their declared sizes)
and openpyxl parses the XML through defusedxml, so entity tricks in a workbook go nowhere.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.xml import DEFUSEDXML

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest.model import IngestOptions
from chat2chart.sources.ingest.names import clean_column_names, table_name
from chat2chart.sources.ingest.source import BadRows, Chunk, TableSource, cell_text, text_batch

MAX_ARCHIVE_ENTRIES = 10_000
CHUNK_ROWS = 20_000
_SMALL_ENTRY = 1024 * 1024  # below this, a high ratio is just a very repetitive small part


def check_archive(path: Path, label: str, options: IngestOptions) -> None:
    """Refuse a workbook whose declared unpacked size or compression ratio is out of all proportion.

    Python's zipfile never inflates an entry beyond its declared size, so checking the declared
    sizes up front also bounds what openpyxl can unpack later.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise IngestError(f"{label} is damaged: it is not a readable .xlsx archive.") from None
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise IngestError(
            f"{label} holds {len(entries):,} parts, far more than a workbook has; it was refused."
        )
    unpacked = sum(entry.file_size for entry in entries)
    packed = max(sum(entry.compress_size for entry in entries), 1)
    too_compressed = any(
        entry.file_size > _SMALL_ENTRY
        and entry.file_size / max(entry.compress_size, 1) > options.max_compression_ratio
        for entry in entries
    )
    if unpacked > options.max_unpacked_bytes or too_compressed:
        raise IngestError(
            f"{label} would unpack to {unpacked / 1024**2:,.0f} MB from {packed / 1024**2:,.1f} MB, "
            "which is not what a spreadsheet looks like; it was refused. If it is genuine, save the "
            "sheets as CSV and upload those."
        )


def excel_sources(
    path: Path, original_name: str, options: IngestOptions
) -> tuple[list[TableSource], list[str]]:
    """One source per sheet that has a header row, and warnings about the sheets left out."""
    label = f"'{original_name}'"
    if not DEFUSEDXML:  # openpyxl falls back to the stdlib parser silently without it
        raise IngestError("Excel files cannot be read on this server right now; upload the data as CSV.")
    check_archive(path, label, options)
    workbook = _open(path, label)
    try:
        return _sheet_sources(workbook, path, label, options)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise _unreadable(label, exc) from None
    finally:
        workbook.close()


def _sheet_sources(
    workbook: openpyxl.Workbook, path: Path, label: str, options: IngestOptions
) -> tuple[list[TableSource], list[str]]:
    sources: list[TableSource] = []
    skipped: list[str] = []
    for sheet in workbook.worksheets:
        header_row, header = _find_header(sheet)
        sheet_label = f"sheet '{sheet.title}' of {label}"
        if header is None:
            skipped.append(f"Sheet '{sheet.title}' is empty and was left out.")
            continue
        if len(header) > options.max_columns:
            raise IngestError(
                f"{sheet_label} has {len(header):,} columns; Aiser loads at most {options.max_columns:,} "
                "per table. Remove the columns you do not need and upload again."
            )
        names, warnings = clean_column_names(header)
        sources.append(
            TableSource(
                name=table_name(sheet.title, [source.name for source in sources]),
                label=sheet_label,
                columns=names,
                read=_reader(path, label, sheet.title, header_row, len(names)),
                bad_row_problem="have values to the right of the last column with a header",
                position_word="row",
                warnings=warnings,
                empty_is_error=False,
            )
        )
    return sources, skipped


def _unreadable(label: str, exc: BaseException) -> IngestError:
    cause: BaseException | None = exc
    while cause is not None:  # openpyxl wraps the parser's own error in a ValueError
        if isinstance(cause, DefusedXmlException):
            return IngestError(
                f"{label} contains XML entity declarations, which Aiser refuses for safety; "
                "open it in Excel, save it again as .xlsx and upload that."
            )
        cause = cause.__cause__ or cause.__context__
    return IngestError(
        f"{label} could not be read as an Excel workbook ({type(exc).__name__}); "
        "open it in Excel, save it again as .xlsx and upload that."
    )


def _open(path: Path, label: str) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise _unreadable(label, exc) from None


def _find_header(sheet) -> tuple[int, list[object] | None]:
    """The first row with any value, trimmed of empty trailing cells, and its 1-based number."""
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = _trim(row)
        if cells:
            return number, list(cells)
    return 0, None


def _trim(row: tuple) -> tuple:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def _reader(path: Path, label: str, title: str, header_row: int, width: int):
    def read(bad_rows: BadRows) -> Iterator[Chunk]:
        workbook = _open(path, label)
        try:
            yield from _sheet_chunks(workbook[title], header_row, width, bad_rows)
        except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
            # Sheets are parsed lazily, so hostile or broken XML (defusedxml refuses entity
            # declarations with a ValueError) surfaces here rather than on opening.
            raise _unreadable(label, exc) from None
        finally:
            workbook.close()

    return read


def _sheet_chunks(sheet, header_row: int, width: int, bad_rows: BadRows) -> Iterator[Chunk]:
    total = max((sheet.max_row or 0) - header_row, 1)
    rows: list[list[str]] = []
    for number, row in enumerate(sheet.iter_rows(min_row=header_row + 1, values_only=True), header_row + 1):
        cells = _trim(row)
        if not cells:
            continue  # blank and merely formatted rows
        if len(cells) > width:
            bad_rows.record(number, len(cells))
            continue
        rows.append([cell_text(value) for value in cells] + [""] * (width - len(cells)))
        if len(rows) >= CHUNK_ROWS:
            yield Chunk(text_batch(rows, width), min((number - header_row) / total, 1.0))
            rows = []
    if rows:
        yield Chunk(text_batch(rows, width), 1.0)
