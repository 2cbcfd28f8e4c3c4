# SPDX-License-Identifier: MIT
"""Route a model query to a rollup when, and only when, the rollup gives exactly the raw answer.

Rules (as Cube's pre-aggregation matching, made strict): sums, counts, minimums and maximums are
re-aggregated; an average is its stored sum over its stored count; an exact count distinct only from
a rollup at exactly the query's grain; an approximate one from any grain it rolls up from when the
rollup stores it as HLL sketches (merged outside SQL, see `sketch_answers.py`); every dimension,
filter and segment must use the rollup's dimensions; a coarser time bucket (month) is rolled up from a
finer one (day) that nests in it;
a filter on the time dimension only as `gte`/`lt` at a bucket boundary (or a null test). Rolling
windows are never routed. Among the rollups that answer, the one with fewest rows wins.
The routed query is an ordinary model query over a one-cube model of the rollup file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from chat2chart.core.errors import QueryError
from chat2chart.semantic.model import Cube, Dimension, Measure, MeasureType, Model, Segment
from chat2chart.semantic.preagg import NON_ADDITIVE, rolls_up
from chat2chart.semantic.query import DimensionRef, ModelQuery, find_member, find_typed
from chat2chart.semantic.refs import _REF, references
from chat2chart.semantic.rollups import RollupPlan, period_start
from chat2chart.semantic.sketches import relative_error
from chat2chart.sources.semantic import Filter

ROLLUP_CUBE = "rollup"
_SAFE_TIME_OPS = frozenset({"gte", "lt", "is_null", "not_null"})


@dataclass(frozen=True)
class Candidate:
    """A rollup the query may read: its plan, rows stored, and why it cannot be read now (or None)."""

    plan: RollupPlan
    rows: int = 0
    unavailable: str | None = None


@dataclass(frozen=True)
class Route:
    """Which rollup answers (None: the raw tables) and, for every other rollup, why it was not used."""

    rollup: RollupPlan | None
    model: Model | None = None  # the one-cube model over the rollup file
    query: ModelQuery | None = None  # without the sketched measures, which are merged outside SQL
    rejected: dict[str, str] = field(default_factory=dict)
    sketches: dict[str, str] = field(default_factory=dict)  # measure -> its sketch column in the file

    def explain(self) -> dict[str, object]:
        """{"rollup": key or None, "reason": why, "rejected": {key: reason}} for the API."""
        reason = (
            f"answered from rollup '{self.rollup.key}': it holds every measure, dimension and filter "
            "of the query at a grain that re-aggregates exactly"
            if self.rollup is not None
            else "answered from the raw tables"
            + (": no rollup can answer this query exactly" if self.rejected else ": the model has no rollups")
        )
        if self.sketches:
            merged = ", ".join(f"'{name}'" for name in self.sketches)
            reason += (
                f"; {merged} merged from HyperLogLog sketches (approximate: within "
                f"{100 * relative_error():.1f} % of the exact count 95 % of the time)"
            )
        return {
            "rollup": self.rollup.key if self.rollup else None,
            "reason": reason,
            "rejected": self.rejected,
        }


def route_query(model: Model, query: ModelQuery, candidates: list[Candidate]) -> Route:
    """The rollup that answers `query` exactly with the fewest rows, and why every other was not used."""
    rejected: dict[str, str] = {}
    fitting: list[Candidate] = []
    for candidate in candidates:
        reason = why_not(model, query, candidate.plan) or candidate.unavailable
        if reason is None:
            fitting.append(candidate)
        else:
            rejected[candidate.plan.key] = reason
    if not fitting:
        return Route(None, rejected=rejected)
    fitting.sort(key=lambda c: c.rows)
    best = fitting[0]
    for other in fitting[1:]:
        rejected[other.plan.key] = f"'{best.plan.key}' also answers it and has fewer rows"
    routed_model, routed_query = rollup_query(model, query, best.plan)
    sketches = {m: c for m in query.measures if (c := best.plan.column_of(m, "hll")) is not None}
    return Route(best.plan, routed_model, routed_query, rejected, sketches)


def why_not(model: Model, query: ModelQuery, plan: RollupPlan) -> str | None:
    """Why `plan` cannot answer `query` exactly (one reason), or None when it can."""
    try:
        leaves = _leaf_measures(model, [*query.measures, *_measure_filter_fields(model, query)])
    except QueryError as error:
        return str(error)
    exact_grain = _same_grain(query, plan)
    for name in leaves:
        _, measure = find_typed(model, name, Measure, "measure")
        if measure.rolling_window is not None:
            return f"'{name}' is a rolling window, computed from raw rows"
        if name not in plan.measures:
            return f"it does not store the measure '{name}'"
        if plan.column_of(name, "hll") is not None:
            if name not in query.measures:
                return (
                    f"'{name}' is stored as HyperLogLog sketches, which are merged outside SQL: a measure "
                    "or filter that computes with it is read from the raw tables"
                )
            continue
        if measure.type in NON_ADDITIVE and not exact_grain:
            return (
                f"'{name}' is an exact count distinct, which cannot be re-aggregated: this rollup holds it "
                "only at its own grain and the query's differs (an approximate count distinct stored as "
                "HyperLogLog sketches can be merged)"
            )
    for ref in query.dimensions:
        if reason := _dimension_reason(ref, plan):
            return reason
    for flt in query.filters:
        if isinstance(find_member(model, flt.field)[1], Dimension) and (reason := _filter_reason(flt, plan)):
            return reason
    for name in query.segments:
        if reason := _segment_reason(model, name, plan):
            return reason
    return None


def rollup_query(model: Model, query: ModelQuery, plan: RollupPlan) -> tuple[Model, ModelQuery]:
    """The one-cube model over the rollup file (table `rollup`) and `query` rewritten for it.

    Output columns come out in the same order as the raw query's; their names are the rollup's."""
    names: dict[str, str] = {}  # model member -> member of the rollup cube
    dims: list[Dimension] = []
    measures: list[Measure] = []
    for stored in plan.columns:
        if stored.kind in ("dimension", "time"):
            dim = find_typed(model, stored.member, Dimension, "dimension")[1]
            dims.append(Dimension(name=stored.column, type=dim.type))
            names[stored.member if stored.kind == "dimension" else f"{stored.member}#time"] = stored.column
    for j, member in enumerate(plan.measures):
        measure = find_typed(model, member, Measure, "measure")[1]
        column = f"m{j}"
        names[member] = column
        if plan.column_of(member, "hll") is not None:
            dims.append(Dimension(name=column, type="string"))  # sketches are grouped by, then merged
            continue
        if measure.type == "avg":
            measures += [
                Measure(name=f"{column}_s", type="sum", sql=f"{column}_s"),
                Measure(name=f"{column}_c", type="sum", sql=f"{column}_c"),
                Measure(name=column, type="number", sql=f"{{{column}_s}} / {{{column}_c}}"),
            ]
        elif measure.type in ("count", *NON_ADDITIVE):
            # A count is re-added; a count distinct is passed through at its own grain. An empty
            # answer without dimensions is 0, as the raw COUNT gives, not the NULL of an empty SUM.
            kind: MeasureType = "sum" if measure.type == "count" else "max"
            measures += [
                Measure(name=f"{column}_n", type=kind, sql=column),
                Measure(name=column, type="number", sql=f"COALESCE({{{column}_n}}, 0)"),
            ]
        else:
            measures.append(Measure(name=column, type=measure.type, sql=column))
    for member in _number_measures(model, query):
        cube, measure = find_typed(model, member, Measure, "measure")
        column = f"n{len(names)}"
        names[member] = column
        measures.append(Measure(name=column, type="number", sql=_rename_refs(cube, measure.sql or "", names)))
    cube = Cube(name=ROLLUP_CUBE, sql_table=ROLLUP_CUBE, measures=measures, dimensions=dims)
    segments = [_segment_as_filter(model, name, plan) for name in query.segments]
    routed_dims = [_routed_dimension(ref, plan, names) for ref in query.dimensions]
    outputs = {
        ref.output_name: routed.output_name for ref, routed in zip(query.dimensions, routed_dims, strict=True)
    }
    sketched = {m for m in query.measures if plan.column_of(m, "hll") is not None}
    outputs |= {m: f"{ROLLUP_CUBE}.{names[m]}" for m in query.measures}
    rewritten = ModelQuery(
        measures=[f"{ROLLUP_CUBE}.{names[m]}" for m in query.measures if m not in sketched],
        dimensions=routed_dims,
        filters=[_routed_filter(f, plan, names) for f in [*query.filters, *segments]],
        order=[
            o.model_copy(update={"field": outputs.get(o.field, o.field)})
            for o in query.order
            if o.field not in sketched
        ],
        limit=query.limit,
        offset=query.offset,
    )
    return Model(cubes=[cube]), rewritten


# --- reasons ---------------------------------------------------------------------------------------


def _leaf_measures(model: Model, names: list[str], trail: tuple[str, ...] = ()) -> list[str]:
    leaves: list[str] = []
    for name in names:
        cube, measure = find_typed(model, name, Measure, "measure")
        if measure.type != "number":
            leaves.append(name)
            continue
        if name in trail:
            raise QueryError(f"the measure '{name}' refers to itself")
        refs = [
            f"{r.cube}.{r.member}"
            for r in references(measure.sql or "", cube.name, cube.member_names)
            if r.member
        ]
        leaves += _leaf_measures(model, refs, (*trail, name))
    return leaves


def _number_measures(model: Model, query: ModelQuery) -> list[str]:
    """Number measures the query reaches, innermost first, so each can name those it combines."""
    found: list[str] = []

    def visit(name: str) -> None:
        cube, measure = find_typed(model, name, Measure, "measure")
        if measure.type != "number" or name in found:
            return
        for ref in references(measure.sql or "", cube.name, cube.member_names):
            if ref.member:
                visit(f"{ref.cube}.{ref.member}")
        found.append(name)

    for name in [*query.measures, *_measure_filter_fields(model, query)]:
        visit(name)
    return found


def _measure_filter_fields(model: Model, query: ModelQuery) -> list[str]:
    return [f.field for f in query.filters if isinstance(find_member(model, f.field)[1], Measure)]


def _same_grain(query: ModelQuery, plan: RollupPlan) -> bool:
    wanted = {(ref.member, ref.granularity) for ref in query.dimensions}
    stored: set[tuple[str, str | None]] = {(name, None) for name in plan.dimensions}
    if plan.time_dimension is not None:
        stored.add((plan.time_dimension, plan.granularity))
    return wanted == stored


def _dimension_reason(ref: DimensionRef, plan: RollupPlan) -> str | None:
    if ref.member in plan.dimensions:
        return None
    if ref.member != plan.time_dimension:
        return f"it does not store the dimension '{ref.member}'"
    if ref.granularity is None:
        return f"it stores '{ref.member}' by {plan.granularity}, and the query asks for its raw values"
    if not rolls_up(plan.granularity or "", ref.granularity):
        return f"'{ref.member}' by {ref.granularity} cannot be rolled up from {plan.granularity} buckets"
    return None


def _filter_reason(flt: Filter, plan: RollupPlan) -> str | None:
    if flt.field in plan.dimensions:
        return None
    if flt.field != plan.time_dimension:
        return f"it does not store '{flt.field}', which the query filters on"
    if flt.op not in _SAFE_TIME_OPS:
        return f"a '{flt.op}' filter on '{flt.field}' could cut inside a {plan.granularity} bucket"
    if flt.op in ("gte", "lt") and not _on_boundary(flt.value, plan.granularity or ""):
        return f"the filter value {flt.value!r} on '{flt.field}' is not at the start of a {plan.granularity}"
    return None


def _on_boundary(value: object, grain: str) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.tzinfo is None and period_start(moment, grain) == moment


def _segment_reason(model: Model, name: str, plan: RollupPlan) -> str | None:
    try:
        _segment_as_filter(model, name, plan)
    except QueryError as error:
        return str(error)
    return None


# --- rewriting -------------------------------------------------------------------------------------


def _segment_as_filter(model: Model, name: str, plan: RollupPlan) -> Filter:
    """A segment written as `{dimension} = 'value'` (or `{CUBE}.column = ...` on a plain dimension)
    over rollup dimensions, as an `eq`/`in` filter; QueryError when it is anything else."""
    cube, segment = find_typed(model, name, Segment, "segment")
    match = re.fullmatch(
        r"\s*(\$?\{[^}]+\}(?:\.([A-Za-z_]\w*))?)\s*(=|IN)\s*(.+?)\s*", segment.sql, flags=re.IGNORECASE
    )
    refused = QueryError(f"the segment '{name}' is not an equality on a dimension this rollup stores")
    if not match:
        raise refused
    refs = references(match.group(1), cube.name, cube.member_names)
    if not refs:
        raise refused
    owner = model.cube(refs[0].cube)
    member = refs[0].member or match.group(2)
    if owner is None or member is None or not isinstance(owner.member(member), Dimension):
        raise refused
    dim = owner.member(member)
    assert isinstance(dim, Dimension)
    if refs[0].member is None and dim.sql not in (None, member):
        raise refused  # `{CUBE}.column` names a column, which is this dimension only when plain
    full = f"{owner.name}.{member}"
    if full not in plan.dimensions:
        raise QueryError(f"the segment '{name}' filters on '{full}', which this rollup does not store")
    values = re.findall(r"'((?:[^']|'')*)'", match.group(4))
    if not values or (match.group(3) == "=" and len(values) != 1):
        raise refused
    texts = [v.replace("''", "'") for v in values]
    if match.group(3) == "=":
        return Filter(field=full, op="eq", value=texts[0])
    return Filter(field=full, op="in", value=list(texts))


def _routed_dimension(ref: DimensionRef, plan: RollupPlan, names: dict[str, str]) -> DimensionRef:
    if ref.member in plan.dimensions:
        return DimensionRef(member=f"{ROLLUP_CUBE}.{names[ref.member]}", granularity=ref.granularity)
    return DimensionRef(member=f"{ROLLUP_CUBE}.{names[ref.member + '#time']}", granularity=ref.granularity)


def _routed_filter(flt: Filter, plan: RollupPlan, names: dict[str, str]) -> Filter:
    key = flt.field if flt.field in names else f"{flt.field}#time"
    return flt.model_copy(update={"field": f"{ROLLUP_CUBE}.{names[key]}"})


def _rename_refs(cube: Cube, sql: str, names: dict[str, str]) -> str:
    refs = iter(references(sql, cube.name, cube.member_names))

    def swap(match: re.Match[str]) -> str:
        ref = next(refs)
        return f"{{{names[f'{ref.cube}.{ref.member}']}}}" if ref.member else match.group(0)

    return _REF.sub(swap, sql)
