# SPDX-License-Identifier: MIT
"""`/api/v1/analytics/...`: run a semantic query, hand its rows to the pure modules, return findings.

Each endpoint takes `{"query": <semantic query>, ...options}`. The query's measures are the measures, its
dimension with a time granularity (or of a date type) is the time axis, the other dimensions are dimensions.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.analytics import anomalies, associations, drivers, forecast, insights, patterns, trend
from chat2chart.analytics.findings import (
    AnalyticsError,
    AnomaliesResult,
    DriversResult,
    ForecastFinding,
    InsightsResult,
    PatternsResult,
    TrendFinding,
)
from chat2chart.charts.services import parse_query
from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from chat2chart.sources.querying import query_run

_TIME_TYPES = {"date", "datetime", "timestamp"}


class QueryTable:
    """A query's result as a frame, with the roles of its columns."""

    def __init__(self, *, query: Any, principal: Principal) -> None:
        semantic = parse_query(query)
        response = query_run(query=semantic, principal=principal)
        if response.truncated:
            # An analysis of the first rows only would be wrong without saying so.
            raise AnalyticsError(
                f"The query returns more than {len(response.rows):,} rows, the most one analysis reads: "
                "group it by a coarser time period or fewer dimensions."
            )
        self.frame = pd.DataFrame(list(response.rows), columns=response.names)
        self.measures = [m.output_name for m in semantic.measures if not m.hidden]
        self.measures += [c.output_name for c in semantic.calculations]
        dims = list(semantic.dimensions)
        types = {c.name: c.type for c in response.columns}
        timed = [d.output_name for d in dims if d.granularity or types.get(d.output_name) in _TIME_TYPES]
        self.time = timed[0] if timed else None
        self.dimensions = [d.output_name for d in dims if d.output_name != self.time]
        for measure in self.measures:
            self.frame[measure] = pd.to_numeric(self.frame[measure], errors="coerce")

    def measure(self, name: str | None) -> str:
        if name is None:
            if not self.measures:
                raise AnalyticsError(
                    "The query has no measure to analyse: add one (e.g. the sum of revenue)."
                )
            return self.measures[0]
        if name not in self.measures:
            raise AnalyticsError(
                f"{name!r} is not a measure of the query: use one of {', '.join(self.measures)}."
            )
        return name

    def time_axis(self) -> str:
        if self.time is None:
            raise AnalyticsError("This analysis needs a time axis: group the query by a date (e.g. by day).")
        return self.time

    def over_time(self, measure: str) -> pd.Series:
        """The measure summed per time value, oldest first."""
        time = self.time_axis()
        return self.frame.groupby(time, sort=True)[measure].sum()


class AnalyticsInput(serializers.Serializer):
    query = serializers.JSONField(help_text="A semantic query, as for POST /api/v1/query/.")
    measure = serializers.CharField(
        required=False, help_text="Which of the query's measures; the first if omitted."
    )


class AnomaliesInput(AnalyticsInput):
    sensitivity = serializers.ChoiceField(choices=list(anomalies.SENSITIVITIES), default="balanced")
    period = serializers.IntegerField(
        required=False, min_value=2, max_value=400, help_text="Points per cycle."
    )
    segment = serializers.CharField(
        required=False, help_text="A dimension of the query: one detector per value."
    )


class ForecastInput(AnalyticsInput):
    horizon = serializers.IntegerField(default=6, min_value=1, max_value=365, help_text="Periods ahead.")


class DriversInput(AnalyticsInput):
    mode = serializers.ChoiceField(choices=["change", "associations"], default="change")
    denominator = serializers.CharField(
        required=False, help_text="For a ratio measure: measure / denominator."
    )
    before = serializers.ListField(child=serializers.DateField(), min_length=2, max_length=2, required=False)
    after = serializers.ListField(child=serializers.DateField(), min_length=2, max_length=2, required=False)
    segment_dimension = serializers.CharField(
        required=False, help_text="Compare two values of this dimension."
    )
    segment_values = serializers.ListField(
        child=serializers.CharField(), min_length=2, max_length=2, required=False
    )


class InsightsInput(AnalyticsInput):
    top = serializers.IntegerField(default=10, min_value=1, max_value=50)
    budget_s = serializers.FloatField(default=10.0, min_value=0.5, max_value=60.0)


def _body(result: BaseModel) -> Response:
    return Response(result.model_dump(mode="json"))


