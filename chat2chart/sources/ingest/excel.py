# SPDX-License-Identifier: MIT
"""Excel workbooks (.xlsx): every sheet with data becomes a table.

The archive is checked before anything is unpacked (zip bombs are refused on their declared sizes)
and openpyxl parses the XML through defusedxml, so entity tricks in a workbook go nowhere.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.worksheet.cell_range import CellRange
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
    with _opened(path, label) as workbook:
        try:
            sources, skipped = _sheet_sources(workbook, path, label, options)
        except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
            raise _unreadable(label, exc) from None
    if _has_uncomputed_formulas(path):
        skipped.append(
            f"Some formulas in {label} have no saved result (the program that wrote the file did not "
            "calculate them), so those cells are empty. Open the file in Excel or LibreOffice, save it "
            "and upload it again to load their values."
        )
    return sources, skipped


def _sheet_sources(
    workbook: openpyxl.Workbook, path: Path, label: str, options: IngestOptions
) -> tuple[list[TableSource], list[str]]:
    sources: list[TableSource] = []
    skipped: list[str] = []
    for sheet in workbook.worksheets:
        merges = _merged_ranges(path, getattr(sheet, "_worksheet_path", None))
        header_row, header = _find_header(sheet, merges)
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


@contextmanager
def _opened(path: Path, label: str) -> Iterator[openpyxl.Workbook]:
    """The workbook at `path`, opened from a file handle.

    Stored uploads carry no extension, and openpyxl refuses a *path* that does not end in .xlsx;
    given an open file it reads the content, which `detect_format` has already checked.
    """
    with open(path, "rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
            raise _unreadable(label, exc) from None
        try:
            yield workbook
        finally:
            workbook.close()


# A formula cell whose cached result is missing: "<f>A2*2</f><v />" or "<f .../></c>" with no <v>.
_UNCOMPUTED = re.compile(rb"(?:</f>|<f [^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_SCAN_BYTES = 1024 * 1024


def _has_uncomputed_formulas(path: Path) -> bool:
    """Whether any sheet holds a formula without a saved result (openpyxl reads those as empty)."""
    with zipfile.ZipFile(path) as archive:
        for entry in archive.namelist():
            if not (entry.startswith("xl/worksheets/") and entry.endswith(".xml")):
                continue
            with archive.open(entry) as part:
                tail = b""
                while piece := part.read(_SCAN_BYTES):
                    window = tail + piece
                    if _UNCOMPUTED.search(window):
                        return True
                    tail = window[-256:]
    return False


def _find_header(sheet: Any, merges: list[CellRange]) -> tuple[int, list[object] | None]:
    """The header's cells and the number of its last row (data starts below it).

    The header is the first row with any value, read the way its author laid it out: a single
    value merged across the columns above it is a title and is passed over, and a header cell
    merged across columns with names under it is a two-row header ("Revenue" over "Q1", "Q2"
    gives "Revenue Q1", "Revenue Q2").
    """
    rows = _first_rows(sheet, 4)
    if not rows:
        return 0, None
    number, cells = rows[0]
    if len(rows) > 1 and _is_title(number, cells, merges):
        rows = rows[1:]
        number, cells = rows[0]
    spans = [m for m in merges if m.min_row == number and m.max_col > m.min_col]
    below = rows[1][1] if len(rows) > 1 and rows[1][0] == number + 1 else None
    if not spans or below is None or not _names_under(spans, below):
        return number, list(cells)
    top = _filled(cells, spans)
    width = max(len(top), len(below))
    combined: list[object] = []
    for index in range(width):
        parts = [_cell(top, index), _cell(below, index)]
        words = [str(part).strip() for part in parts if part not in (None, "")]
        combined.append(" ".join(dict.fromkeys(words)) or None)
    return number + 1, combined


def _first_rows(sheet: Any, count: int) -> list[tuple[int, tuple[object, ...]]]:
    found = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = _trim(row)
        if cells:
            found.append((number, cells))
            if len(found) >= count:
                break
    return found


def _is_title(number: int, cells: tuple[object, ...], merges: list[CellRange]) -> bool:
    filled = [index for index, value in enumerate(cells, start=1) if value not in (None, "")]
    return len(filled) == 1 and any(
        m.min_row <= number <= m.max_row and m.min_col == filled[0] and m.max_col > m.min_col for m in merges
    )


def _names_under(spans: list[CellRange], below: tuple[object, ...]) -> bool:
    under = [_cell(below, col - 1) for span in spans for col in range(span.min_col, span.max_col + 1)]
    return all(isinstance(value, str) and value.strip() for value in under)


def _filled(cells: tuple[object, ...], spans: list[CellRange]) -> list[object]:
    filled = list(cells) + [None] * max(0, max(span.max_col for span in spans) - len(cells))
    for span in spans:
        for col in range(span.min_col + 1, span.max_col + 1):
            filled[col - 1] = filled[span.min_col - 1]
    return filled


def _cell(cells: Sequence[object], index: int) -> object:
    return cells[index] if index < len(cells) else None


_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(path: Path, part: str | None) -> list[CellRange]:
    """The merged cell ranges a sheet declares, read straight from its XML part."""
    if not part:
        return []
    ranges: list[CellRange] = []
    with zipfile.ZipFile(path) as archive:
        try:
            handle = archive.open(part.lstrip("/"))
        except KeyError:
            return []
        with handle:
            tail = b""
            while piece := handle.read(_SCAN_BYTES):
                window = tail + piece
                cut = window.rfind(b"<")
                complete, tail = (window[:cut], window[cut:]) if cut > 0 else (window, b"")
                ranges.extend(CellRange(ref.decode()) for ref in _MERGE.findall(complete))
            ranges.extend(CellRange(ref.decode()) for ref in _MERGE.findall(tail))
    return ranges


def _trim(row: tuple[object, ...]) -> tuple[object, ...]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def _reader(
    path: Path, label: str, title: str, header_row: int, width: int
) -> Callable[[BadRows], Iterator[Chunk]]:
    def read(bad_rows: BadRows) -> Iterator[Chunk]:
        with _opened(path, label) as workbook:
            try:
                yield from _sheet_chunks(workbook[title], header_row, width, bad_rows)
            except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
                # Sheets are parsed lazily, so hostile or broken XML (defusedxml refuses entity
                # declarations with a ValueError) surfaces here rather than on opening.
                raise _unreadable(label, exc) from None

    return read


def _sheet_chunks(sheet: Any, header_row: int, width: int, bad_rows: BadRows) -> Iterator[Chunk]:
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
