# SPDX-License-Identifier: MIT
"""Turn one table source into one Parquet file: type the columns, convert chunk by chunk, write.

Types are inferred on the first rows. When a later chunk holds a value its column's type cannot
read, that column is widened (integer to decimal, date to datetime, else text) and the table is
written again from the start, so no value is ever silently dropped. Only a type the user chose
may turn an unreadable value into an empty one; those are counted and reported.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from chat2chart.core.errors import IngestError
from chat2chart.sources.ingest.convert import ColumnPlan, arrow_type, convert_column
from chat2chart.sources.ingest.infer import (
    ColumnEvidence,
    Conventions,
    closest_reading,
    decide,
    examine,
    file_conventions,
    mixed_conventions,
    widen,
)
from chat2chart.sources.ingest.model import (
    FILE_WIDE,
    ColumnOverride,
    IngestedTable,
    IngestOptions,
    ProgressCallback,
)
from chat2chart.sources.ingest.overlap import BackgroundWriter, read_ahead
from chat2chart.sources.ingest.profile import profile_parquet
from chat2chart.sources.ingest.refusal import check_type_change
from chat2chart.sources.ingest.source import BadRows, Chunk, TableSource

PARQUET_COMPRESSION = "snappy"
CONVERT_THREADS = 2
MAX_PASSES = 8  # each pass widens at least one column; beyond this every failing column goes to text


class EmptyTable(Exception):
    """A table with a header and no rows; the caller decides whether that is an error."""

    def __init__(self, label: str, skipped: int) -> None:
        super().__init__(label)
        self.skipped = skipped


@dataclass
class ProgressSpan:
    """Where one table's progress sits inside the whole file's, for multi-table files."""

    callback: ProgressCallback | None
    rows_before: int = 0
    start: float = 0.0
    width: float = 1.0

    last: tuple[int, float] | None = None

    def report(self, rows: int, fraction: float) -> None:
        point = (self.rows_before + rows, min(1.0, self.start + self.width * fraction))
        if self.callback is not None and point != self.last:
            self.last = point
            self.callback(*point)


class _Mismatch(Exception):
    def __init__(self, plans: list[ColumnPlan], index: int, failing: pa.Array) -> None:
        super().__init__(index)
        self.plans = plans
        self.index = index
        self.failing = failing


@dataclass
class _PassResult:
    rows: int
    skipped: int
    skipped_detail: str
    nulled: dict[str, int] = field(default_factory=dict)
    nulled_examples: dict[str, list[str]] = field(default_factory=dict)
    forced_present: dict[str, int] = field(default_factory=dict)  # non-empty values of chosen-type columns
    markers: dict[str, int] = field(default_factory=dict)
    marker_examples: dict[str, str] = field(default_factory=dict)


def write_table(
    source: TableSource,
    out_dir: Path,
    *,
    options: IngestOptions,
    overrides: dict[str, ColumnOverride],
    progress: ProgressSpan,
) -> IngestedTable:
    """Write `source` to a new Parquet file in `out_dir` and profile it."""
    final_path = out_dir / f"{source.name}-{secrets.token_hex(4)}.parquet"
    partial_path = out_dir / f".{final_path.name}.partial"
    plans: list[ColumnPlan] | None = None
    warnings = list(source.warnings)
    try:
        for attempt in range(MAX_PASSES):
            try:
                plans, result = _write_pass(
                    source, partial_path, plans, overrides, options, progress, warnings
                )
                break
            except _Mismatch as mismatch:
                plans = list(mismatch.plans)
                plan = plans[mismatch.index]
                wider = widen(plan, mismatch.failing) if attempt < MAX_PASSES - 2 else plan.with_type("text")
                warnings.append(
                    f"Column '{plan.name}' looked like {plan.type} in the first rows but later holds "
                    f"{_quote(mismatch.failing[0].as_py())}; it is stored as {wider.type}."
                )
                plans[mismatch.index] = wider
        else:  # pragma: no cover - the last pass makes failing columns text, which cannot fail
            raise IngestError(f"{source.label} could not be typed; please report this file to support.")
        if options.max_blanked_share is not None:
            _check_blanking(plans or [], result, options.max_blanked_share)
        os.replace(partial_path, final_path)
    finally:
        partial_path.unlink(missing_ok=True)
    try:
        return _finish(source, final_path, result, warnings, plans or [])
    except BaseException:
        final_path.unlink(missing_ok=True)
        raise


def check_forced_types(
    source: TableSource, *, options: IngestOptions, overrides: dict[str, ColumnOverride]
) -> None:
    """Read every row of `source` and refuse, as `write_table` would, a type the user chose that
    empties more than `options.max_blanked_share` of a column; nothing is written.

    Only the columns with a chosen type are converted, so this costs a read of the file.
    """
    bad_rows = BadRows(policy="skip", file_label=source.label, problem=source.bad_row_problem)
    with closing(read_ahead(source.read(bad_rows))) as chunks:
        sample = _take_sample(chunks, options.sample_rows)
        plans = _plan_columns(source, sample, overrides, [], options.sample_rows)
        forced = [(index, plan) for index, plan in enumerate(plans) if plan.forced and plan.type != "text"]
        if not forced or options.max_blanked_share is None:
            return
        result = _PassResult(rows=0, skipped=0, skipped_detail="")
        for chunk in chain(sample, chunks):
            for index, plan in forced:
                _count_forced(chunk.batch.column(index), plan, result)
    _check_blanking(plans, result, options.max_blanked_share)


def _count_forced(source: pa.Array, plan: ColumnPlan, result: _PassResult) -> pa.Array:
    """Convert one chunk of a column, counting what a chosen type empties; returns the values."""
    converted = convert_column(source, plan)
    present = len(source) - converted.empty - converted.markers
    result.forced_present[plan.name] = result.forced_present.get(plan.name, 0) + present
    if converted.failures:
        result.nulled[plan.name] = result.nulled.get(plan.name, 0) + converted.failures
        examples = result.nulled_examples.setdefault(plan.name, [])
        for value in converted.failing_values(source, 3).to_pylist():
            if len(examples) < 3 and value not in examples:
                examples.append(value)
    return converted.array


def _check_blanking(plans: list[ColumnPlan], result: _PassResult, max_share: float) -> None:
    for plan in plans:
        if plan.name in result.nulled:
            check_type_change(
                plan.name,
                plan.type,
                present=result.forced_present.get(plan.name, 0),
                blanked=result.nulled[plan.name],
                examples=result.nulled_examples[plan.name],
                max_share=max_share,
            )


def _finish(
    source: TableSource, path: Path, result: _PassResult, warnings: list[str], plans: list[ColumnPlan]
) -> IngestedTable:
    if result.skipped:
        warnings.append(
            f"{result.skipped} row(s) of {source.label} were skipped because they {source.bad_row_problem}: "
            f"{result.skipped_detail}."
        )
    for column, count in result.nulled.items():
        warnings.append(
            f"{count} value(s) in column '{column}' could not be read as the chosen type and were left "
            f"empty (for example {_quote(result.nulled_examples[column][0])})."
        )
    for column, count in result.markers.items():
        warnings.append(
            f"{count} value(s) in column '{column}' such as {_quote(result.marker_examples[column])} mean "
            "“no value” and were read as empty."
        )
    info = profile_parquet(path, source.name)
    readings = {plan.name: reading for plan in plans if (reading := _reading(plan))}
    for described in info.columns:
        described.read_as = readings.get(described.name)
    return IngestedTable(
        name=source.name,
        parquet_path=path,
        table_info=info,
        rows=result.rows,
        skipped_rows=result.skipped,
        warnings=warnings,
        nulled_values=dict(result.nulled),
        marker_values=dict(result.markers),
    )


def _reading(plan: ColumnPlan) -> str | None:
    """How a column's text was read, as the user would choose it: a number format or a date layout."""
    if plan.type in ("integer", "decimal"):
        return plan.number_format or "1,234.56"
    if plan.type in ("date", "datetime"):
        return plan.date_format or "ISO"
    return None


