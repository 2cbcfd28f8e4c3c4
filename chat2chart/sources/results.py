# SPDX-License-Identifier: MIT
"""The result of a query, from the executors' raw rows to the one typed `ResultSet` every app reads.

The DuckDB executor and the database connectors return a raw `QueryResult` (driver types already
mapped to a catalogue `ColumnType`, values passed through `drivervalues.json_value`). The query
service turns it into a frozen `ResultSet` whose columns carry their type, role, display format
and source member; charts, dashboards and the answer pipeline read those and never infer a type
again. The one exception is `ResultSet.from_rows`, for rows that arrive without a query (a
client's posted data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import orjson

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import COLUMN_TYPES, NUMERIC_TYPES, TEMPORAL_TYPES, ColumnType
from chat2chart.sources.semantic import SemanticQuery

Role = Literal["dimension", "measure", "time", "key"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass
class QueryResult:
    """What an executor returns: columns as [{"name", "type"}], JSON-friendly rows, and its run time."""

    columns: list[dict[str, str]]  # [{"name": ..., "type": a ColumnType}]
    rows: list[list[Any]] = field(default_factory=list)  # JSON-friendly values only
    truncated: bool = False  # more rows existed than the row cap allowed
    elapsed_ms: float = 0.0
    truncated_reason: str = ""  # which cap cut the result (rows, bytes, long values), in words

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
            "elapsed_ms": self.elapsed_ms,
        }


# --- the typed result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result.

    `role` says how a chart may use it (a `time` column is a dimension on a time axis; a `key`
    identifies rows and is never added up); `format` is how its values read ("number", "percent",
    "currency:EUR", "date", "datetime"; None when unknown); `member` is what it was computed from
    in the source (the column's name, or e.g. "sum(revenue)").
    """

    name: str
    type: ColumnType
    role: Role
    format: str | None = None
    member: str | None = None
    aggregation: str | None = None
    granularity: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_temporal(self) -> bool:
        return self.type in TEMPORAL_TYPES

    def to_json(self) -> dict[str, Any]:
        """The wire shape: name, type, role, format, member, and agg/granularity when set."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "role": self.role,
            "format": self.format,
            "member": self.member,
        }
        if self.aggregation:
            data["agg"] = self.aggregation
        if self.granularity:
            data["granularity"] = self.granularity
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultColumn:
        """Read a column `to_json` wrote; a missing or unknown type is a ValueError, never a guess."""
        kind = data.get("type")
        if kind not in COLUMN_TYPES:
            raise ValueError(f"result column {data.get('name')!r} has no known type ({kind!r})")
        role = data.get("role")
        return cls(
            name=str(data["name"]),
            type=kind,
            role=role if role in ROLES else default_role(kind),
            format=data.get("format"),
            member=data.get("member"),
            aggregation=data.get("agg") or data.get("aggregation"),
            granularity=data.get("granularity"),
        )


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent running the SQL (0 for a cache hit) and answering the whole request."""

    execute_ms: float = 0.0
    total_ms: float = 0.0


@dataclass(frozen=True)
class CacheInfo:
    hit: bool = False


