# SPDX-License-Identifier: MIT
"""The common shape every file reader produces: tables as a restartable stream of text batches.

Readers (CSV, Excel, JSON) only split a file into rows of strings; typing and writing Parquet
happen once, in `writer.py`, for all of them.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest.model import BadRowPolicy

BAD_ROWS_SHOWN = 10  # line numbers quoted in a message; the count covers the rest


@dataclass
class Chunk:
    batch: pa.RecordBatch  # one string column per table column, in order
    fraction: float  # share of the file (or sheet) read so far, 0..1


@dataclass
class BadRows:
    """Rows that do not fit the table (wrong number of fields, not an object), seen in one pass.

    Recorded from the read-ahead thread and read from the writing one: a lock keeps the two views
    of the count and the examples consistent.
    """

    policy: BadRowPolicy
    file_label: str
    problem: str  # what is wrong with such a row, e.g. "do not have the 4 fields of the header"
    position_word: str = "line"  # "row" in a spreadsheet
    count: int = 0
    examples: list[tuple[int, int | None]] = field(default_factory=list)  # (line, fields found)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, line: int | None, actual: int | None = None) -> None:
        with self._lock:
            self.count += 1
            if len(self.examples) < BAD_ROWS_SHOWN and line is not None:
                self.examples.append((line, actual))

    def check(self, *, finished: bool) -> None:
        """With policy "error", refuse once enough bad rows are known to tell the user where to look."""
        with self._lock:
            count, examples = self.count, list(self.examples)
        if self.policy != "error" or not count:
            return
        if finished or count >= BAD_ROWS_SHOWN:
            more = "" if finished else " (and maybe more further down)"
            raise IngestError(
                f"{self.file_label} has rows that {self.problem}: {self._describe(count, examples)}{more}. "
                "Fix those lines, or upload again choosing to skip bad rows.",
                details={"bad_lines": [line for line, _ in examples], "bad_row_count": count},
            )

    def describe(self) -> str:
        with self._lock:
            return self._describe(self.count, list(self.examples))

    def _describe(self, count: int, examples: list[tuple[int, int | None]]) -> str:
        shown = ", ".join(
            f"{self.position_word} {line}"
            + ("" if fields is None else f" ({fields} field{'s' if fields != 1 else ''})")
            for line, fields in examples
        )
        rest = count - len(examples)
        return shown + (f" and {rest} more" if rest > 0 else "")


@dataclass
class TableSource:
    """One table inside an uploaded file, readable from the start as often as needed."""

    name: str  # safe SQL identifier
    label: str  # how messages name it: "'sales.csv'" or "sheet 'Q1' of 'book.xlsx'"
    columns: list[str]  # cleaned, unique column names in file order
    read: Callable[[BadRows], Iterator[Chunk]]
    bad_row_problem: str = "do not have the same number of fields as the header"
    position_word: str = "line"
    warnings: list[str] = field(default_factory=list)
    # Excel sheets and JSON keep going when one table is empty; a CSV with no rows is an error.
    empty_is_error: bool = True
    delimiter: str | None = None  # delimited text: a semicolon hints at decimal commas


def cell_text(value: object) -> str:
    """A typed value from a workbook or JSON as the text the common type inference reads."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # spreadsheets store every number as a float
    if isinstance(value, dt.datetime):
        midnight = value.time() == dt.time(0) and value.tzinfo is None
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def text_batch(rows: Sequence[Sequence[str]], width: int) -> pa.RecordBatch:
    """A batch of string columns from rows already cut or padded to `width` cells."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    arrays = [pa.array(column, type=pa.string()) for column in columns]
    return pa.RecordBatch.from_arrays(arrays, names=[f"c{i}" for i in range(width)])
