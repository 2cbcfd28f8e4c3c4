# SPDX-License-Identifier: MIT
"""Questions over a semantic model beyond one sentence of members: periods ("revenue by month in 2025"),
follow-ups of the previous model answer ("only Q1", "now by region", "as a pie") and the analytics
engine ("forecast revenue", "anything unusual in orders by week").

The words are read with the planner's own readers (its time phrases and periods, its analytics words,
its function words) and the members with `plan_with_members`; this module only puts them together for a
model query: a period becomes a filter on the measure's time dimension, a follow-up keeps what the
previous answer had and changes what the new words name. Pure: no Django.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from chat2chart.conversations.planner.analytics import read_analytics_question
from chat2chart.conversations.planner.grounding import is_function_word, tokenize
from chat2chart.conversations.planner.members import MemberPlan, plan_with_members
from chat2chart.conversations.planner.periods import Period, bind_periods, describe_date_range
from chat2chart.conversations.planner.timephrases import UNIT_WORDS, read_time
from chat2chart.semantic.model import Dimension, Model
from chat2chart.semantic.query import DimensionRef, ModelQuery, find_member
from chat2chart.semantic.results import member_title
from chat2chart.sources.catalogue import ColumnInfo
from chat2chart.sources.semantic import Filter, OrderBy

# The analyses a model answer gives: over the measure's series, or a change broken down by dimensions.
ANALYSES = frozenset({"forecast", "anomalies", "trend", "drivers", "insights"})
# Words that only say "change the last answer" ("now by region", "only Q1", "what about 2024").
_FOLLOW_WORDS = frozenset(
    {"now", "only", "instead", "just", "then", "what", "about", "same", "but", "anything", "something", "any"}
)
_HORIZON_WORDS = frozenset({"next", "coming", "following", *UNIT_WORDS})


class AskedPlan(MemberPlan):
    """A member plan with the analysis it asks the engine for (None: a plain chart) and a forecast's
    horizon (`horizon` periods of `horizon_unit`, None: the grain's usual horizon)."""

    analysis: str | None = None
    horizon: int | None = None
    horizon_unit: str | None = None


def read_model_question(
    question: str,
    model: Model,
    *,
    cube: str,
    values: Mapping[str, Sequence[str]] | None,
    previous: AskedPlan | None,
    today: date,
) -> AskedPlan | None:
    """`question` as a model query of `model`'s members reachable from `cube`, with its periods as
    filters on the time dimension and its analysis; a follow-up of `previous` (the conversation's last
    model answer) when its words alone name no measure. None when the words are not the model's (the
    table's planner answers)."""
    tokens = tokenize(question)
    time = read_time(tokens)
    asked = read_analytics_question(tokens)
    if (asked is not None and asked.kind not in ANALYSES) or time.compare_previous_year:
        return None
    periods = list(time.periods)
    if asked is not None and asked.kind == "forecast":
        periods = [p for p in periods if p.kind != "next"]  # "the next 6 months" is the horizon
    skip = set(time.spans) | (set(asked.spans) if asked else set())
    core = [t for i, t in enumerate(tokens) if i not in skip and t not in _FOLLOW_WORDS]
    if asked is not None and asked.kind == "forecast":
        core = [t for t in core if not t.isdigit() and t not in _HORIZON_WORDS]
    text = " ".join([*core, *(["by", time.granularity] if time.granularity else [])])
    plan = plan_with_members(text, model, cube=cube, values=values) if core else None
    if plan is None and previous is None:
        return None
    if plan is None:
        assert previous is not None
        measures = " ".join(member_title(model, m) for m in previous.query.measures)
        plan = plan_with_members(f"{measures} {text}", model, cube=cube, values=values)
        if plan is None:
            return None
        named_dims = bool(time.granularity) or any(not is_function_word(t) for t in core)
        plan = _carried(model, previous, plan, keep_dims=not named_dims, new_periods=bool(periods))
    asked_plan = AskedPlan(**plan.model_dump())
    asked_plan = _with_periods(model, asked_plan, periods, previous, today)
    if asked is not None:
        asked_plan = _with_analysis(model, asked_plan, asked.kind, time.granularity)
        asked_plan = asked_plan.model_copy(
            update={"horizon": asked.horizon, "horizon_unit": asked.horizon_unit}
        )
    return asked_plan


def time_member(model: Model, query: ModelQuery) -> str | None:
    """The time dimension a period or series of `query` is about: the query's bucketed dimension, else
    the first time dimension of its first measure's cube; None when there is none."""
    for ref in query.dimensions:
        if ref.granularity is not None:
            return ref.member
    if not query.measures:
        return None
    cube = model.cube(query.measures[0].split(".")[0])
    found = next((d for d in cube.dimensions if d.type == "time"), None) if cube is not None else None
    return f"{cube.name}.{found.name}" if cube is not None and found is not None else None


def _carried(
    model: Model, previous: AskedPlan, new: MemberPlan, *, keep_dims: bool, new_periods: bool
) -> MemberPlan:
    """The previous answer changed by the follow-up's words: its dimensions (unless new ones were named),
    its filters (those on the same members replaced; its period dropped when a new one is given), and
    the chart the new words name."""
    old = previous.query
    when = time_member(model, old)
    named = {f.field for f in new.query.filters}
    kept = [f for f in old.filters if f.field not in named and not (new_periods and f.field == when)]
    base = old if keep_dims else new.query
    query = base.model_copy(
        update={
            "filters": [*kept, *new.query.filters],
            "segments": list(dict.fromkeys([*old.segments, *new.query.segments])),
        }
    )
    source = previous if keep_dims else new
    return _titled(
        model,
        source.model_copy(
            update={
                "query": query,
                "chart_type": new.chart_type or (previous.chart_type if keep_dims else None),
            }
        ),
    )


def _with_periods(
    model: Model, plan: AskedPlan, periods: list[Period], previous: AskedPlan | None, today: date
) -> AskedPlan:
    """Each period as a filter on the time dimension (replacing one there was); a period without a
    year ("only Q1") takes the year of the previous answer's period."""
    if not periods:
        return plan
    member = time_member(model, plan.query)
    if member is None:
        return plan
    year = _period_year(previous, member) if previous is not None else None
    if year is not None:
        periods = [
            dataclasses.replace(p, year=year)
            if p.kind == "calendar" and p.year is None and p.unit != "year"
            else p
            for p in periods
        ]
    bound = bind_periods(periods, ColumnInfo(name=member, type="date"), today)
    filters = [f for f in plan.query.filters if f.field != member]
    return _titled(
        model,
        plan.model_copy(update={"query": plan.query.model_copy(update={"filters": [*filters, *bound]})}),
    )


def _period_year(previous: AskedPlan, member: str) -> int | None:
    for flt in previous.query.filters:
        if flt.field == member and flt.op == "between" and isinstance(flt.value, list) and flt.value:
            first = str(flt.value[0])
            if first[:4].isdigit():
                return int(first[:4])
    return None


def _with_analysis(model: Model, plan: AskedPlan, kind: str, granularity: str | None) -> AskedPlan:
    """The plan as the engine's input: the measure over time (by month unless a grain was named)."""
    query = plan.query
    if not any(ref.granularity for ref in query.dimensions):
        member = time_member(model, query)
        if member is None:
            return plan  # the engine will say it needs the measure over time
        query = query.model_copy(
            update={
                "dimensions": [
                    DimensionRef.model_validate({"member": member, "granularity": granularity or "month"}),
                    *query.dimensions,
                ]
            }
        )
    ref = next(ref for ref in query.dimensions if ref.granularity)
    query = query.model_copy(update={"order": [OrderBy(field=ref.output_name, dir="asc")], "limit": None})
    updated = plan.model_copy(update={"query": query, "analysis": kind, "intent": "trend"})
    return _titled(model, updated)


def _titled(model: Model, plan: Any) -> Any:
    """The plan's titles, title and explanation made again from its query (members, periods)."""
    query: ModelQuery = plan.query
    titles = {name: member_title(model, name) for name in query.measures}
    titles |= {ref.output_name: member_title(model, ref.member, ref.granularity) for ref in query.dimensions}
    what = ", ".join(titles[m] for m in query.measures)
    by = " and ".join(titles[ref.output_name] for ref in query.dimensions)
    title = f"{what} by {by}" if by else what
    for name in query.segments:
        title += f" ({member_title(model, name).lower()})"
    for flt in query.filters:
        title += _filter_words(model, flt)
    sources = ", ".join(
        sorted({m.split(".")[0] for m in [*query.measures, *(d.member for d in query.dimensions)]})
    )
    return plan.model_copy(
        update={
            "titles": titles,
            "title": title,
            "explanation": f"{title}, from the model's definitions ({sources}).",
        }
    )


def _filter_words(model: Model, flt: Filter) -> str:
    _, member = find_member(model, flt.field)
    name = member_title(model, flt.field)
    if isinstance(member, Dimension) and member.type == "time":
        if flt.op == "between" and isinstance(flt.value, list) and len(flt.value) == 2:
            return f", {describe_date_range(str(flt.value[0]), str(flt.value[1]))}"
        return f", {name}: {flt.op.replace('_', ' ')} {flt.value if flt.value is not None else ''}".rstrip()
    if flt.op == "eq":
        return f", {name}: {flt.value}"
    if flt.op == "in" and isinstance(flt.value, list):
        return f", {name}: {', '.join(str(v) for v in flt.value)}"
    return f", {name} {flt.op.replace('_', ' ')} {flt.value}"
