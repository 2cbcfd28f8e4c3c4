# SPDX-License-Identifier: MIT
"""Pre-aggregations (rollups) declared in a cube, Cube style, and the checks a model must pass for them.

A rollup stores chosen measures at the grain of chosen dimensions and one time dimension bucketed by a
granularity, optionally split into partitions by `partition_granularity`, refreshed on a schedule
(`refresh_key.every`) or when a SQL value changes (`refresh_key.sql`). Members are written as in Cube:
`count`, `CUBE.count` or `customers.segment` (a member of a joined cube). Pure pydantic, no Django.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

if TYPE_CHECKING:
    from chat2chart.semantic.model import Cube, Measure, Model, ModelProblem

RollupGrain = Literal["hour", "day", "week", "month", "quarter", "year"]
GRAINS: tuple[str, ...] = RollupGrain.__args__  # type: ignore[attr-defined]
_EVERY = re.compile(r"^(\d+) (second|minute|hour|day|week)s?$")
# Which finer grain a coarser bucket can be rolled up from: a week does not nest in a month.
_NESTS_IN: dict[str, set[str]] = {
    "hour": {"hour", "day", "week", "month", "quarter", "year", "weekday", "month_of_year", "hour_of_day"},
    "day": {"day", "week", "month", "quarter", "year", "weekday", "month_of_year"},
    "week": {"week"},
    "month": {"month", "quarter", "year", "month_of_year"},
    "quarter": {"quarter", "year"},
    "year": {"year"},
}
NON_ADDITIVE = frozenset({"count_distinct", "count_distinct_approx"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RefreshKey(_Strict):
    """When a rollup is rebuilt: every `every` ("1 hour"), and/or when `sql`'s value changes
    (checked at most every `every`, 10 seconds by default, as in Cube)."""

    every: StrictStr | None = None
    sql: StrictStr | None = None

    @model_validator(mode="after")
    def _complete(self) -> RefreshKey:
        if self.every is None and self.sql is None:
            raise ValueError("a refresh_key needs `every` (like '1 hour') or `sql` (a SELECT of one value)")
        if self.every is not None and not _EVERY.match(self.every):
            raise ValueError("`every` must look like '30 second', '10 minute', '1 hour', '1 day' or '1 week'")
        return self

    @property
    def interval(self) -> timedelta:
        """How often the rollup is rebuilt (`sql` alone: how often its value is checked)."""
        return every_interval(self.every) if self.every else timedelta(seconds=10)


class BuildRange(_Strict):
    """A SELECT of one timestamp: where the partitions of a rollup start or end."""

    sql: StrictStr


class PreAggregation(_Strict):
    """One rollup of a cube (Cube's `pre_aggregations` entry of type `rollup`)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    type: Literal["rollup"] = "rollup"
    measures: list[StrictStr] = Field(default_factory=list)
    dimensions: list[StrictStr] = Field(default_factory=list)
    time_dimension: StrictStr | None = None
    granularity: RollupGrain | None = None
    partition_granularity: RollupGrain | None = None
    refresh_key: RefreshKey | None = None
    build_range_start: BuildRange | None = None
    build_range_end: BuildRange | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PreAggregation:
        if (self.time_dimension is None) != (self.granularity is None):
            raise ValueError("`time_dimension` and `granularity` go together: give both or neither")
        if self.partition_granularity is not None:
            if self.granularity is None:
                raise ValueError("`partition_granularity` needs a `time_dimension` with a `granularity`")
            if (
                self.granularity not in _NESTS_IN
                or self.partition_granularity not in _NESTS_IN[self.granularity]
            ):
                raise ValueError(
                    f"a {self.granularity} rollup cannot be split into {self.partition_granularity} "
                    "partitions; choose a partition granularity its buckets nest in"
                )
        if not self.measures and not self.dimensions and self.time_dimension is None:
            raise ValueError("a rollup needs measures, dimensions or a time dimension")
        return self


def every_interval(text: str) -> timedelta:
    """'1 hour' → timedelta(hours=1); ValueError for anything else."""
    match = _EVERY.match(text)
    if not match:
        raise ValueError(f"not an interval: {text!r}")
    return timedelta(**{f"{match.group(2)}s": int(match.group(1))})


def rolls_up(stored: str, wanted: str) -> bool:
    """Whether buckets of granularity `wanted` are unions of buckets of `stored` (day → month: yes)."""
    return wanted in _NESTS_IN.get(stored, set())


def member_name(cube: str, ref: str) -> str:
    """A rollup's member reference as `cube.member`: `count` and `CUBE.count` belong to `cube`."""
    owner, dot, member = ref.partition(".")
    if not dot:
        return f"{cube}.{ref}"
    return f"{cube}.{member}" if owner in ("CUBE", "{CUBE}") else ref


def pre_aggregation_problems(model: Model, i: int, cube: Cube) -> list[ModelProblem]:
    """Unknown members, members of the wrong kind and measures a rollup cannot store, for one cube."""
    from chat2chart.semantic.model import Dimension, Measure, ModelProblem

    problems: list[ModelProblem] = []
    seen: set[str] = set()

    def problem(j: int, agg: PreAggregation, field: str, message: str, k: int | None = None) -> None:
        path: tuple[str | int, ...] = ("cubes", i, "pre_aggregations", j, field)
        path = (*path, k) if k is not None else path
        problems.append(ModelProblem(message, cube.name, agg.name, field, path))

    for j, agg in enumerate(cube.pre_aggregations):
        if agg.name in seen:
            problem(j, agg, "name", f"two pre-aggregations of '{cube.name}' are called '{agg.name}'")
        seen.add(agg.name)
        for k, ref in enumerate(agg.measures):
            found = _lookup(model, member_name(cube.name, ref))
            if not isinstance(found, Measure):
                problem(j, agg, "measures", f"'{ref}' is not a measure of the model", k)
            elif reason := storable(found):
                problem(j, agg, "measures", f"'{ref}' {reason}", k)
        for k, ref in enumerate(agg.dimensions):
            if not isinstance(_lookup(model, member_name(cube.name, ref)), Dimension):
                problem(j, agg, "dimensions", f"'{ref}' is not a dimension of the model", k)
        if agg.time_dimension is not None:
            found = _lookup(model, member_name(cube.name, agg.time_dimension))
            if not isinstance(found, Dimension) or found.type != "time":
                problem(j, agg, "time_dimension", f"'{agg.time_dimension}' is not a time dimension")
    return problems


def storable(measure: Measure) -> str | None:
    """Why `measure` cannot be stored in a rollup, or None when it can."""
    if measure.type == "number":
        return "is a number measure: list the measures it combines instead; it is computed from them"
    if measure.rolling_window is not None:
        return "is a rolling window: it is computed from the rows of each window, not from a rollup"
    return None


def rollup_notes(model: Model, cube: Cube, agg: PreAggregation) -> list[str]:
    """What a person should know about a valid rollup: non-additive measures answer only at its grain."""
    notes = []
    for ref in agg.measures:
        found = _lookup(model, member_name(cube.name, ref))
        kind = getattr(found, "type", None)
        sketched = kind == "count_distinct_approx" and getattr(found, "sql", None) is not None
        sketched = (
            sketched
            and not getattr(found, "filters", None)
            and getattr(found, "rolling_window", None) is None
        )
        if sketched:
            notes.append(
                f"'{ref}' is an approximate count distinct: stored as HyperLogLog sketches, merged for "
                "coarser grains and fewer dimensions (within about 3 % of the exact count)"
            )
        elif found is not None and kind in NON_ADDITIVE:
            notes.append(
                f"'{ref}' is a count distinct: it is not additive, so this rollup answers it only for "
                "queries at exactly its own dimensions and granularity"
            )
    return notes


def _lookup(model: Model, name: str) -> object | None:
    cube_name, _, member = name.partition(".")
    cube = model.cube(cube_name)
    return cube.member(member) if cube is not None else None
