# SPDX-License-Identifier: MIT
"""Chat answers that break a measure down over the table: why a total changed between two periods (a
waterfall of contributions), what drives high values (influences ranked by effect size), how concentrated a
measure is (a Pareto curve) and what is interesting in the table (the insights feed).

Grouping is done by the data plane (`run` answers semantic queries, so the work happens in SQL on the whole
table, not on a sample); the pure engine reads the grouped rows. No Django here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from dateutil.relativedelta import relativedelta

from chat2chart.analytics import associations, drivers, patterns
from chat2chart.analytics.findings import AnalyticsError, DriversFinding
from chat2chart.analytics.words import more_than_all
from chat2chart.conversations import analysis_charts as charts
from chat2chart.conversations import analysis_feed
from chat2chart.conversations.analysis import AnalysisAnswer, Run, measure_name, series_of
from chat2chart.conversations.narrative_shapes import format_number
from chat2chart.conversations.periodnames import period_name
from chat2chart.conversations.planner import Plan
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import Dimension, Filter, Measure, SemanticQuery


def analyse_table(plan: Plan, result: ResultSet, *, today: date, run: Run) -> AnalysisAnswer:
    """Dispatch on `plan.analysis` (drivers, associations, concentration, insights); see the module doc."""
    if plan.analysis == "drivers":
        return why_changed(plan, result, today=today, run=run)
    if plan.analysis == "associations":
        return what_drives(plan, run=run)
    if plan.analysis == "concentration":
        return concentration(plan, result)
    return analysis_feed.insights_feed(plan, today=today, run=run)


def frame_of(result: ResultSet) -> pd.DataFrame:
    """A result as a frame with its output names; measures as floats (groupings keep their values)."""
    frame = pd.DataFrame([list(row) for row in result.rows], columns=result.names)
    for column in result.columns:
        if column.role == "measure":
            frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce").astype(float)
    return frame


def checked(result: ResultSet, what: str) -> ResultSet:
    """`result` unless it was cut at the row limit: an analysis of part of the groups would be wrong."""
    if result.truncated:
        raise AnalyticsError(
            f"{what} has more groups than one analysis reads ({len(result.rows):,}): ask about fewer "
            "dimensions or a filtered part of the table."
        )
    return result


# --- why did it change -------------------------------------------------------------------------------


def resolve_period(
    option: dict | None, grain_default: str, latest: str | None, today: date
) -> tuple[date, date, str]:
    """The period a "why" question names, as (first day, last day, grain): a named range ("in March",
    "Q1 2025"), "last month", "this quarter", or by default the latest whole month of the series."""
    if option:
        flt = Filter.model_validate(option)
        unit = flt.unit or "month"
        if flt.op == "between" and isinstance(flt.value, list) and len(flt.value) == 2:
            start, end = (date.fromisoformat(str(v)[:10]) for v in flt.value)
            return start, end, _grain_of(start, end)
        if flt.op in ("previous_period", "this_period"):
            start = _period_start(today, unit)
            if flt.op == "previous_period":
                start = _shift(start, unit, -1)
            return start, _shift(start, unit, 1) - timedelta(days=1), unit
        if flt.op in ("last_n", "previous_n") and isinstance(flt.value, int):
            end = today if flt.op == "last_n" else _period_start(today, unit) - timedelta(days=1)
            start = _shift(end + timedelta(days=1), unit, -flt.value)
            return start, end, unit
        raise AnalyticsError('Name one period to explain, e.g. "why did revenue fall in March 2025".')
    if latest is None:
        raise AnalyticsError("There is no whole period in the data to explain.")
    start = date.fromisoformat(latest[:10])
    return start, _shift(start, grain_default, 1) - timedelta(days=1), grain_default


def _period_start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if unit == "year":
        return date(day.year, 1, 1)
    return day.replace(day=1)


def _shift(day: date, unit: str, n: int) -> date:
    step = {"day": relativedelta(days=n), "week": relativedelta(weeks=n), "month": relativedelta(months=n)}
    step |= {"quarter": relativedelta(months=3 * n), "year": relativedelta(years=n)}
    return day + step[unit]


def _grain_of(start: date, end: date) -> str:
    """The calendar unit a range spans exactly (March 2025 -> month), else "day" (shifted by its length)."""
    for unit in ("year", "quarter", "month", "week", "day"):
        if _period_start(start, unit) == start and _shift(start, unit, 1) - timedelta(days=1) == end:
            return unit
    return "day"


def previous_period(start: date, end: date, grain: str) -> tuple[date, date]:
    """The period just before [start, end]: the previous calendar unit, or as many days just before."""
    if grain != "day" or start == end:
        before_start = _shift(start, grain, -1)
        return before_start, start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def _period_label(start: date, end: date, grain: str) -> str:
    if grain in ("month", "quarter", "year", "week") or start == end:
        return period_name(start.isoformat(), grain if start != end else "day")
    return f"{period_name(start.isoformat(), 'day')} to {period_name(end.isoformat(), 'day')}"


def _measure_parts(plan: Plan) -> tuple[list[Measure], str, str | None]:
    """What to query for the plan's measure: a total as itself; an average as sum / count (a ratio,
    split into mix and rate by the engine). Returns (measures, numerator name, denominator name)."""
    measure = plan.query.measures[0]
    if measure.agg in ("sum", "count", "count_distinct") or measure.field is None:
        if measure.agg == "count_distinct":
            raise AnalyticsError(
                "A count of distinct values does not add up across groups: ask about a total."
            )
        return [measure.model_copy(update={"alias": "value"})], "value", None
    if measure.agg == "avg":
        return (
            [
                Measure(field=measure.field, agg="sum", alias="value"),
                Measure(field=measure.field, agg="count", alias="rows"),
            ],
            "value",
            "rows",
        )
    raise AnalyticsError(
        f"A change of a {measure.agg} cannot be split into parts: ask about a total or an average."
    )


def why_changed(plan: Plan, result: ResultSet, *, today: date, run: Run) -> AnalysisAnswer:
    """Contributions of each value of each dimension to the change between a period and the one before."""
    dimensions = list(plan.analysis_options.get("dimensions") or [])
    if not dimensions:
        raise AnalyticsError("The table has no column to break the change down by (a region, a product...).")
    time_field = plan.query.dimensions[0].field
    labels, _values, _left_out = series_of(result, "month", today)
    start, end, grain = resolve_period(
        plan.analysis_options.get("period"), "month", labels[-1] if labels else None, today
    )
    before_start, before_end = previous_period(start, end, grain)
    measures, value, denominator = _measure_parts(plan)
    frames = []
    for first, last in ((before_start, before_end), (start, end)):
        query = SemanticQuery(
            source=plan.query.source,
            table=plan.query.table,
            measures=measures,
            dimensions=[Dimension(field=d) for d in dimensions],
            filters=[f for f in plan.query.filters if f.field != time_field]
            + [Filter(field=time_field, op="between", value=[first.isoformat(), last.isoformat()])],
        )
        frames.append(frame_of(checked(run(query), "The breakdown")))
    before_label, after_label = (
        _period_label(before_start, before_end, grain),
        _period_label(start, end, grain),
    )
    if frames[1].empty:
        raise AnalyticsError(f"There is no data in {after_label} to explain.")
    if frames[0].empty:
        raise AnalyticsError(f"There is no data in {before_label} to compare {after_label} with.")
    finding = drivers.explain_change(
        frames[0],
        frames[1],
        measure=value,
        dimensions=dimensions,
        denominator=denominator,
        before_label=before_label,
        after_label=after_label,
    )
    name = measure_name(result)
    finding = finding.model_copy(
        update={"measure": name, "sentence": drivers_text(finding, name, denominator)}
    )
    return AnalysisAnswer(
        charts.waterfall_option(finding), finding.sentence, [finding.model_dump(mode="json")]
    )


def drivers_text(finding: DriversFinding, name: str, denominator: str | None) -> str:
    """The change with its numbers, the leading value's share of it, the drill, and the ranking."""
    if finding.change == 0:
        return f"{name.capitalize()} did not change from {finding.before_label} to {finding.after_label}."
    verb = "rose" if finding.change > 0 else "fell"
    text = (
        f"{name.capitalize()} {verb} from {format_number(finding.before)} in {finding.before_label} to "
        f"{format_number(finding.after)} in {finding.after_label} ({format_number(finding.change)}"
    )
    if finding.before:
        text += f", {finding.change / abs(finding.before) * 100:+.1f} %"
    text += ")."
    parent = finding.drill_parent
    if parent is not None:
        noun = "rise" if finding.change > 0 else "drop"
        dimension = parent.dimension.replace("_", " ")
        if parent.share > 1:  # others moved the other way: no share above 100 %, the plain story
            words = more_than_all(dimension, parent.value, parent.change, finding.change, format_number)
            text += f" {words[0].upper()}{words[1:]} ("
        else:
            text += (
                f" {dimension.capitalize()} {parent.value} accounts for "
                f"{parent.share * 100:.0f} % of the {noun} ("
            )
        text += format_number(parent.change)
        if denominator is not None and parent.mix is not None and parent.rate is not None:
            text += f": {format_number(parent.rate)} from its own average"
            text += f", {format_number(parent.mix)} from the mix"
        text += ")"
        drill = finding.drill
        if drill is not None and drill.contributions:
            top = max(drill.contributions, key=lambda c: c.change * finding.change)
            if top.change * finding.change > 0 and parent.change:
                part = top.change / parent.change
                of_it = "more than all of it" if part > 1 else f"{part * 100:.0f} % of it"
                text += (
                    f", most of it {top.dimension.replace('_', ' ')} {top.value} "
                    f"({of_it}, {format_number(top.change)})"
                )
        text += "."
    ranking = ", ".join(f"{d.dimension.replace('_', ' ')} {d.explained:.2f}" for d in finding.dimensions[:3])
    text += (
        " How concentrated the change is per dimension (0 = every value moved in proportion to its "
        f"size, near 1 = all of it in one value): {ranking}."
    )
    return text


