# SPDX-License-Identifier: MIT
"""Dashboard filters: their definitions, the values a viewer picks, and the query filters they become.

Two kinds: a date range on a field and the values of a dimension. A viewer's picks come from query
parameters (`?filter.region=North&filter.region=South`, `?filter.month=2024-01-01..2024-03-31`) or one
JSON `filters` parameter (`{"region": ["North"], "month": {"from": "2024-01-01", "to": null}}`).
Locked embed parameters become `eq`/`in` filters that no picked value can replace. No Django here.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from chat2chart.core.errors import ValidationFailed
from chat2chart.sources.semantic import Filter

FIELD_NAME = re.compile(r"^[^\x00-\x1f]{1,200}$")
MAX_VALUES = 200
PARAM_PREFIX = "filter."
RANGE_SEPARATOR = ".."


class FilterDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    kind: Literal["date_range", "values"]
    label: str = Field(default="", max_length=200)


class DateRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: str | None = None
    end: str | None = None


Picked = list[Any] | DateRange


def parse_definitions(data: Any) -> list[FilterDefinition]:
    """Filter definitions from user input; one filter per field."""
    if data in (None, ""):
        return []
    if not isinstance(data, list):
        raise ValidationFailed("Dashboard filters must be a list of {field, kind, label}.")
    try:
        definitions = [FilterDefinition.model_validate(item) for item in data]
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"A dashboard filter is not valid: {error.errors()[0]['msg']}") from error
    fields = [d.field for d in definitions]
    if len(set(fields)) != len(fields):
        raise ValidationFailed("Each field can have only one dashboard filter.")
    return definitions


def check_fields(definitions: Sequence[FilterDefinition], available: Collection[str]) -> None:
    """Refuse a filter on a field none of the dashboard's tables has (matched regardless of case), with
    the nearest column named, so a misspelled field is never saved to filter nothing."""
    by_folded = {name.casefold(): name for name in available}
    for definition in definitions:
        if definition.field.casefold() in by_folded:
            continue
        if not by_folded:
            raise ValidationFailed(
                f"Add a widget before a filter on {definition.field!r}: a filter picks a column of the "
                "dashboard's tables."
            )
        near = difflib.get_close_matches(definition.field.casefold(), list(by_folded), n=1)
        hint = f" Did you mean {by_folded[near[0]]!r}?" if near else ""
        raise ValidationFailed(f"No table on this dashboard has a field {definition.field!r}.{hint}")


def parse_picked(
    params: Any, definitions: Sequence[FilterDefinition], *, locked: Collection[str] = ()
) -> dict[str, Picked]:
    """The viewer's filter values from a request's query parameters (a QueryDict or a dict of lists).

    Fields without a dashboard filter are refused: a viewer filters only what the dashboard offers.
    Values for `locked` fields are dropped: an embed's locked values win over anything in the URL.
    """
    by_field = {d.field: d for d in definitions}
    raw: dict[str, Any] = {}
    encoded = _first(params, "filters")
    if encoded:
        try:
            decoded = json.loads(encoded)
        except ValueError as error:
            raise ValidationFailed("The filters parameter must be a JSON object.") from error
        if not isinstance(decoded, dict):
            raise ValidationFailed("The filters parameter must be a JSON object.")
        raw.update(decoded)
    for key in _keys(params):
        if key.startswith(PARAM_PREFIX):
            raw[key[len(PARAM_PREFIX) :]] = _all(params, key)
    picked: dict[str, Picked] = {}
    for field_name, value in raw.items():
        if field_name in locked:
            continue
        definition = by_field.get(field_name)
        if definition is None:
            raise ValidationFailed(f"This dashboard has no filter on {field_name!r}.")
        parsed = _date_range(value) if definition.kind == "date_range" else _values(value)
        if parsed:
            picked[field_name] = parsed
    return picked


def picked_filters(field_name: str, picked: Picked) -> list[Filter]:
    if isinstance(picked, DateRange):
        if picked.start and picked.end:
            return [Filter(field=field_name, op="between", value=[picked.start, picked.end])]
        if picked.start:
            return [Filter(field=field_name, op="gte", value=picked.start)]
        return [Filter(field=field_name, op="lte", value=picked.end)]
    if len(picked) == 1:
        return [Filter(field=field_name, op="eq", value=picked[0])]
    return [Filter(field=field_name, op="in", value=list(picked))]


def parse_locked(params: Any) -> dict[str, Any]:
    """Locked parameters of an embed token: {field: a value or a non-empty list of values}."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ValidationFailed("params must be an object of field names to values.")
    locked: dict[str, Any] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            raise ValidationFailed("A locked parameter needs a field name.")
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_VALUES or not all(_is_scalar(v) for v in values):
            raise ValidationFailed(f"The locked parameter {name!r} needs a value or a list of values.")
        locked[name] = value
    return locked


def locked_filters(locked: Mapping[str, Any]) -> list[Filter]:
    result = []
    for name, value in sorted(locked.items()):
        if isinstance(value, list):
            result.append(Filter(field=name, op="in", value=list(value)))
        else:
            result.append(Filter(field=name, op="eq", value=value))
    return result


def describe_picked(picked: Mapping[str, Picked]) -> dict[str, Any]:
    """The picked values as JSON, as the data endpoint reports what it applied."""
    return {
        name: value.model_dump() if isinstance(value, DateRange) else list(value)
        for name, value in picked.items()
    }


def _is_scalar(value: Any) -> bool:
    return value is not None and isinstance(value, str | int | float | bool)


def _values(value: Any) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v not in (None, "")]
    if len(values) > MAX_VALUES:
        raise ValidationFailed(f"A filter can hold at most {MAX_VALUES} values.")
    if not all(_is_scalar(v) for v in values):
        raise ValidationFailed("Filter values must be text, numbers or true/false.")
    return values


def _date_range(value: Any) -> DateRange | None:
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], str):
            value = value[0]
        elif len(value) == 2:
            value = {"from": value[0], "to": value[1]}
        else:
            raise ValidationFailed("A date range is a start and an end.")
    if isinstance(value, str):
        start, _, end = value.partition(RANGE_SEPARATOR)
        value = {"from": start, "to": end}
    if not isinstance(value, dict) or set(value) - {"from", "to", "start", "end"}:
        raise ValidationFailed('A date range is {"from": date, "to": date}, or from..to.')
    start = value.get("from", value.get("start")) or None
    end = value.get("to", value.get("end")) or None
    for part in (start, end):
        if part is not None and not isinstance(part, str):
            raise ValidationFailed("Dates in a range are written as text, e.g. 2024-01-31.")
        # Refused here, once, rather than saved (a subscription) and failing every widget on every run.
        # datetime.fromisoformat takes every form the query's date and date-time filters take.
        if part is not None and not _is_iso_date(part):
            raise ValidationFailed(f"{part[:40]!r} is not a date; write dates as 2024-01-31.")
    if not start and not end:
        return None
    return DateRange(start=start, end=end)


def _is_iso_date(text: str) -> bool:
    try:
        datetime.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _keys(params: Any) -> list[str]:
    return [k for k in params.keys() if isinstance(k, str)]  # noqa: SIM118 - QueryDict and dict alike


def _all(params: Any, key: str) -> list[Any]:
    if hasattr(params, "getlist"):
        return params.getlist(key)
    value = params.get(key)
    return value if isinstance(value, list) else [value]


def _first(params: Any, key: str) -> Any:
    values = _all(params, key) if key in params else []
    return values[-1] if values else None
