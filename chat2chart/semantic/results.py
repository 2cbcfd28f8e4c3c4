# SPDX-License-Identifier: MIT
"""A model query's answer as the one typed `ResultSet` charts, answers and dashboards read: columns
named by the members' titles (made unique), with the model's formats and the measure/dimension roles;
`member` keeps the full member name. Pure: no Django."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chat2chart.semantic.model import Dimension, Measure, Model, Segment
from chat2chart.semantic.query import ModelQuery, find_member
from chat2chart.sources.results import ResultColumn, ResultSet, Timings, default_role


def member_title(model: Model, name: str, granularity: str | None = None) -> str:
    """The title people read for member `name` ("cube.member"): its `title`, else its name in words
    (a count without a title is "Number of <cube>"); a granularity is added in brackets."""
    cube, member = find_member(model, name)
    title = _own_title(member, cube.title or cube.name.replace("_", " "))
    return f"{title} ({granularity.replace('_', ' ')})" if granularity else title


def member_format(measure: Measure | Dimension) -> str | None:
    """ "currency:EUR", "percent", "number" or None: the format column of a `ResultColumn`."""
    if isinstance(measure, Measure) and measure.format == "currency" and measure.currency:
        return f"currency:{measure.currency}"
    return measure.format


def titled_result(answer: Mapping[str, Any], model: Model, query: ModelQuery) -> ResultSet:
    """`answer` ({columns, rows, sql, truncated, elapsed_ms}, as `semantic_query_run` returns it) as a
    ResultSet whose columns carry the members' titles, formats and roles."""
    outputs: dict[str, tuple[str, str | None]] = {}
    for name in query.measures:
        outputs[name] = (member_title(model, name), member_format(find_member(model, name)[1]))  # type: ignore[arg-type]
    for ref in query.dimensions:
        dim = find_member(model, ref.member)[1]
        outputs[ref.output_name] = (member_title(model, ref.member, ref.granularity), member_format(dim))  # type: ignore[arg-type]
    columns: list[ResultColumn] = []
    used: set[str] = set()
    for given in answer["columns"]:
        member = str(given["name"])
        title, fmt = outputs.get(member, (member, None))
        if title in used:
            title = f"{title} ({member.split('.')[0]})"
        used.add(title)
        columns.append(
            ResultColumn(
                name=title,
                type=given["type"],
                role="measure" if member in query.measures else default_role(given["type"]),
                format=fmt or given.get("format"),
                member=member,
                aggregation=given.get("agg"),
                granularity=given.get("granularity"),
            )
        )
    elapsed = float(answer.get("elapsed_ms") or 0.0)
    return ResultSet(
        columns=tuple(columns),
        rows=tuple(tuple(row) for row in answer["rows"]),
        truncated=bool(answer.get("truncated")),
        sql=str(answer.get("sql") or ""),
        timings=Timings(execute_ms=elapsed, total_ms=elapsed),
    )


def _own_title(member: Measure | Dimension | Segment, cube_title: str) -> str:
    if member.title:
        return member.title
    if isinstance(member, Measure) and member.type == "count" and member.name == "count":
        return f"Number of {cube_title}"
    return member.name.replace("_", " ").capitalize()