def _write_pass(
    source: TableSource,
    path: Path,
    plans: list[ColumnPlan] | None,
    overrides: dict[str, ColumnOverride],
    options: IngestOptions,
    progress: ProgressSpan,
    warnings: list[str],
) -> tuple[list[ColumnPlan], _PassResult]:
    bad_rows = BadRows(
        policy=options.on_bad_rows,
        file_label=source.label,
        problem=source.bad_row_problem,
        position_word=source.position_word,
    )
    with closing(read_ahead(source.read(bad_rows))) as chunks:
        sample = _take_sample(chunks, options.sample_rows)
        bad_rows.check(finished=False)
        if plans is None:
            plans = _plan_columns(source, sample, overrides, warnings, options.sample_rows)
        schema = pa.schema([pa.field(plan.name, arrow_type(plan)) for plan in plans])
        result = _PassResult(rows=0, skipped=0, skipped_detail="")
        progress.report(0, 0.0)
        # Dictionary pages pay off for repetitive text; for numbers and times they cost CPU and save little.
        text_columns = [plan.name for plan in plans if plan.type == "text"]
        parquet = pq.ParquetWriter(path, schema, compression=PARQUET_COMPRESSION, use_dictionary=text_columns)
        writer = BackgroundWriter(parquet)
        # pyarrow compute releases the GIL: columns convert side by side on the second core.
        converters = ThreadPoolExecutor(max_workers=CONVERT_THREADS, thread_name_prefix="ingest-convert")
        try:
            for chunk in chain(sample, chunks):
                batch = _convert_batch(chunk.batch, plans, schema, result, converters)
                writer.write(batch)
                result.rows += batch.num_rows
                bad_rows.check(finished=False)
                progress.report(result.rows, chunk.fraction)
        finally:
            converters.shutdown(wait=True)
            writer.close()
    bad_rows.check(finished=True)
    result.skipped, result.skipped_detail = bad_rows.count, bad_rows.describe()
    if result.rows == 0:
        raise EmptyTable(source.label, bad_rows.count)
    progress.report(result.rows, 1.0)
    return plans, result