@dataclass(frozen=True)
class ResultSet:
    """A query's answer: typed columns and immutable rows (each a tuple, one value per column).

    `row_count` is the number of rows here; `truncated` says the source had more than the row cap.
    `rollup` names the pre-aggregated table that answered, when one did (filled by the semantic
    layer). Rows given as lists are stored as tuples, padded or cut to the number of columns.
    """

    columns: tuple[ResultColumn, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    row_count: int = -1  # filled in from `rows`
    truncated: bool = False
    sql: str = ""
    timings: Timings = Timings()
    # Which cap cut the answer (rows, bytes, long values), in words; "" when nothing was cut.
    truncated_reason: str = ""
    cache: CacheInfo = CacheInfo()
    rollup: str | None = None

    def __post_init__(self) -> None:
        width = len(self.columns)
        rows = self.rows
        # The executors' rows already fit; only other shapes are copied into tuples.
        if type(rows) is not tuple or not all(type(row) is tuple and len(row) == width for row in rows):
            rows = tuple(_fitted(row, width) for row in rows)
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "row_count", len(rows))

    # --- reading ---

    @property
    def cached(self) -> bool:
        """Whether this answer came from the result cache (the wire's `cached`)."""
        return self.cache.hit

    @property
    def elapsed_ms(self) -> float:
        """Milliseconds to answer the request, cache look-up included (the wire's `elapsed_ms`)."""
        return self.timings.total_ms

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def index(self, name: str) -> int:
        """The position of column `name`; QueryError when the result has no such column."""
        for position, column in enumerate(self.columns):
            if column.name == name:
                return position
        raise QueryError(f"Column {name!r} is not in the query result.")

    def column(self, name: str) -> ResultColumn:
        return self.columns[self.index(name)]

    def values(self, name: str) -> list[Any]:
        position = self.index(name)
        return [row[position] for row in self.rows]

    def numbers(self, name: str) -> list[float | None]:
        """The column's values as floats; None for nulls and text that is not a number."""
        return [to_number(value) for value in self.values(name)]

    def is_temporal(self, name: str) -> bool:
        return self.column(name).is_temporal

    def cardinality(self, name: str) -> int:
        """How many distinct values the column has in these rows."""
        return len({str(value) for value in self.values(name)})

    def with_rows(self, rows: Iterable[Sequence[Any]]) -> ResultSet:
        """The same result with other rows (a chart's top-N cut), everything else kept."""
        return dataclasses.replace(self, rows=tuple(tuple(row) for row in rows))

    # --- the wire ---

    def columns_json(self) -> list[dict[str, Any]]:
        return [column.to_json() for column in self.columns]

    def to_json(self) -> dict[str, Any]:
        """The API's result body: columns, rows, sql, cached, elapsed_ms (total), truncated."""
        return self._wire([list(row) for row in self.rows])

    def to_json_bytes(self) -> bytes:
        """`to_json()` serialised by orjson in one pass (rows go out as they are stored)."""
        return orjson.dumps(self._wire(self.rows))

    def _wire(self, rows: Any) -> dict[str, Any]:
        return {
            "columns": self.columns_json(),
            "rows": rows,
            "sql": self.sql,
            "cached": self.cached,
            "elapsed_ms": self.elapsed_ms,
            "truncated": self.truncated,
            **({"truncated_reason": self.truncated_reason} if self.truncated_reason else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | bytes) -> ResultSet:
        """Read what `to_json`/`to_json_bytes` wrote (a cache entry); columns must carry their types."""
        body = orjson.loads(data) if isinstance(data, bytes) else data
        elapsed = float(body.get("elapsed_ms") or 0.0)
        return cls(
            columns=tuple(ResultColumn.from_json(c) for c in body["columns"]),
            rows=tuple(map(tuple, body.get("rows") or ())),
            truncated=bool(body.get("truncated")),
            truncated_reason=str(body.get("truncated_reason") or ""),
            sql=str(body.get("sql") or ""),
            timings=Timings(execute_ms=elapsed, total_ms=elapsed),
            cache=CacheInfo(hit=bool(body.get("cached"))),
        )

    @classmethod
    def from_rows(
        cls, columns: Sequence[str | Mapping[str, Any]], rows: Sequence[Sequence[Any]]
    ) -> ResultSet:
        """A result from plain rows that did not come from a query (posted data, a stored snapshot).

        THE ONLY place a column type is inferred: a column's given `type` (and `role`, `format`,
        `member`, `agg`, `granularity`) are kept; a missing or unknown type is read from its values,
        a missing role from its type. Columns are names or dicts with at least "name"; raises
        ValueError for anything else.
        """
        width = len(columns)
        fitted = [_fitted(row, width) for row in rows]
        described = []
        for position, given in enumerate(columns):
            spec: Mapping[str, Any] = {"name": given} if isinstance(given, str) else given
            if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
                raise ValueError("every result column needs a name")
            kind = spec.get("type")
            if kind not in COLUMN_TYPES:
                kind = infer_type([row[position] for row in fitted])
            role = spec.get("role")
            described.append(
                ResultColumn(
                    name=spec["name"],
                    type=kind,
                    role=role if role in ROLES else default_role(kind),
                    format=spec.get("format") or default_format(kind),
                    member=spec.get("member") or spec["name"],
                    aggregation=spec.get("agg") or spec.get("aggregation"),
                    granularity=spec.get("granularity"),
                )
            )
        return cls(columns=tuple(described), rows=tuple(tuple(row) for row in fitted))


def _fitted(row: Sequence[Any], width: int) -> tuple[Any, ...]:
    if isinstance(row, tuple) and len(row) == width:
        return row
    values = tuple(row[:width])
    return values + (None,) * (width - len(values))


def query_columns(query: SemanticQuery, compiled: Sequence[Mapping[str, Any]]) -> tuple[ResultColumn, ...]:
    """The typed columns of a semantic query's answer, from the compiler's [{"name", "type", ...}].

    Dimensions are `time` when they truncate a date (day, month, ...) and plain dimensions otherwise
    (a weekday number is a category); measures keep their aggregation, and every column names the
    source member it came from.
    """
    dimensions = {d.output_name: d for d in query.dimensions}
    measures = {m.output_name: m for m in query.measures}
    calculations = {c.output_name: c for c in query.calculations}
    columns = []
    for given in compiled:
        name, kind = str(given["name"]), given["type"]
        if name in calculations:
            # Computed from other measures: a value to draw, never added up across groups (a ratio or share).
            calculation = calculations[name]
            member = f"{calculation.kind}({calculation.formula or calculation.of or ''})"
            fmt = given.get("format") or "number"
            columns.append(ResultColumn(name, kind, "measure", fmt, member))
            continue
        if name in measures:
            measure = measures[name]
            member = f"{measure.agg}({measure.field or '*'})"
            columns.append(ResultColumn(name, kind, "measure", "number", member, aggregation=measure.agg))
            continue
        dimension = dimensions.get(name)
        granularity = dimension.granularity if dimension else given.get("granularity")
        role: Role = "time" if kind in TEMPORAL_TYPES else "dimension"
        member = dimension.field if dimension else name
        columns.append(ResultColumn(name, kind, role, default_format(kind), member, granularity=granularity))
    return tuple(columns)


def raw_column(name: str, kind: ColumnType) -> ResultColumn:
    """A column read as stored (a table preview, an editor's SQL): its role and format follow its type."""
    return ResultColumn(
        name=name, type=kind, role=default_role(kind), format=default_format(kind), member=name
    )


def default_role(kind: str) -> Role:
    """Dates go on a time axis, numbers are measures, everything else is a dimension."""
    if kind in TEMPORAL_TYPES:
        return "time"
    return "measure" if kind in NUMERIC_TYPES else "dimension"


def default_format(kind: str) -> str | None:
    if kind in NUMERIC_TYPES:
        return "number"
    return kind if kind in TEMPORAL_TYPES else None


def infer_type(values: Sequence[Any]) -> ColumnType:
    """The catalogue type of plain values (only `ResultSet.from_rows` calls this)."""
    present = [v for v in values if v is not None]
    if not present:
        return "text"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present):
        return "decimal"
    if all(_is_date(v) for v in present):
        return "date"
    if all(_is_datetime(v) for v in present):
        return "datetime"
    return "text"


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return not isinstance(value, dt.datetime)
    return isinstance(value, str) and bool(_ISO_DATE.match(value))


def _is_datetime(value: Any) -> bool:
    return isinstance(value, dt.datetime) or (isinstance(value, str) and bool(_ISO_DATETIME.match(value)))


def to_number(value: Any) -> float | None:
    """A cell as a float; None for nulls and unreadable text, which a chart draws as a gap."""
    if value is None or isinstance(value, bool):
        return float(value) if isinstance(value, bool) else None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None
