# SPDX-License-Identifier: MIT
"""The model query: members of a semantic model by name (`orders.revenue`, `orders.created_at` with a
granularity, segments), filters and order on them. Shape only; `compile.py` checks it against a model."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from chat2chart.core.errors import QueryError
from chat2chart.semantic.model import Cube, Dimension, Measure, Model, Segment
from chat2chart.sources.semantic import Filter, Granularity, OrderBy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DimensionRef(_Strict):
    """A dimension by its full name; a time dimension may be bucketed by `granularity`."""

    member: StrictStr
    granularity: Granularity | None = None

    @property
    def output_name(self) -> str:
        return f"{self.member}.{self.granularity}" if self.granularity else self.member


class ModelQuery(_Strict):
    """Measures, dimensions and segments as `cube.member`; filters name a member in `field`."""

    measures: list[StrictStr] = Field(default_factory=list)
    dimensions: list[DimensionRef] = Field(default_factory=list)
    segments: list[StrictStr] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)
    order: list[OrderBy] = Field(default_factory=list)
    limit: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    offset: Annotated[int, Field(ge=0)] = 0

    @field_validator("dimensions", mode="before")
    @classmethod
    def _names_are_enough(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"member": item} if isinstance(item, str) else item for item in value]
        return value


Member = Measure | Dimension | Segment


def find_member(model: Model, name: str) -> tuple[Cube, Member]:
    """The cube and member called `name` ("cube.member"); QueryError with a suggestion otherwise."""
    cube_name, _, member_name = name.partition(".")
    cube = model.cube(cube_name)
    if cube is None or not member_name:
        known = [c.name for c in model.cubes]
        raise QueryError(f"unknown member '{name}': write it as cube.member{_hint(cube_name, known)}")
    member = cube.member(member_name)
    if member is None:
        names = sorted(cube.member_names)
        raise QueryError(f"cube '{cube.name}' has no member '{member_name}'{_hint(member_name, names)}")
    return cube, member


def find_typed(model: Model, name: str, kind: type, role: str) -> tuple[Cube, Any]:
    cube, member = find_member(model, name)
    if not isinstance(member, kind):
        actual = type(member).__name__.lower()
        raise QueryError(f"'{name}' is a {actual}; it cannot be used as a {role}")
    return cube, member


def _hint(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def query_cubes(model: Model, query: ModelQuery) -> list[str]:
    """The cubes a query reads directly (members, filters, segments), in first-use order."""
    names = [*query.measures, *(d.member for d in query.dimensions), *query.segments]
    names += [f.field for f in query.filters]
    cubes: list[str] = []
    for name in names:
        cube, _ = find_member(model, name)
        if cube.name not in cubes:
            cubes.append(cube.name)
    return cubes


def query_source(model: Model, query: ModelQuery) -> int | str | None:
    """The one source a query reads; QueryError when its cubes belong to several sources."""
    sources: dict[Any, list[str]] = {}
    for name in query_cubes(model, query):
        cube = model.cube(name)
        key = cube.source if cube is not None and cube.source is not None else model.source
        sources.setdefault(key, []).append(name)
    if len(sources) > 1:
        listed = "; ".join(f"{', '.join(cubes)} from source {key!r}" for key, cubes in sources.items())
        raise QueryError(f"a query can read only one source, and this one reads several ({listed})")
    return next(iter(sources), None)
