# SPDX-License-Identifier: MIT
"""Column overrides, the one place they are merged and filtered.

An override map is `{original column name: {"name": new name, "type": a column type}}`, keyed by
the name ingestion first gave the column; either key may be absent. Pure functions, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chat2chart.core.errors import ValidationFailed
from chat2chart.sources.catalogue import COLUMN_TYPES

Overrides = dict[str, dict[str, Any]]
_SETTINGS = ("name", "type", "number_format", "date_order")


FILE_WIDE = "*"


def merge_override(existing: Mapping[str, Any], change: Any, column: str) -> dict[str, Any]:
    """`existing` with a person's `change` applied; a null or empty value goes back to ingestion's choice.

    Raises ValidationFailed naming `column` (the column as the person sees it) when the change is
    not an object of `name` and/or `type`, or a type is not one of COLUMN_TYPES.
    """
    if not isinstance(change, dict):
        raise ValidationFailed(f"columns.{column}: give an object with 'name' and/or 'type'.")
    unknown = set(change) - set(_SETTINGS)
    if unknown:
        raise ValidationFailed(
            f"columns.{column}.{sorted(unknown)[0]}: not a column setting; use name or type."
        )
    merged = dict(existing)
    for key in _SETTINGS:
        if key not in change:
            continue
        value = change[key]
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(f"columns.{column}.{key}: must be a string.")
        if key == "type" and value is not None and value not in COLUMN_TYPES:
            raise ValidationFailed(f"columns.{column}.type: choose one of {', '.join(COLUMN_TYPES)}.")
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value.strip() if key == "name" else value
    return merged


def union(maps: Iterable[Mapping[str, Mapping[str, Any]]]) -> Overrides:
    """The overrides of several tables as one map (later tables win on the same original name)."""
    merged: Overrides = {}
    for overrides in maps:
        merged.update({original: dict(change) for original, change in overrides.items()})
    return merged


def final_name(original: str, override: Mapping[str, Any]) -> str:
    return override.get("name") or original


def applying(overrides: Mapping[str, Mapping[str, Any]], column_names: Iterable[str]) -> Overrides:
    """Only the overrides whose final name is among `column_names`: a new version may lack some columns."""
    names = set(column_names)
    return {
        original: dict(change)
        for original, change in overrides.items()
        # "*" holds the choices for the whole file (number format, date order): they always apply.
        if original == FILE_WIDE or final_name(original, change) in names
    }


def originals_by_current_name(overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Map each overridden column's current name back to the name ingestion first gave it."""
    return {final_name(original, change): original for original, change in overrides.items()}