# --- what drives high values -------------------------------------------------------------------------


def what_drives(plan: Plan, *, run: Run) -> AnalysisAnswer:
    """Dimensions and numeric columns ranked by their association with the measure, over the table's
    cells (one row per combination of the dimensions and day), tested with a false-discovery correction."""
    dimensions = list(plan.analysis_options.get("dimensions") or [])
    numeric = list(plan.analysis_options.get("numeric") or [])[:4]
    measure = plan.query.measures[0]
    time_field = plan.query.dimensions[0].field if plan.query.dimensions else None
    extra = [Measure(field=n, agg="avg", alias=f"avg_{n}") for n in numeric]
    frame = None
    for grain in ("day", "month", None):
        dims = [Dimension(field=d) for d in dimensions]
        if grain and time_field:
            dims.append(Dimension(field=time_field, granularity=grain, alias="period"))
        query = SemanticQuery(
            source=plan.query.source,
            table=plan.query.table,
            measures=[measure.model_copy(update={"alias": "value"}), *extra],
            dimensions=dims,
            filters=list(plan.query.filters),
        )
        answer = run(query)
        if not answer.truncated:
            frame = frame_of(answer)
            break
    if frame is None:
        raise AnalyticsError("The table has too many combinations of its dimensions to test in one analysis.")
    found = associations.what_drives(
        frame, measure="value", dimensions=dimensions, numeric=[f"avg_{n}" for n in numeric]
    )
    name = measure.output_name.replace("_", " ")
    if not found:
        text = (
            f"No column is associated with high {name} beyond chance: none of "
            f"{len(dimensions) + len(numeric)} factors passed a test at 5 % after correcting for testing "
            f"them all (over {len(frame):,} groups)."
        )
        return AnalysisAnswer({}, text, [])
    found = [a.model_copy(update={"factor": a.factor.removeprefix("avg_")}) for a in found]
    parts = []
    for a in found[:3]:
        effect = "η²" if a.effect_name == "eta_squared" else "ρ"
        parts.append(
            f"{a.factor.replace('_', ' ')} ({effect} = {a.effect:.2f}, "
            f"95 % interval {a.ci_low:.2f} to {a.ci_high:.2f})"
        )
    text = (
        f"What goes with high {name}, strongest first: {'; '.join(parts)}. Each passed a test at 5 % after "
        f"correcting for the {len(dimensions) + len(numeric)} factors tested, over {len(frame):,} groups; "
        "an association is not proof of cause."
    )
    return AnalysisAnswer(charts.influences_option(found), text, [a.model_dump(mode="json") for a in found])