class _AnalyticsView(APIView):
    actions = {"POST": hooks.ASK}
    input_class: type[serializers.Serializer] = AnalyticsInput

    def _read(self, request: Request) -> tuple[dict[str, Any], QueryTable]:
        payload = self.input_class(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        return given, QueryTable(query=given["query"], principal=Principal.from_request(request))


class TrendView(_AnalyticsView):
    @extend_schema(
        summary="Trend, change points, seasonality and growth of a measure over time",
        request=AnalyticsInput,
        responses=TrendFinding,
    )
    def post(self, request: Request) -> Response:
        given, table = self._read(request)
        measure = table.measure(given.get("measure"))
        series = table.over_time(measure)
        return _body(trend.analyse_trend(list(series.index), series.to_numpy(), measure=measure))


class AnomaliesView(_AnalyticsView):
    input_class = AnomaliesInput

    @extend_schema(
        summary="Unusual points of a measure over time, each with why",
        request=AnomaliesInput,
        responses=AnomaliesResult,
    )
    def post(self, request: Request) -> Response:
        given, table = self._read(request)
        measure = table.measure(given.get("measure"))
        options = {"sensitivity": given["sensitivity"], "period": given.get("period")}
        segment = given.get("segment")
        if segment:
            if segment not in table.dimensions:
                raise AnalyticsError(f"{segment!r} is not a dimension of the query.")
            found = anomalies.detect_anomalies_by_segment(
                table.frame, time=table.time_axis(), measure=measure, segment=segment, **options
            )
        else:
            series = table.over_time(measure)
            labels = [str(v) for v in series.index]
            found = [anomalies.detect_anomalies(series.to_numpy(), labels=labels, measure=measure, **options)]
        return _body(AnomaliesResult(findings=found))


class ForecastView(_AnalyticsView):
    input_class = ForecastInput

    @extend_schema(
        summary="Forecast with 80 % and 95 % intervals, the model chosen by back-test",
        request=ForecastInput,
        responses=ForecastFinding,
    )
    def post(self, request: Request) -> Response:
        given, table = self._read(request)
        measure = table.measure(given.get("measure"))
        series = table.over_time(measure)
        return _body(
            forecast.forecast(
                list(series.index), series.to_numpy(), horizon=given["horizon"], measure=measure
            )
        )


class DriversView(_AnalyticsView):
    input_class = DriversInput

    @extend_schema(
        summary="Why a measure changed, or what drives high values of it",
        request=DriversInput,
        responses=DriversResult,
    )
    def post(self, request: Request) -> Response:
        given, table = self._read(request)
        measure = table.measure(given.get("measure"))
        if given["mode"] == "associations":
            numeric = [m for m in table.measures if m != measure]
            found = associations.what_drives(
                table.frame, measure=measure, dimensions=table.dimensions, numeric=numeric
            )
            return _body(DriversResult(associations=found))
        before, after, before_label, after_label, dimensions = _compared(table, given)
        denominator = given.get("denominator")
        if denominator is not None:
            table.measure(denominator)
        change = drivers.explain_change(
            before,
            after,
            measure=measure,
            dimensions=dimensions,
            denominator=denominator,
            before_label=before_label,
            after_label=after_label,
        )
        return _body(DriversResult(change=change))


def _compared(
    table: QueryTable, given: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, str, str, list[str]]:
    """The two sides of the comparison: two segments of a dimension, two named periods, or the last month
    against the one before."""
    dimension = given.get("segment_dimension")
    if dimension:
        values = given.get("segment_values") or []
        if dimension not in table.dimensions or len(values) != 2:
            raise AnalyticsError("Name a dimension of the query and two of its values to compare segments.")
        column = table.frame[dimension].astype(str)
        others = [d for d in table.dimensions if d != dimension]
        return (
            table.frame[column == values[0]],
            table.frame[column == values[1]],
            values[0],
            values[1],
            others,
        )
    before, after = given.get("before"), given.get("after")
    periods = None
    if before and after:
        periods = (
            (before[0].isoformat(), before[1].isoformat()),
            (after[0].isoformat(), after[1].isoformat()),
        )
    left, right, left_label, right_label = drivers.split_periods(
        table.frame,
        time=table.time_axis(),
        before=periods[0] if periods else None,
        after=periods[1] if periods else None,
    )
    return left, right, left_label, right_label, table.dimensions


class PatternsView(_AnalyticsView):
    @extend_schema(
        summary="Correlations, concentration, weekly and daily cycles, outliers and distribution shape",
        request=AnalyticsInput,
        responses=PatternsResult,
    )
    def post(self, request: Request) -> Response:
        given, table = self._read(request)
        measure = table.measure(given.get("measure"))
        frame = table.frame
        cycles = []
        if table.time is not None:
            series = table.over_time(measure)
            stamps = pd.to_datetime(pd.Series(list(series.index)), format="mixed")
            wanted = ["day_of_week", *(["hour_of_day"] if stamps.dt.hour.nunique() > 1 else [])]
            for cycle in wanted:
                found = patterns.cycle_pattern(
                    list(series.index), series.to_numpy(), measure=measure, cycle=cycle
                )
                if found is not None:
                    cycles.append(found)
        shape = patterns.distribution_shape(frame[measure], measure=measure) if len(frame) >= 8 else None
        result = PatternsResult(
            measure=measure,
            correlations=patterns.correlations(frame, table.measures),
            concentrations=[
                patterns.concentration(frame, dimension=d, measure=measure) for d in table.dimensions
            ],
            cycles=cycles,
            outliers=[
                o
                for d in table.dimensions
                for o in patterns.outlier_segments(frame, dimension=d, measure=measure)
            ],
            shape=shape,
        )
        return _body(result)


class InsightsView(_AnalyticsView):
    input_class = InsightsInput

    @extend_schema(
        summary="What is interesting in this table: the top findings, each a sentence and a chart",
        request=InsightsInput,
        responses=InsightsResult,
    )
    def post(self, request: Request) -> Response:
        given, table = self._read(request)
        measures = [given["measure"]] if given.get("measure") else table.measures
        for measure in measures:
            table.measure(measure)
        found = insights.table_insights(
            table.frame,
            measures=measures,
            dimensions=table.dimensions,
            time_column=table.time,
            top=given["top"],
            budget_s=given["budget_s"],
        )
        return _body(InsightsResult(findings=found))
