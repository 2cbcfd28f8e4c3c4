# SPDX-License-Identifier: MIT
"""The chart spec: which chart type to draw, which result columns go where, and display options.

`ChartSpec` is what the planner produces, what a saved chart stores and what `render.build_option`
turns into an ECharts option. `parse_spec` validates untrusted input into one (raising ChartError);
`auto_spec` fills the encoding from result columns for a chosen type (planner, "switch chart type").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chat2chart.charts.builders.formats import parse_number_format, validate_date_format
from chat2chart.charts.registry import ChartType, Slot, get_chart_type
from chat2chart.core.errors import ChartError

NUMERIC_TYPES = frozenset({"integer", "decimal"})
TEMPORAL_TYPES = frozenset({"date", "datetime"})
OHLC_NAMES = ("open", "high", "low", "close")


class Encoding(BaseModel):
    """Result column names per visual channel; which ones a type reads is in its registry entry."""

    model_config = ConfigDict(extra="forbid")

    x: str | None = None
    y: list[str] = Field(default_factory=list)
    series: str | None = None
    size: str | None = None
    label: str | None = None
    value: str | None = None
    open: str | None = None
    high: str | None = None
    low: str | None = None
    close: str | None = None
    source: str | None = None
    target: str | None = None
    parent: str | None = None
    child: str | None = None
    # Histogram: a count per value when the rows are already grouped (value, count).
    weight: str | None = None

    @field_validator("y", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value: Any) -> Any:
        # The planner often writes a single measure as a plain string.
        return [value] if isinstance(value, str) else value


class ChartOptions(BaseModel):
    """Display options. Types may force some (a stacked bar always stacks); see registry presets."""

    model_config = ConfigDict(extra="forbid")

    stack: bool = False
    normalize: bool = False  # 100%: each category's series add up to 100
    orientation: Literal["vertical", "horizontal"] = "vertical"
    sort: Literal["none", "asc", "desc"] = "none"
    smooth: bool = False
    area: bool = False
    donut_hole: int = Field(default=0, ge=0, le=90)  # inner radius, % of the outer one
    log_axis: bool = False
    secondary_axis: list[str] = Field(default_factory=list)  # measures drawn against the right axis
    number_format: str | None = None  # see builders/formats.py for the accepted set
    date_format: str | None = None
    top_n: int | None = Field(default=None, ge=1, le=500)  # keep N categories, group the rest as Other
    show_labels: bool = False
    theme: Literal["light", "dark"] = "light"

    @field_validator("number_format")
    @classmethod
    def _known_number_format(cls, value: str | None) -> str | None:
        if value is not None:
            parse_number_format(value)
        return value

    @field_validator("date_format")
    @classmethod
    def _known_date_format(cls, value: str | None) -> str | None:
        return validate_date_format(value) if value is not None else None


class ChartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    title: str = Field(default="", max_length=200)
    subtitle: str = Field(default="", max_length=300)
    encoding: Encoding = Field(default_factory=Encoding)
    options: ChartOptions = Field(default_factory=ChartOptions)

    @field_validator("type")
    @classmethod
    def _registered_type(cls, value: str) -> str:
        try:
            get_chart_type(value)
        except ChartError as error:
            raise ValueError(error.message) from error
        return value


def parse_spec(data: dict[str, Any]) -> ChartSpec:
    """Validate a spec from the planner or the API; problems become one ChartError a user can read."""
    try:
        return ChartSpec.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "spec"
            problems.append(f"{where}: {item['msg']}")
        raise ChartError("The chart spec is not valid: " + "; ".join(problems), details=problems) from error


def _fits_slot(column: dict[str, Any], slot: Slot) -> bool:
    kind = column.get("type")
    if slot.kind == "temporal":
        return kind in TEMPORAL_TYPES
    if slot.kind == "categorical":
        return kind not in TEMPORAL_TYPES
    return True


def _split_roles(columns: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Dimensions and measures; a "measure" that is not numeric is treated as a dimension."""
    dimensions, measures = [], []
    for column in columns:
        is_measure = column.get("role") == "measure" and column.get("type") in NUMERIC_TYPES
        (measures if is_measure else dimensions).append(column)
    return dimensions, measures


def _assign_dimensions(chart_type: ChartType, dimensions: list[dict[str, Any]]) -> dict[str, str]:
    """Fill dimension slots: required slots first, then optional ones in order, keeping column order."""
    slots = chart_type.needs.dimensions
    spare = max(0, len(dimensions) - sum(1 for s in slots if s.min))
    used_slots = []
    for slot in slots:
        if slot.min or spare > 0:
            used_slots.append(slot)
            spare -= 0 if slot.min else 1
    remaining = list(dimensions)
    assigned: dict[str, str] = {}
    for slot in used_slots:
        # First fitting column, so a temporal slot takes a date column even when it is not first.
        match = next((c for c in remaining if _fits_slot(c, slot)), None)
        if match is None:
            if slot.min:
                raise ChartError(f"A {chart_type.name} chart needs {chart_type.needs.summary}.")
            continue
        remaining.remove(match)
        assigned[slot.name] = match["name"]
    return assigned


def _assign_measures(chart_type: ChartType, measures: list[dict[str, Any]]) -> dict[str, Any]:
    slots = chart_type.needs.measures
    remaining = list(measures)
    assigned: dict[str, Any] = {}
    # Columns named like a slot (open/high/low/close, target, size) go to it first.
    for slot in slots:
        named = next((c for c in remaining if c["name"].lower() == slot.name), None)
        if named is not None and slot.name != "y":
            assigned[slot.name] = named["name"]
            remaining.remove(named)
    for slot in slots:
        if slot.name in assigned:
            continue
        if slot.max > 1:
            take = remaining[: slot.max]
            remaining = remaining[slot.max :]
            if len(take) >= slot.min and take:
                assigned[slot.name] = [c["name"] for c in take]
        elif remaining:
            assigned[slot.name] = remaining.pop(0)["name"]
    return assigned


def auto_spec(
    chart_type: str, columns: list[dict[str, Any]], *, title: str = "", options: dict[str, Any] | None = None
) -> ChartSpec:
    """A spec for `chart_type` with each slot filled from the result columns (name/type/role).

    Dimensions fill the type's dimension slots in column order (a temporal slot takes the first
    date column); measures fill measure slots in order, except that a column named like a slot
    (open, high, low, close, target, size) goes to that slot. Raises ChartError when the columns
    cannot fill the type's required slots.
    """
    kind = get_chart_type(chart_type)
    dimensions, measures = _split_roles(columns)
    if kind.needs.any_columns:
        if not columns:
            raise ChartError(f"A {kind.name} needs {kind.needs.summary}.")
        encoding: dict[str, Any] = {}
    else:
        encoding = {**_assign_dimensions(kind, dimensions), **_assign_measures(kind, measures)}
        missing = [s.name for s in kind.needs.measures if s.min and s.name not in encoding]
        if missing:
            raise ChartError(
                f"A {kind.name} chart needs {kind.needs.summary}; the result has "
                f"{len(measures)} numeric measure(s)."
            )
    return parse_spec({"type": chart_type, "title": title, "encoding": encoding, "options": options or {}})
