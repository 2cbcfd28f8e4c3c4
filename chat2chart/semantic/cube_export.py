# SPDX-License-Identifier: MIT
"""Export a Model as a Cube (cube.dev) project: one `model/cubes/<cube>.yml` file per cube.

Aiser-only fields travel in Cube's `meta` (synonyms, currency), so importing the export gives the
same model back; a cube's `source` has no Cube equivalent and is left out."""

from __future__ import annotations

from typing import Any

import yaml

from chat2chart.semantic.model import Cube, Dimension, Measure, Model


def export_cube_project(model: Model) -> dict[str, str]:
    """{path: YAML text} of the Cube project for `model`."""
    return {f"model/cubes/{cube.name}.yml": _dump({"cubes": [_cube(cube)]}) for cube in model.cubes}


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def _cube(cube: Cube) -> dict[str, Any]:
    data: dict[str, Any] = {"name": cube.name}
    if cube.sql_table is not None:
        data["sql_table"] = cube.sql_table
    if cube.sql is not None:
        data["sql"] = cube.sql
    for key in ("title", "description"):
        if getattr(cube, key):
            data[key] = getattr(cube, key)
    if cube.joins:
        data["joins"] = [j.model_dump(mode="json") for j in cube.joins]
    if cube.measures:
        data["measures"] = [_measure(m) for m in cube.measures]
    if cube.dimensions:
        data["dimensions"] = [_dimension(d) for d in cube.dimensions]
    if cube.segments:
        data["segments"] = [s.model_dump(mode="json", exclude_none=True) for s in cube.segments]
    if cube.pre_aggregations:
        data["pre_aggregations"] = [
            p.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"type": "rollup"}
            for p in cube.pre_aggregations
        ]
    return data


def _described(member: Measure | Dimension) -> dict[str, Any]:
    data: dict[str, Any] = {"name": member.name}
    for key in ("title", "description"):
        if getattr(member, key):
            data[key] = getattr(member, key)
    return data


def _measure(measure: Measure) -> dict[str, Any]:
    data = {**_described(measure), "type": measure.type}
    if measure.sql is not None:
        data["sql"] = measure.sql
    if measure.filters:
        data["filters"] = [{"sql": f.sql} for f in measure.filters]
    if measure.rolling_window is not None:
        data["rolling_window"] = measure.rolling_window.model_dump(mode="json", exclude_none=True)
    if measure.format:
        data["format"] = measure.format
    meta = _meta(measure.synonyms, measure.currency)
    if meta:
        data["meta"] = meta
    return data


def _dimension(dimension: Dimension) -> dict[str, Any]:
    data = {**_described(dimension), "type": dimension.type}
    data["sql"] = (
        dimension.sql if dimension.sql is not None else f"{{CUBE}}.{dimension.name}"
    )  # Cube needs one
    if dimension.primary_key:
        data["primary_key"] = True
    if dimension.format:
        data["format"] = dimension.format
    meta = _meta(dimension.synonyms, None)
    if meta:
        data["meta"] = meta
    return data


def _meta(synonyms: list[str], currency: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if synonyms:
        meta["synonyms"] = list(synonyms)
    if currency:
        meta["currency"] = currency
    return meta
