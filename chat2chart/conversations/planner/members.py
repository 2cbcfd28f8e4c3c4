# SPDX-License-Identifier: MIT
"""The planner speaks model members: the words of a question resolved to a semantic model's measures,
dimensions and segments (by name, title and synonyms), across the model's joins.

"margin by customer segment" over the orders table becomes `orders.margin` by `customers.segment`
when the model defines margin on orders and segment on customers. A question is planned here only
when every content word is accounted for by a member, a value of a text dimension, a granularity, a
cube's name or a grammar word; anything else (periods, unknown words) is left to the table's rule
planner, as without a model.
Pure: reads a `Model`, returns a `MemberPlan` or None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chat2chart.semantic.joins import JoinGraph
from chat2chart.semantic.model import Cube, Dimension, Measure, Model, Segment
from chat2chart.semantic.query import ModelQuery
from chat2chart.semantic.results import member_title
from chat2chart.sources.catalogue import TableInfo

from . import lexicon
from .grounding import is_function_word, name_words, singular, tokenize
from .timephrases import read_time

Kind = Literal["measure", "dimension", "segment", "value"]
Intent = Literal["trend", "comparison", "lookup"]
# The aggregation a word asks for, and the member types that already are that aggregation.
_AGG_FITS = {"sum": {"sum", "number"}, "avg": {"avg", "number"}, "count": {"count", "count_distinct"}}
_COUNT_CUES = (("number", "of"), ("count", "of"), ("how", "many"))
_PLAIN_COLUMN = re.compile(r'^(?:\{CUBE\}\.)?"?([A-Za-z_][A-Za-z0-9_ ]*)"?$')


class MemberPlan(BaseModel):
    """A question answered from a model: the model query, and the titles and formats to show it with."""

    model_config = ConfigDict(frozen=True)

    query: ModelQuery
    titles: dict[str, str] = Field(default_factory=dict)  # output name -> its title in the model
    intent: Intent
    title: str
    explanation: str
    chart_type: str | None = None  # the chart the question asked for ("as a pie"), else the best fit
    planner: str = "model"


@dataclass(frozen=True)
class _Phrase:
    member: str  # "cube.member"
    kind: Kind
    key: tuple[str, ...]  # singular words
    home: bool  # the member is on the cube of the conversation's table
    value: str | None = None  # for kind "value": the dimension's value these words name


def plan_with_members(
    question: str, model: Model, *, cube: str, values: Mapping[str, Sequence[str]] | None = None
) -> MemberPlan | None:
    """`question` as a query of `model`'s members reachable from `cube` (the conversation's table),
    or None when it names no measure or has words no member explains (the rule planner answers).

    `values` ({"customers.region": ["West", ...]}, see `member_values`) lets words name a value of a
    dimension ("margin in West"), which becomes a filter on that member."""
    home = model.cube(cube)
    if home is None:
        return None
    tokens = tokenize(question)
    keys = [singular(t) for t in tokens]
    time = read_time(tokens)
    if time.periods or time.compare_previous_year:
        return None  # periods are filters the rule planner reads; the member path does not yet
    taken: set[int] = set(time.spans)
    ranking = _ranking(tokens, taken)
    chart_type = _chart_words(tokens, taken)
    found: list[tuple[int, _Phrase]] = []
    for start, length, phrase in _matches(keys, _phrases(model, home, values or {})):
        if taken & set(range(start, start + length)):
            continue
        taken.update(range(start, start + length))
        found.append((start, phrase))
    found.sort(key=lambda item: item[0])
    measures = _unique(p.member for _, p in found if p.kind == "measure")
    if not measures:
        return None
    context = {w for c in model.cubes for w in (*_words(c.name), *_words(c.title))}  # "orders", "customer"
    if any(not (i in taken or is_function_word(t) or keys[i] in context) for i, t in enumerate(tokens)):
        return None  # a word no member explains: a filter value, a raw column, a typo
    if not _aggregations_fit(tokens, model, measures):
        return None
    dimensions: list[dict[str, Any]] = [
        {"member": p.member} for p in _unique_phrases(found) if p.kind == "dimension"
    ]
    segments = _unique(p.member for _, p in found if p.kind == "segment")
    picked: dict[str, list[str]] = {}
    for _, phrase in found:
        if phrase.kind == "value" and phrase.value is not None:
            picked.setdefault(phrase.member, []).append(phrase.value)
    if time.granularity:
        timed = _with_granularity(model, measures[0], dimensions, time.granularity)
        if timed is None:
            return None
        dimensions = timed
    plan = _plan(model, measures, dimensions, segments, picked, trend=bool(time.granularity), ranking=ranking)
    return plan.model_copy(update={"chart_type": chart_type}) if chart_type else plan


def _ranking(tokens: list[str], taken: set[int]) -> tuple[str, int | None] | None:
    """ "top 5" / "lowest 3" / "highest": the sort direction and how many (None: all), spans taken."""
    for i, token in enumerate(tokens):
        if token in lexicon.TOP_WORDS or token in lexicon.BOTTOM_WORDS:
            taken.add(i)
            count = None
            if i + 1 < len(tokens) and tokens[i + 1].isdigit() and 0 < int(tokens[i + 1]) <= 1000:
                count = int(tokens[i + 1])
                taken.add(i + 1)
            return ("desc" if token in lexicon.TOP_WORDS else "asc"), count
    return None


def _chart_words(tokens: list[str], taken: set[int]) -> str | None:
    """The chart type a question names ("as a pie chart"), longest phrase first; its words taken."""
    for phrase, chart in sorted(lexicon.CHART_WORDS.items(), key=lambda item: -len(item[0].split())):
        words = phrase.split()
        for start in range(len(tokens) - len(words) + 1):
            span = set(range(start, start + len(words)))
            if tokens[start : start + len(words)] == words and not span & taken:
                taken.update(span)
                return chart
    return None


def member_values(model: Model, tables: Mapping[str, TableInfo], *, source_id: int) -> dict[str, list[str]]:
    """The sample values of the text dimensions of `model`'s cubes on the source whose catalogue is
    `tables` (by table name), when the dimension is a plain column: {"customers.region": ["West", ...]}."""
    found: dict[str, list[str]] = {}
    for cube in model.cubes:
        source = cube.source if cube.source is not None else model.source
        table = tables.get(cube.sql_table or "") if source == source_id else None
        if table is None:
            continue
        for dim in cube.dimensions:
            match = _PLAIN_COLUMN.match(dim.sql or dim.name)
            column = table.column(match.group(1)) if match and dim.type == "string" else None
            if column is not None and column.type == "text":
                found[f"{cube.name}.{dim.name}"] = [str(v) for v in column.samples if v is not None]
    return found


def model_cube_for_table(model: Model, *, source_id: int, table: str) -> str | None:
    """The cube of `model` that reads `table` of the source (by `sql_table`); None when none does.
    `model.source`/`cube.source` must already be source ids."""
    for cube in model.cubes:
        source = cube.source if cube.source is not None else model.source
        if cube.sql_table == table and source == source_id:
            return cube.name
    return None


# --- words -------------------------------------------------------------------------------------------


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(singular(w) for w in name_words(text or "")) if text else ()


def _phrases(model: Model, home: Cube, values: Mapping[str, Sequence[str]]) -> list[_Phrase]:
    graph = JoinGraph(model)
    reachable = {c.name for c in model.cubes if graph.shortest_paths(home.name, c.name, limit=1)}
    phrases: list[_Phrase] = []
    for cube in model.cubes:
        if cube.name not in reachable:
            continue
        cube_words = [_words(cube.name), _words(cube.title)]
        members: list[Measure | Dimension | Segment] = [*cube.measures, *cube.dimensions, *cube.segments]
        for member in members:
            kind: Kind = _kind(member)
            full = f"{cube.name}.{member.name}"
            own = {_words(member.name), _words(member.title)}
            own |= {_words(s) for s in getattr(member, "synonyms", [])}
            own.discard(())
            keys = set(own)
            if kind == "dimension":  # "customer segment": the cube's name before the member's
                keys |= {(*c, *o) for c in cube_words if c for o in own}
            if isinstance(member, Measure) and member.type == "count" and not member.filters:
                keys |= {(*cue, *c) for cue in _COUNT_CUES for c in cube_words if c}
            phrases += [_Phrase(full, kind, key, cube.name == home.name) for key in keys]
            for value in values.get(full, ()) if kind == "dimension" else ():
                words = tuple(singular(w) for w in tokenize(value))
                if words and len(words) <= 5 and not all(is_function_word(w) for w in words):
                    phrases.append(_Phrase(full, "value", words, cube.name == home.name, value))
    return phrases


def _kind(member: Measure | Dimension | Segment) -> Kind:
    if isinstance(member, Measure):
        return "measure"
    return "dimension" if isinstance(member, Dimension) else "segment"


def _matches(keys: list[str], phrases: list[_Phrase]) -> list[tuple[int, int, _Phrase]]:
    """Every phrase found in `keys`, longest first, then members of the conversation's own cube,
    then measures before dimensions (so "count" is this table's count)."""
    found = []
    for phrase in phrases:
        n = len(phrase.key)
        for start in range(len(keys) - n + 1):
            if tuple(keys[start : start + n]) == phrase.key:
                found.append((start, n, phrase))
    order = {"measure": 0, "segment": 1, "dimension": 2, "value": 3}
    found.sort(key=lambda f: (-f[1], not f[2].home, order[f[2].kind], f[0]))
    return found


def _aggregations_fit(tokens: list[str], model: Model, measures: list[str]) -> bool:
    """ "average shipping" when shipping is a sum is not what the model defines: leave it to the rules."""
    asked = {lexicon.AGG_WORDS[t] for t in tokens if lexicon.AGG_WORDS.get(t) in _AGG_FITS}
    if not asked:
        return True
    types = {_measure(model, name).type for name in measures}
    return all(types & _AGG_FITS[agg] for agg in asked)


def _with_granularity(
    model: Model, measure: str, dimensions: list[dict[str, Any]], granularity: str
) -> list[dict[str, Any]] | None:
    for item in dimensions:
        if _dimension(model, item["member"]).type == "time":
            item["granularity"] = granularity
            return dimensions
    cube = model.cube(measure.split(".")[0])
    when = next((d for d in cube.dimensions if d.type == "time"), None) if cube else None
    if when is None:
        return None
    return [{"member": f"{cube.name}.{when.name}", "granularity": granularity}, *dimensions]  # type: ignore[union-attr]


# --- the plan ----------------------------------------------------------------------------------------


def _plan(
    model: Model,
    measures: list[str],
    dimensions: list[dict[str, Any]],
    segments: list[str],
    picked: Mapping[str, list[str]],
    *,
    trend: bool,
    ranking: tuple[str, int | None] | None = None,
) -> MemberPlan:
    first = dimensions[0] if dimensions else None
    order: list[dict[str, str]] = []
    limit = 500
    if ranking is not None and first:
        order = [{"field": measures[0], "dir": ranking[0]}]
        limit = ranking[1] or limit
    elif first and first.get("granularity"):
        order = [{"field": f"{first['member']}.{first['granularity']}", "dir": "asc"}]
    elif first:
        order = [{"field": measures[0], "dir": "desc"}]
    filters = [
        {"field": member, "op": "eq", "value": chosen[0]}
        if len(chosen) == 1
        else {"field": member, "op": "in", "value": chosen}
        for member, chosen in picked.items()
    ]
    query = ModelQuery.model_validate(
        {
            "measures": measures,
            "dimensions": dimensions,
            "segments": segments,
            "filters": filters,
            "order": order,
            "limit": limit,
        }
    )
    titles = {name: member_title(model, name) for name in measures}
    titles |= {ref.output_name: member_title(model, ref.member, ref.granularity) for ref in query.dimensions}
    what = ", ".join(titles[m] for m in measures)
    by = " and ".join(titles[d.output_name] for d in query.dimensions)
    title = f"{what} by {by}" if by else what
    for name in segments:
        title += f" ({member_title(model, name).lower()})"
    for member, chosen in picked.items():
        title += f", {member_title(model, member)}: {', '.join(chosen)}"
    intent: Intent = "trend" if trend else "comparison" if dimensions else "lookup"
    sources = ", ".join(sorted({m.split(".")[0] for m in [*measures, *(d.member for d in query.dimensions)]}))
    explanation = f"{title}, from the model's definitions ({sources})."
    return MemberPlan(query=query, titles=titles, intent=intent, title=title, explanation=explanation)


def _measure(model: Model, name: str) -> Measure:
    member = _member(model, name)
    assert isinstance(member, Measure)
    return member


def _dimension(model: Model, name: str) -> Dimension:
    member = _member(model, name)
    assert isinstance(member, Dimension)
    return member


def _member(model: Model, name: str) -> Measure | Dimension | Segment:
    cube_name, _, member_name = name.partition(".")
    cube = model.cube(cube_name)
    member = cube.member(member_name) if cube else None
    if member is None:
        raise KeyError(name)
    return member


def _unique(names: Any) -> list[str]:
    return list(dict.fromkeys(names))


def _unique_phrases(found: list[tuple[int, _Phrase]]) -> list[_Phrase]:
    seen: dict[str, _Phrase] = {}
    for _, phrase in found:
        seen.setdefault(phrase.member, phrase)
    return list(seen.values())
