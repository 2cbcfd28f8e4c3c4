# SPDX-License-Identifier: MIT
"""The semantic model: cubes (a table or a checked SELECT of one source) with measures, dimensions,
joins and segments. Pure pydantic, no Django; `validate_model` checks what the shapes alone cannot
(references, joins, SQL) and names the cube, member and field of every problem.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from chat2chart.core.errors import ValidationFailed
from chat2chart.semantic.preagg import PreAggregation, RefreshKey

MeasureType = Literal[
    "count", "count_distinct", "count_distinct_approx", "sum", "avg", "min", "max", "number"
]
DimensionType = Literal["string", "number", "time", "boolean"]
Relationship = Literal["many_to_one", "one_to_many", "one_to_one"]
FormatKind = Literal["number", "currency", "percent"]
PeriodGrain = Literal["day", "week", "month", "quarter", "year"]
MEASURE_TYPES: tuple[str, ...] = MeasureType.__args__  # type: ignore[attr-defined]
DIMENSION_TYPES: tuple[str, ...] = DimensionType.__args__  # type: ignore[attr-defined]
RELATIONSHIPS: tuple[str, ...] = Relationship.__args__  # type: ignore[attr-defined]
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureFilter(_Strict):
    """A SQL condition on the cube's rows, e.g. `{CUBE}.status = 'paid'` for "paid revenue"."""

    sql: StrictStr


class RollingWindow(_Strict):
    """A trailing window (`trailing: 7 day`) or a period to date (`type: to_date`, `granularity: month`)."""

    type: Literal["fixed", "to_date"] = "fixed"
    trailing: StrictStr | None = None
    granularity: PeriodGrain | None = None

    @model_validator(mode="after")
    def _complete(self) -> RollingWindow:
        if self.type == "to_date" and self.granularity is None:
            raise ValueError("a to_date window needs a granularity (day, week, month, quarter or year)")
        if self.type == "fixed" and not re.fullmatch(
            r"\d+ (day|week|month|year)s?|unbounded", self.trailing or ""
        ):
            raise ValueError("a fixed window needs `trailing` like '7 day', '3 month' or 'unbounded'")
        return self


class _Described(_Strict):
    name: Name
    title: StrictStr | None = None
    description: StrictStr | None = None
    synonyms: list[StrictStr] = Field(default_factory=list)


class Measure(_Described):
    """An aggregate of the cube's rows; `number` measures combine other measures (`{revenue} / {count}`)."""

    type: MeasureType
    sql: StrictStr | None = None  # a column or SQL expression; count may omit it
    filters: list[MeasureFilter] = Field(default_factory=list)
    rolling_window: RollingWindow | None = None
    format: FormatKind | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        if self.sql is None and self.type not in ("count", "number"):
            raise ValueError(f"a {self.type} measure needs `sql` (the column or expression it aggregates)")
        if self.type == "number" and not self.sql:
            raise ValueError("a number measure needs `sql`, an expression over other measures like {revenue}")
        if self.type == "number" and self.rolling_window is not None:
            raise ValueError(
                "a number measure cannot have a rolling window; give it to the measures it combines"
            )
        if self.currency and self.format != "currency":
            raise ValueError("`currency` only applies with `format: currency`")
        return self


class Dimension(_Described):
    """A column or SQL expression to group and filter by; one dimension per cube may be its primary key."""

    type: DimensionType
    sql: StrictStr | None = None  # defaults to the column of the same name
    primary_key: StrictBool = False
    format: FormatKind | None = None


class Join(_Strict):
    """A join from this cube to the cube `name`.

    `sql` is the condition, e.g. `{CUBE}.customer_id = {customers}.id`.
    """

    name: Name
    relationship: Relationship
    sql: StrictStr


class Segment(_Strict):
    """A named filter on the cube's rows."""

    name: Name
    sql: StrictStr
    title: StrictStr | None = None
    description: StrictStr | None = None


class Cube(_Strict):
    name: Name
    sql_table: StrictStr | None = None
    sql: StrictStr | None = None  # a SELECT over the source's tables, checked by the SQL guard
    source: StrictInt | StrictStr | None = None  # a source id or name; the model's default otherwise
    title: StrictStr | None = None
    description: StrictStr | None = None
    measures: list[Measure] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    joins: list[Join] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    pre_aggregations: list[PreAggregation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_origin(self) -> Cube:
        if (self.sql_table is None) == (self.sql is None):
            raise ValueError("a cube needs exactly one of `sql_table` (a table name) or `sql` (a SELECT)")
        return self

    def member(self, name: str) -> Measure | Dimension | Segment | None:
        members: list[Measure | Dimension | Segment] = [*self.measures, *self.dimensions, *self.segments]
        return next((member for member in members if member.name == name), None)

    @property
    def member_names(self) -> set[str]:
        return (
            {m.name for m in self.measures}
            | {d.name for d in self.dimensions}
            | {s.name for s in self.segments}
        )

    @property
    def primary_key(self) -> Dimension | None:
        return next((d for d in self.dimensions if d.primary_key), None)


class CachePolicy(_Strict):
    """How long a model's answers are reused: `ttl` seconds, until `refresh_key.sql`'s value changes
    (checked at most every `refresh_key.every`), or never (`always_fresh: true`). Give exactly one."""

    ttl: Annotated[int, Field(ge=1, le=30 * 86400)] | None = None
    refresh_key: RefreshKey | None = None
    always_fresh: StrictBool = False

    @model_validator(mode="after")
    def _one_policy(self) -> CachePolicy:
        given = [self.ttl is not None, self.refresh_key is not None, self.always_fresh]
        if sum(given) != 1:
            raise ValueError("a cache policy is exactly one of `ttl`, `refresh_key` or `always_fresh: true`")
        if self.refresh_key is not None and self.refresh_key.sql is None:
            raise ValueError("a cache refresh_key needs `sql`; for a fixed time use `ttl` (seconds)")
        return self


class Model(_Strict):
    """A set of cubes; `source` is the default source of cubes that do not name one; `cache` says how
    long answers are reused (the workspace's default time-to-live when absent)."""

    source: StrictInt | StrictStr | None = None
    cache: CachePolicy | None = None
    cubes: list[Cube] = Field(default_factory=list)

    def cube(self, name: str) -> Cube | None:
        return next((c for c in self.cubes if c.name == name), None)


@dataclass(frozen=True)
class ModelProblem:
    """One problem of a model, located as precisely as known (`path` indexes the YAML document)."""

    message: str
    cube: str | None = None
    member: str | None = None
    field: str | None = None
    path: tuple[str | int, ...] = ()
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = list(self.path)
        return data

    def describe(self) -> str:
        where = ".".join(p for p in (self.cube, self.member, self.field) if p)
        place = f"line {self.line}: " if self.line else ""
        return f"{place}{where}: {self.message}" if where else f"{place}{self.message}"


class ModelInvalid(ValidationFailed):
    """The model has problems; `problems` lists them all and `details` carries them as JSON."""

    def __init__(self, problems: list[ModelProblem]) -> None:
        summary = "; ".join(p.describe() for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"The model is not valid: {summary}{more}", details=[p.to_dict() for p in problems])
        self.problems = problems
