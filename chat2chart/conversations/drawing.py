# SPDX-License-Identifier: MIT
"""How an answer is drawn: the planner's chart when it fits the result, else the first recommended type
that can draw it, else a table; and a stored result redrawn as another chart type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chat2chart.charts.recommend import recommend
from chat2chart.charts.render import build_option
from chat2chart.charts.services import column_profiles
from chat2chart.charts.spec import ChartSpec, auto_spec, parse_spec
from chat2chart.conversations.planner import Plan
from chat2chart.core.errors import ChartError
from chat2chart.sources.results import ResultSet
from chat2chart.workspaces.selectors import workspace_locale

# Display options that make sense whatever the chart type; layout options belong to the old type.
_KEPT_OPTIONS = ("number_format", "date_format", "theme", "show_labels", "top_n")


def plan_spec(plan: Plan, title: str) -> ChartSpec | None:
    """The planner's own chart (type, encoding, options) when it gave an encoding that parses; else None."""
    if not plan.encoding:
        return None
    try:
        return parse_spec(
            {
                "type": plan.chart_type,
                "title": title,
                "encoding": plan.encoding,
                "options": plan.chart_options,
            }
        )
    except ChartError:
        return None


def recommended(result: ResultSet, intent: str | None) -> list[str]:
    """Up to six chart types that fit `result`, best first."""
    ranked = recommend(column_profiles(result), intent=intent, row_count=result.row_count)
    return [r.chart_type for r in ranked[:6]]


def draw(
    data: ResultSet, *, preferred: ChartSpec | None, fallbacks: Sequence[str], title: str
) -> tuple[ChartSpec, dict[str, Any]]:
    """The first of the preferred spec and the fallback types that can draw `data`; a table otherwise.

    An empty result is not drawn as an empty chart: the error says to widen the filters.
    """
    if not data.rows:
        raise ChartError(
            "The query returned no rows, so there is nothing to draw. Widen the filters or the date range."
        )
    first_problem: ChartError | None = None
    # A column chart before the table: it draws what a pie cannot (values below zero).
    types = [t for t in dict.fromkeys([*fallbacks, "column", "table"]) if t]
    candidates: list[ChartSpec | str] = [*([preferred] if preferred else []), *types]
    for candidate in candidates:
        try:
            spec = (
                candidate
                if isinstance(candidate, ChartSpec)
                else auto_spec(candidate, data.columns_json(), title=title)
            )
            return spec, build_option(spec, data, locale=workspace_locale())
        except (ChartError, KeyError) as problem:
            if isinstance(problem, ChartError) and first_problem is None:
                first_problem = problem
    raise first_problem or ChartError("This result cannot be drawn.")


def draw_as(
    chart_type: str, data: ResultSet, *, title: str, previous: dict[str, Any] | None
) -> tuple[ChartSpec, dict[str, Any]]:
    """`data` drawn as `chart_type`; raises ChartError saying what the type needs when it does not fit."""
    kept = {k: v for k, v in ((previous or {}).get("options") or {}).items() if k in _KEPT_OPTIONS}
    spec = auto_spec(chart_type, data.columns_json(), title=title, options=kept)
    return spec, build_option(spec, data, locale=workspace_locale())