# --- concentration -----------------------------------------------------------------------------------


def concentration(plan: Plan, result: ResultSet) -> AnalysisAnswer:
    """The Pareto share of the measure in the top 20 % of a dimension's values, over the plan's result."""
    dimension = plan.analysis_options.get("dimension")
    if not dimension or len(result.names) < 2:
        raise AnalyticsError(
            'Name what the measure is concentrated in, e.g. "is revenue concentrated in few customers".'
        )
    frame = frame_of(checked(result, "The grouping"))
    value = result.names[-1]
    key = result.names[0]
    if frame[key].nunique() < 5:
        raise AnalyticsError(
            f"{key.replace('_', ' ').capitalize()} has fewer than 5 values: "
            "too few to speak of concentration."
        )
    found = patterns.concentration(frame, dimension=key, measure=value)
    ordered = frame.groupby(key)[value].sum().sort_values(ascending=False)
    top = max(1, round(found.top_share_of_values * found.values + 0.4999))
    name = value.replace("_", " ")
    text = (
        f"The top {top} of {found.values} {key.replace('_', ' ')} values "
        f"({found.top_share_of_values * 100:.0f} %) carry {found.share_of_measure * 100:.1f} % of {name} "
        f"(Gini {found.gini:.2f}; 0 = spread evenly, 1 = all in one)."
    )
    text += (
        " That is concentrated." if found.share_of_measure >= 0.6 else " That is not especially concentrated."
    )
    option = charts.pareto_option([str(v) for v in ordered.index], [float(v) for v in ordered], found)
    return AnalysisAnswer(option, text, [found.model_dump(mode="json")])
