# SPDX-License-Identifier: MIT
"""What ingestion hands back, and the knobs a caller may turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from chat2chart.sources.catalogue import TableInfo

BadRowPolicy = Literal["skip", "error"]

DEFAULT_MAX_COLUMNS = 1000  # wider tables are refused: they are nearly always a pivot or an export gone wrong
DEFAULT_SAMPLE_ROWS = 20_000  # rows looked at to decide each column's type
DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024**3  # an .xlsx may unpack to at most this much XML
DEFAULT_MAX_COMPRESSION_RATIO = 200  # spreadsheets compress ~10-30x; far beyond that is a zip bomb
DEFAULT_MAX_JSON_BYTES = 200 * 1024**2  # a JSON document (not NDJSON) is parsed whole, in memory
FILE_WIDE = "*"  # the overrides key for choices that apply to every column of the file


class ProgressCallback(Protocol):
    def __call__(self, rows_done: int, fraction: float) -> None: ...


@dataclass
class IngestedTable:
    name: str  # a safe SQL identifier: [a-z_][a-z0-9_]*
    parquet_path: Path
    table_info: TableInfo
    rows: int
    skipped_rows: int = 0  # ragged rows left out (only with on_bad_rows="skip")
    warnings: list[str] = field(default_factory=list)
    # Values that could not be read under a type the user chose, left empty, per column.
    nulled_values: dict[str, int] = field(default_factory=dict)
    # Stray markers ("n/a", "-", "unknown") read as empty in typed columns, per column.
    marker_values: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestResult:
    tables: list[IngestedTable]
    file_format: Literal["csv", "excel", "json", "ndjson"]
    encoding: str | None = None  # text files only, e.g. "utf-8", "utf-16", "windows-1252"
    delimiter: str | None = None  # delimited text only
    warnings: list[str] = field(default_factory=list)  # about the file as a whole
    # How the file was read, for the user to check and change: encoding, delimiter, decimal mark,
    # day order, each with why it was chosen.
    read_as: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnOverride:
    name: str | None = None
    type: str | None = None
    number_format: str | None = None  # a key of numbers.NUMBER_FORMATS, e.g. "1.234,56"
    date_order: str | None = None  # a key of dates.LAYOUTS, e.g. "DMY"


@dataclass(frozen=True)
class IngestOptions:
    on_bad_rows: BadRowPolicy = "error"
    max_columns: int = DEFAULT_MAX_COLUMNS
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    # A chosen type that would empty more than this share of a column's values is refused.
    max_blanked_share: float | None = None
