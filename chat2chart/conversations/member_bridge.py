# SPDX-License-Identifier: MIT
"""The analytics engine over a model's members: the engine speaks table queries (`SemanticQuery`); a
model speaks member queries. `MemberBridge` gives the engine a table query whose fields are the members'
titles ("Margin", "Region") and answers every query the engine runs by turning it back into a model
query of those members, run through the model (its joins, formats, rollups and cache) with the given
filters (a dashboard's, an embed's locked values) ANDed in. So the engine's sentences read in the
model's words, and a locked `customers.region` limits a forecast of a measure on orders.

A measure keeps its own definition: a count or a sum adds up across groups (so "what changed" can split
it); an average, a ratio (`number`), a minimum or a maximum cannot be split and is refused by the
engine's own rule; a count of distinct values likewise. Pure: no Django (`answer` runs the query).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.semantic.model import Measure as ModelMeasure
from chat2chart.semantic.model import Model
from chat2chart.semantic.query import DimensionRef, ModelQuery, find_member
from chat2chart.semantic.results import member_title, titled_result
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import Aggregation, Dimension, Filter, Measure, OrderBy, SemanticQuery

# How the engine should treat each measure type: only "sum" (and a row count) may be split into parts.
_ENGINE_AGG: dict[str, Aggregation] = {
    "count": "sum",
    "sum": "sum",
    "count_distinct": "count_distinct",
    "count_distinct_approx": "count_distinct",
    "avg": "avg",
    "number": "avg",
    "min": "min",
    "max": "max",
}

Answer = Callable[[ModelQuery], dict[str, Any]]


class MemberBridge:
    """Titles ⇄ members for one widget's model query; `run` answers the engine's table queries."""

    def __init__(
        self,
        model: Model,
        query: ModelQuery,
        *,
        label: str,
        answer: Answer,
        extra: list[Filter],
        also: tuple[str, ...] = (),
    ) -> None:
        """`label` names the model in sentences; `answer` runs a model query; `extra` filters are
        ANDed into every query; `also` are more members the engine may name (dimensions to break a
        change down by)."""
        self.model = model
        self.label = label
        self.query = query
        self._answer = answer
        self._extra = extra
        self.members: dict[str, str] = {}  # title -> member
        self.titles: dict[str, str] = {}  # member -> title
        for name in [*query.measures, *(d.member for d in query.dimensions), *also]:
            self.title_of(name)

    def title_of(self, member: str) -> str:
        """The title the engine reads for `member` (made unique with its cube's name)."""
        if member in self.titles:
            return self.titles[member]
        title = member_title(self.model, member)
        if title in self.members:  # two members with one title: the cube tells them apart
            title = f"{title} ({member.split('.')[0]})"
        self.members[title] = member
        self.titles[member] = title
        return title

    def table_query(self) -> SemanticQuery:
        """The widget's query as the engine reads it: fields are the members' titles."""
        measures = []
        for name in self.query.measures:
            _, measure = find_member(self.model, name)
            assert isinstance(measure, ModelMeasure)
            title = self.title_of(name)
            measures.append(Measure(field=title, agg=_ENGINE_AGG[measure.type], alias=title))
        return SemanticQuery(
            source=0,  # never read: every query goes through `run`
            table=self.label,
            measures=measures,
            dimensions=[
                Dimension(field=self.title_of(d.member), granularity=d.granularity)
                for d in self.query.dimensions
            ],
            filters=[
                f.model_copy(update={"field": self.titles.get(f.field, f.field)}) for f in self.query.filters
            ],
        )

    def run(self, query: SemanticQuery) -> ResultSet:
        """`query` (fields are titles) answered through the model, its columns named as `query` names
        them. Raises AnalyticsError for what a model member cannot answer (another aggregation of a
        measure, a calculation)."""
        if query.calculations:
            raise AnalyticsError("An analysis of a data model's measure cannot add calculations.")
        measures: list[str] = []
        names: dict[str, str] = {}
        for measure in query.measures:
            member = self._member(measure.field)
            _, defined = find_member(self.model, member)
            if not isinstance(defined, ModelMeasure) or measure.agg != _ENGINE_AGG[defined.type]:
                raise AnalyticsError(
                    f"“{measure.field}” is defined once in the data model; it cannot be taken as a "
                    f"{measure.agg} of its rows (ask about a total or a count)."
                )
            measures.append(member)
            names[member] = measure.output_name
        dimensions = []
        for dimension in query.dimensions:
            ref = DimensionRef(member=self._member(dimension.field), granularity=dimension.granularity)
            dimensions.append(ref)
            names[ref.output_name] = dimension.output_name
        outputs = {v: k for k, v in names.items()}
        model_query = ModelQuery(
            measures=measures,
            dimensions=dimensions,
            filters=[
                *(f.model_copy(update={"field": self._member(f.field)}) for f in query.filters),
                *self._extra,
            ],
            order=[
                OrderBy(field=outputs.get(o.field, self._member(o.field)), dir=o.dir) for o in query.order
            ],
            limit=query.limit,
            offset=query.offset,
        )
        result = titled_result(self._answer(model_query), self.model, model_query)
        columns = tuple(
            dataclasses.replace(column, name=names.get(str(column.member), column.name))
            for column in result.columns
        )
        return dataclasses.replace(result, columns=columns)

    def _member(self, field: str | None) -> str:
        if field is None:
            raise AnalyticsError("An analysis of a data model counts through its own count measure.")
        return self.members.get(field, field)
