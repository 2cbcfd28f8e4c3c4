# SPDX-License-Identifier: MIT
"""The recommender ranks chart types that fit the result's shape and the question's intent."""

from __future__ import annotations

from chat2chart.charts.recommend import Recommendation, recommend
from chat2chart.charts.registry import get_chart_type
from chat2chart.charts.spec import auto_spec


def dimension(name: str, type_: str = "text", cardinality: int | None = None) -> dict:
    return {"name": name, "type": type_, "role": "dimension", "cardinality": cardinality}


def measure(name: str, type_: str = "decimal") -> dict:
    return {"name": name, "type": type_, "role": "measure", "cardinality": None}


def first(columns: list[dict], **kwargs) -> str:
    return recommend(columns, **kwargs)[0].chart_type


def test_one_date_and_one_measure_is_a_line():
    assert first([dimension("day", "date"), measure("revenue")]) == "line"


def test_few_categories_as_composition_is_a_pie_or_donut():
    columns = [dimension("region", cardinality=5), measure("sales")]

    assert first(columns, intent="composition") in {"pie", "donut"}


def test_two_measures_without_a_dimension_is_a_scatter():
    assert first([measure("spend"), measure("revenue")]) == "scatter"


def test_two_categories_and_a_measure_is_a_heatmap_or_stacked_bar():
    columns = [dimension("region", cardinality=5), dimension("product", cardinality=4), measure("units")]

    assert first(columns) in {"heatmap", "stacked_column", "stacked_bar"}


def test_one_category_and_one_measure_is_a_bar_or_column():
    assert first([dimension("region", cardinality=8), measure("sales")]) in {"bar", "column"}
    assert first([dimension("customer", cardinality=200), measure("sales")]) in {"bar", "column"}


def test_a_single_measure_is_a_kpi():
    assert first([measure("revenue")]) == "kpi"


def test_one_numeric_column_with_distribution_intent_is_a_histogram():
    assert first([measure("order_value")], intent="distribution") == "histogram"
    assert first([dimension("age", "integer")], intent="distribution") == "histogram"


def test_results_are_ranked_scored_and_explained():
    results = recommend([dimension("region", cardinality=8), measure("sales")])

    assert all(isinstance(r, Recommendation) and r.reason for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert len({r.chart_type for r in results}) == len(results)


def test_only_types_whose_needs_are_met_are_offered():
    columns = [dimension("region", cardinality=8), measure("sales")]

    offered = {r.chart_type for r in recommend(columns)}

    assert "pie" in offered
    assert "scatter" not in offered  # needs two measures
    assert "theme_river" not in offered  # needs a date and a series column
    assert "candlestick" not in offered
    for chart_type in offered:  # and every offer can be turned into a spec
        assert auto_spec(chart_type, columns).type == get_chart_type(chart_type).id


def test_open_high_low_close_over_time_is_a_candlestick():
    columns = [dimension("day", "date"), *(measure(n) for n in ("open", "high", "low", "close"))]

    assert first(columns) == "candlestick"


def test_ranking_intent_puts_a_ranked_bar_first():
    assert first([dimension("rep", cardinality=20), measure("deals")], intent="ranking") == "ranked_bar"


def test_an_unknown_intent_is_treated_as_no_intent():
    assert first([dimension("day", "date"), measure("revenue")], intent="vibes") == "line"
