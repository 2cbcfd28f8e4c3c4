# SPDX-License-Identifier: MIT
"""The semantic query: one JSON shape for every question asked of a table.

The planner fills it in, the dashboards reuse it, and the query compiler turns it into SQL for
DuckDB, PostgreSQL or MySQL. Only the shape is checked here; whether the fields exist and the
aggregations make sense for their types is checked against the table's catalogue by the compiler.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Aggregation = Literal["count", "count_distinct", "sum", "avg", "min", "max", "median"]
Granularity = Literal[
    "hour", "day", "week", "month", "quarter", "year", "weekday", "month_of_year", "hour_of_day"
]
FilterOp = Literal[
    "eq",
    "neq",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "contains",
    "starts_with",
    "is_null",
    "not_null",
    "last_n",
    "previous_n",
    "this_period",
    "previous_period",
]
PeriodUnit = Literal["day", "week", "month", "quarter", "year"]
Scalar = StrictStr | StrictInt | StrictFloat | StrictBool | None

AGGREGATIONS: tuple[str, ...] = Aggregation.__args__  # type: ignore[attr-defined]
GRANULARITIES: tuple[str, ...] = Granularity.__args__  # type: ignore[attr-defined]
FILTER_OPS: tuple[str, ...] = FilterOp.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Measure(_Strict):
    """An aggregated column. `field` may be omitted only for `count` (count of rows)."""

    field: StrictStr | None = None
    agg: Aggregation = "sum"
    alias: StrictStr | None = None
    # Computed for a calculation but not shown as a column of the answer (the "orders" of revenue per order).
    hidden: StrictBool = False

    @property
    def output_name(self) -> str:
        if self.alias:
            return self.alias
        if self.field is None:
            return "count"
        return f"{self.agg}_{self.field}" if self.agg != "sum" else self.field


CalculationKind = Literal["formula", "share_of_total", "running_total", "difference", "percent_change"]
CALCULATION_KINDS: tuple[str, ...] = CalculationKind.__args__  # type: ignore[attr-defined]


class Calculation(_Strict):
    """A measure computed after aggregation from the query's measures.

    - `formula`: arithmetic (+ - * / and parentheses) over measure output names and numbers, e.g.
      `revenue / count` (revenue per order) or `(revenue - cost) / revenue` (margin); a division by zero
      gives an empty value, never an error or infinity.
    - `share_of_total`: `of` divided by its total over all rows of the answer (a fraction, 0.25 = 25 %).
    - `running_total`: `of` added up along the query's time dimension (per value of the other dimensions).
    - `difference` / `percent_change`: `of` against the same measure one period earlier (`compare_to`
      `previous_period`) or one year earlier (`previous_year`) along the time dimension; the period before
      must be in the answer's range, otherwise the value is empty. `percent_change` is a fraction.
    """

    alias: StrictStr
    kind: CalculationKind = "formula"
    formula: StrictStr | None = None
    of: StrictStr | None = None
    compare_to: Literal["previous_period", "previous_year"] = "previous_period"
    # How to show the value: "percent" for fractions (0.25 = 25 %); None: like any number.
    format: Literal["number", "percent"] | None = None

    @property
    def output_name(self) -> str:
        return self.alias


class Dimension(_Strict):
    """A grouping column, optionally truncated to a time granularity or a time part."""

    field: StrictStr
    granularity: Granularity | None = None
    alias: StrictStr | None = None

    @property
    def output_name(self) -> str:
        if self.alias:
            return self.alias
        return f"{self.field}_{self.granularity}" if self.granularity else self.field


class Filter(_Strict):
    field: StrictStr
    op: FilterOp
    # A scalar for most ops, a list for in/not_in/between, an int count for last_n.
    value: Scalar | list[Scalar] = None
    unit: PeriodUnit | None = None


class OrderBy(_Strict):
    # Any output column: a measure's or dimension's output name, or a raw field that is grouped.
    field: StrictStr
    dir: Literal["asc", "desc"] = "asc"


class SemanticQuery(_Strict):
    source: StrictInt
    table: StrictStr
    measures: list[Measure] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    calculations: list[Calculation] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)
    order: list[OrderBy] = Field(default_factory=list)
    limit: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    offset: Annotated[int, Field(ge=0)] = 0

    def with_filters(self, extra: list[Filter]) -> SemanticQuery:
        """A copy with more filters ANDed in (dashboard filters, locked embed parameters)."""
        return self.model_copy(update={"filters": [*self.filters, *extra]})

    def cache_fingerprint(self) -> str:
        """A canonical JSON text of the query, for cache keys."""
        return self.model_dump_json(exclude_none=False)

    @classmethod
    def parse(cls, data: Any) -> SemanticQuery:
        """Validate user input; raises pydantic.ValidationError with field paths."""
        return cls.model_validate(data)
