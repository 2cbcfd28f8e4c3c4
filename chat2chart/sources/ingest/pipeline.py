# SPDX-License-Identifier: MIT
"""`ingest_file`: one uploaded file in, one typed and profiled Parquet file per table out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from chat2chart.core.errors import IngestError
from chat2chart.sources.catalogue import COLUMN_TYPES
from chat2chart.sources.ingest.csvfile import csv_source
from chat2chart.sources.ingest.dates import DAY_ORDERS, LAYOUTS
from chat2chart.sources.ingest.detect import DELIMITER_NAMES, detect_format
from chat2chart.sources.ingest.excel import excel_sources
from chat2chart.sources.ingest.jsonfile import json_source
from chat2chart.sources.ingest.model import (
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_JSON_BYTES,
    DEFAULT_MAX_UNPACKED_BYTES,
    DEFAULT_SAMPLE_ROWS,
    FILE_WIDE,
    BadRowPolicy,
    ColumnOverride,
    IngestedTable,
    IngestOptions,
    IngestResult,
    ProgressCallback,
)
from chat2chart.sources.ingest.names import MAX_COLUMN_NAME
from chat2chart.sources.ingest.numbers import NUMBER_FORMATS
from chat2chart.sources.ingest.source import TableSource
from chat2chart.sources.ingest.writer import EmptyTable, ProgressSpan, check_forced_types, write_table


def ingest_file(
    path: str | Path,
    original_name: str,
    out_dir: str | Path,
    *,
    on_progress: ProgressCallback | None = None,
    on_bad_rows: BadRowPolicy = "error",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    missing_overrides: Literal["error", "ignore"] = "error",
    max_columns: int = DEFAULT_MAX_COLUMNS,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES,
    max_blanked_share: float | None = None,
) -> IngestResult:
    """Read the upload at `path` (named `original_name` by the user) into Parquet files in `out_dir`.

    Every call writes new files named `<table>-<random>.parquet` and never touches existing ones; on
    failure nothing it wrote is left behind. `overrides` maps a column name as ingestion first named
    it to `{"name": new_name, "type": column_type, "number_format": "1.234,56", "date_order": "DMY"}`
    (every key optional); the key "*" holds a number format and date order for the whole file. A
    value that cannot be read under a chosen type is stored empty and counted in
    `IngestedTable.nulled_values` and warnings, unless that empties more than `max_blanked_share`
    (0..1) of the column, which refuses the file naming the count and three examples.
    Rows with the wrong number of fields refuse the file (`on_bad_rows="error"`, quoting line
    numbers) or are left out and counted (`"skip"`). An override for a column the file does not have
    refuses the file, or with `missing_overrides="ignore"` (a re-upload keeping earlier choices) is
    dropped with a warning. Raises `IngestError` with a message for the user.
    """
    if on_bad_rows not in ("skip", "error"):
        raise ValueError(f"on_bad_rows must be 'skip' or 'error', not {on_bad_rows!r}")
    path, out_dir = Path(path), Path(out_dir)
    options = IngestOptions(
        on_bad_rows=on_bad_rows,
        max_columns=max_columns,
        sample_rows=sample_rows,
        max_unpacked_bytes=max_unpacked_bytes,
        max_json_bytes=max_json_bytes,
        max_blanked_share=max_blanked_share,
    )
    column_overrides = _parse_overrides(overrides or {})
    result, sources = _open_sources(path, original_name, options)
    if missing_overrides == "ignore":
        column_overrides = _drop_missing_overrides(column_overrides, sources, result.warnings)
    _check_overrides(column_overrides, sources)
    out_dir.mkdir(parents=True, exist_ok=True)
    result.tables = _write_all(sources, out_dir, options, column_overrides, on_progress, result.warnings)
    if not result.tables:
        raise IngestError(f"'{original_name}' has no sheet with rows of data under a header.")
    result.read_as = _read_as(result)
    return result


def check_type_changes(
    path: str | Path,
    original_name: str,
    *,
    overrides: Mapping[str, Mapping[str, Any]],
    max_blanked_share: float,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> None:
    """Refuse, before anything is written, column types in `overrides` that would empty more than
    `max_blanked_share` (0..1) of a column's non-empty values: the same IngestError (count and three
    examples in `details`) that `ingest_file` raises with these overrides. Returns None when they fit.

    Reads the whole file once, converting only the columns given a type; bad rows are passed over
    (ingestion itself reports them).
    """
    options = IngestOptions(on_bad_rows="skip", sample_rows=sample_rows, max_blanked_share=max_blanked_share)
    column_overrides = _parse_overrides(overrides)
    _, sources = _open_sources(Path(path), original_name, options)
    column_overrides = _drop_missing_overrides(column_overrides, sources, [])
    for source in sources:
        check_forced_types(source, options=options, overrides=column_overrides)


def _read_as(result: IngestResult) -> dict[str, str]:
    """The file-wide decisions, named for the user: encoding, delimiter, and per reading the columns."""
    read_as: dict[str, str] = {}
    if result.encoding:
        read_as["encoding"] = result.encoding
    if result.delimiter:
        read_as["delimiter"] = DELIMITER_NAMES.get(result.delimiter, result.delimiter)
    for table in result.tables:
        for column in table.table_info.columns:
            if column.read_as in NUMBER_FORMATS:
                read_as.setdefault("number_format", column.read_as)
            elif column.read_as in DAY_ORDERS:
                read_as.setdefault("date_order", column.read_as)
    return read_as


def _open_sources(
    path: Path, original_name: str, options: IngestOptions
) -> tuple[IngestResult, list[TableSource]]:
    file_format = detect_format(path, original_name)
    if file_format == "excel":
        sources, skipped = excel_sources(path, original_name, options)
        return IngestResult(tables=[], file_format="excel", warnings=skipped), sources
    if file_format == "csv":
        source, encoding, delimiter = csv_source(path, original_name, options)
        result = IngestResult(tables=[], file_format="csv", encoding=encoding.label, delimiter=delimiter)
        return result, [source]
    source, encoding, is_ndjson = json_source(path, original_name, options, ndjson=file_format == "ndjson")
    return IngestResult(tables=[], file_format="ndjson" if is_ndjson else "json", encoding=encoding.label), [
        source
    ]


def _write_all(
    sources: list[TableSource],
    out_dir: Path,
    options: IngestOptions,
    overrides: dict[str, ColumnOverride],
    on_progress: ProgressCallback | None,
    file_warnings: list[str],
) -> list[IngestedTable]:
    written: list[IngestedTable] = []
    try:
        for index, source in enumerate(sources):
            span = ProgressSpan(
                on_progress,
                rows_before=sum(table.rows for table in written),
                start=index / len(sources),
                width=1 / len(sources),
            )
            try:
                written.append(
                    write_table(source, out_dir, options=options, overrides=overrides, progress=span)
                )
            except EmptyTable as empty:
                if source.empty_is_error:
                    raise IngestError(_empty_message(source, empty.skipped)) from None
                file_warnings.append(
                    f"{source.label[0].upper()}{source.label[1:]} has no data rows and was left out."
                )
    except BaseException:
        for table in written:
            table.parquet_path.unlink(missing_ok=True)
        raise
    return written


def _empty_message(source: TableSource, skipped: int) -> str:
    if skipped:
        return f"{source.label} has no usable rows: all {skipped} rows were skipped as bad rows."
    return f"{source.label} has a header row but no data rows."


def _parse_overrides(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, ColumnOverride]:
    parsed = {}
    for column, change in raw.items():
        unknown = set(change) - {"name", "type", "number_format", "date_order"}
        if unknown:
            raise IngestError(
                f"Column '{column}' has changes Aiser does not know: {', '.join(sorted(unknown))}."
            )
        name = str(change.get("name") or "").strip() or None
        type_ = change.get("type") or None
        if type_ is not None and type_ not in COLUMN_TYPES:
            raise IngestError(f"'{type_}' is not a column type; choose one of {', '.join(COLUMN_TYPES)}.")
        if name is not None and len(name) > MAX_COLUMN_NAME:
            raise IngestError(
                f"The new name for column '{column}' is longer than {MAX_COLUMN_NAME} characters."
            )
        number = change.get("number_format") or None
        if number is not None and number not in NUMBER_FORMATS:
            raise IngestError(
                f"'{number}' is not a number format; choose one of {', '.join(NUMBER_FORMATS)}."
            )
        order = change.get("date_order") or None
        if order is not None and order not in LAYOUTS:
            raise IngestError(f"'{order}' is not a date order; choose one of {', '.join(LAYOUTS)}.")
        if column == FILE_WIDE and (name or type_):
            raise IngestError("Only a number format and a date order can be chosen for the whole file.")
        parsed[column] = ColumnOverride(name=name, type=type_, number_format=number, date_order=order)
    return parsed


def _drop_missing_overrides(
    overrides: dict[str, ColumnOverride], sources: list[TableSource], warnings: list[str]
) -> dict[str, ColumnOverride]:
    known = {FILE_WIDE, *(column for source in sources for column in source.columns)}
    missing = sorted(column for column in overrides if column not in known)
    if missing:
        warnings.append(
            f"Your earlier settings for {', '.join(repr(c) for c in missing)} no longer apply: "
            "the new file has no such column."
        )
    return {column: override for column, override in overrides.items() if column in known}


def _check_overrides(overrides: dict[str, ColumnOverride], sources: list[TableSource]) -> None:
    known = {FILE_WIDE, *(column for source in sources for column in source.columns)}
    missing = [column for column in overrides if column not in known]
    if missing:
        raise IngestError(
            f"The file has no column named {', '.join(repr(c) for c in missing)}; it may have changed."
        )
    for source in sources:
        seen: dict[str, str] = {}
        for column in source.columns:
            final = overrides.get(column, ColumnOverride()).name or column
            other = seen.get(final.casefold())
            if other is not None:
                renamed, other = (column, other) if column in overrides else (other, column)
                raise IngestError(
                    f"Column '{renamed}' cannot be renamed to '{final}': that name is taken by column "
                    f"'{other}' of {source.label}."
                )
            seen[final.casefold()] = column