def _take_sample(chunks: Iterator[Chunk], rows: int) -> list[Chunk]:
    sample: list[Chunk] = []
    taken = 0
    for chunk in chunks:
        sample.append(chunk)
        taken += chunk.batch.num_rows
        if taken >= rows:
            break
    return sample


def _plan_columns(
    source: TableSource,
    sample: list[Chunk],
    overrides: dict[str, ColumnOverride],
    warnings: list[str],
    rows: int,
) -> list[ColumnPlan]:
    """Each column's plan: the readings its sample allows, settled with the file's conventions
    (decided across all columns, so one file is read one way) and the user's choices."""
    file_choice = overrides.get(FILE_WIDE, ColumnOverride())
    evidence = [
        examine(_sample_column(sample, index, rows), overrides.get(column, ColumnOverride()).name or column)
        for index, column in enumerate(source.columns)
    ]
    chosen = Conventions(number_format=file_choice.number_format, date_order=file_choice.date_order)
    conventions = file_conventions(evidence, delimiter=source.delimiter, chosen=chosen)
    if mixed := mixed_conventions(evidence):
        warnings.append(mixed)
    plans = []
    for column, seen in zip(source.columns, evidence, strict=True):
        override = overrides.get(column, ColumnOverride())
        plan, warning = decide(
            seen, conventions, number_choice=override.number_format, order_choice=override.date_order
        )
        if override.type:
            plan = _forced(plan, override, seen, conventions)
        elif warning:
            warnings.append(warning)
        plans.append(plan)
    return plans


def _forced(
    plan: ColumnPlan, override: ColumnOverride, evidence: ColumnEvidence, conventions: Conventions
) -> ColumnPlan:
    """The plan for a type the user chose, keeping the reading inference found where it applies."""
    type_ = override.type
    numeric, dated = ("integer", "decimal"), ("date", "datetime")
    if type_ in numeric and plan.type in numeric:
        number = override.number_format or plan.number_format
        return ColumnPlan(name=plan.name, type=type_, forced=True, number_format=number)  # type: ignore[arg-type]
    if type_ in dated and plan.type in dated:
        layout = override.date_order or plan.date_format
        tz_aware = plan.tz_aware if type_ == "datetime" else False
        return ColumnPlan(name=plan.name, type=type_, forced=True, date_format=layout, tz_aware=tz_aware)  # type: ignore[arg-type]
    closest = closest_reading(evidence, type_ or "text", conventions)
    if override.number_format and type_ in numeric:
        closest = replace(closest, number_format=override.number_format)
    if override.date_order and type_ in dated:
        closest = replace(closest, date_format=override.date_order)
    return closest


def _sample_column(sample: list[Chunk], index: int, rows: int) -> pa.Array:
    """The first `rows` values of a column. A chunk holds more (8 MB of text); the rest are checked
    by the conversion of every chunk, which widens a type that a later value does not fit."""
    if not sample:
        return pa.array([], pa.string())
    return pa.chunked_array([chunk.batch.column(index) for chunk in sample], pa.string())[
        :rows
    ].combine_chunks()


def _convert_batch(
    batch: pa.RecordBatch,
    plans: list[ColumnPlan],
    schema: pa.Schema,
    result: _PassResult,
    converters: ThreadPoolExecutor,
) -> pa.RecordBatch:
    arrays = []
    conversions = converters.map(convert_column, batch.columns, plans)
    for index, (plan, converted) in enumerate(zip(plans, conversions, strict=True)):
        source = batch.column(index)
        failures = converted.failures
        if failures and not plan.forced:
            raise _Mismatch(plans, index, converted.failing_values(source))
        if plan.forced and plan.type != "text":
            present = len(source) - converted.empty - converted.markers
            result.forced_present[plan.name] = result.forced_present.get(plan.name, 0) + present
        if failures:
            result.nulled[plan.name] = result.nulled.get(plan.name, 0) + failures
            examples = result.nulled_examples.setdefault(plan.name, [])
            for value in converted.failing_values(source, 3).to_pylist():
                if len(examples) < 3 and value not in examples:
                    examples.append(value)
        if converted.markers:
            result.markers[plan.name] = result.markers.get(plan.name, 0) + converted.markers
            result.marker_examples.setdefault(plan.name, converted.marker_example or "")
        arrays.append(converted.array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
