# SPDX-License-Identifier: MIT
"""Every registered chart type builds a clean ECharts option on data that fits it, and refuses data
that does not with a message saying what it needs."""

from __future__ import annotations

import json

import pytest

from chat2chart.charts.gallery import gallery_examples
from chat2chart.charts.registry import FAMILIES, chart_type_ids, chart_types, get_chart_type
from chat2chart.charts.render import build_option
from chat2chart.charts.samples import sample_for
from chat2chart.charts.spec import auto_spec, parse_spec
from chat2chart.core.errors import ChartError
from chat2chart.sources.results import ResultSet


def draw(spec, data: dict) -> dict:
    """Draw plain test data, typed once by `ResultSet.from_rows` as posted data is."""
    return build_option(spec, ResultSet.from_rows(data["columns"], data["rows"]))


TYPE_IDS = chart_type_ids()


def _spec_and_data(type_id: str):
    data, title = sample_for(type_id)
    return auto_spec(type_id, data["columns"], title=title), data


def _misfit(type_id: str, data: dict) -> dict:
    """The same result with every value turned into text; types that need no measure get no columns."""
    if get_chart_type(type_id).needs.min_measures == 0:
        return {"columns": [], "rows": []}
    columns = [{**c, "type": "text"} for c in data["columns"]]
    return {"columns": columns, "rows": [[f"text {v}" for v in row] for row in data["rows"]]}


def test_there_are_at_least_fifty_chart_types():
    assert len(TYPE_IDS) >= 50
    assert len(set(TYPE_IDS)) == len(TYPE_IDS)


def test_every_type_has_a_known_family_and_described_needs():
    for chart_type in chart_types():
        assert chart_type.family in FAMILIES
        assert chart_type.needs.summary


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_type_builds_on_fitting_sample_data(type_id):
    spec, data = _spec_and_data(type_id)

    option = draw(spec, data)

    text = json.dumps(option, allow_nan=False)  # plain JSON, so it can travel to the browser as is
    assert "function" not in text.lower()
    assert option["toolbox"]["feature"]["saveAsImage"]["type"] == "png"
    assert option["title"]["text"] == spec.title
    if "tooltip" in option:
        assert option["tooltip"]["renderMode"] == "richText"
    kind = option["aiser"]["kind"]
    if kind in ("table", "pivot"):
        assert option["dataset"]["source"]
    else:
        assert option.get("series") or option.get("graphic")


@pytest.mark.parametrize("type_id", TYPE_IDS)
def test_type_refuses_data_that_does_not_fit_and_says_what_it_needs(type_id):
    spec, data = _spec_and_data(type_id)

    with pytest.raises(ChartError) as error:
        draw(spec, _misfit(type_id, data))

    assert get_chart_type(type_id).needs.summary in error.value.message


def test_pie_with_two_measures_is_refused():
    data = {
        "columns": [
            {"name": "region", "type": "text"},
            {"name": "a", "type": "integer"},
            {"name": "b", "type": "integer"},
        ],
        "rows": [["North", 1, 2]],
    }
    spec = parse_spec({"type": "pie", "encoding": {"x": "region", "y": ["a", "b"]}})

    with pytest.raises(ChartError, match="exactly one measure"):
        draw(spec, data)


def test_scatter_with_text_on_both_axes_is_refused():
    data = {"columns": [{"name": "a", "type": "text"}, {"name": "b", "type": "text"}], "rows": [["x", "y"]]}
    spec = parse_spec({"type": "scatter", "encoding": {"x": "a", "y": "b"}})

    with pytest.raises(ChartError, match="two numeric measures"):
        draw(spec, data)


def test_invalid_spec_is_a_chart_error_naming_the_problem():
    with pytest.raises(ChartError, match="number_format"):
        parse_spec({"type": "column", "options": {"number_format": "##.#"}})
    with pytest.raises(ChartError, match="Unknown chart type"):
        parse_spec({"type": "pie3d"})
    with pytest.raises(ChartError, match="colour"):
        parse_spec({"type": "column", "encoding": {"colour": "x"}})


def test_many_categories_are_cut_to_top_n_with_other_and_a_note():
    data = {
        "columns": [{"name": "c", "type": "text"}, {"name": "v", "type": "integer"}],
        "rows": [[f"c{i}", i] for i in range(80)],
    }

    option = draw(parse_spec({"type": "column", "encoding": {"x": "c", "y": "v"}}), data)

    categories = option["xAxis"]["data"]
    assert len(categories) == 30
    assert categories[-1] == "Other"
    assert "c79" in categories
    assert "c0" not in categories
    assert "Top 29 of 80" in option["title"]["subtext"]


def test_pie_keeps_twelve_slices_at_most_and_user_top_n_is_exact():
    data = {
        "columns": [{"name": "c", "type": "text"}, {"name": "v", "type": "integer"}],
        "rows": [[f"c{i}", i + 1] for i in range(20)],
    }

    pie = draw(parse_spec({"type": "pie", "encoding": {"label": "c", "value": "v"}}), data)
    top5 = draw(
        parse_spec({"type": "column", "encoding": {"x": "c", "y": "v"}, "options": {"top_n": 5}}), data
    )

    assert len(pie["series"][0]["data"]) == 12
    assert len(top5["xAxis"]["data"]) == 6


def test_long_time_series_gets_a_data_zoom():
    data = {
        "columns": [{"name": "d", "type": "date"}, {"name": "v", "type": "integer"}],
        "rows": [[f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}", i] for i in range(300)],
    }

    option = draw(parse_spec({"type": "line", "encoding": {"x": "d", "y": "v"}}), data)

    assert {zoom["type"] for zoom in option["dataZoom"]} == {"inside", "slider"}


def test_big_scatter_uses_large_mode():
    data = {
        "columns": [{"name": "a", "type": "decimal"}, {"name": "b", "type": "decimal"}],
        "rows": [[i * 0.5, (i * 37) % 101] for i in range(6000)],
    }

    option = draw(parse_spec({"type": "scatter", "encoding": {"x": "a", "y": "b"}}), data)

    assert option["series"][0]["large"] is True


def test_gallery_has_every_type_with_its_family():
    examples = gallery_examples()

    assert [e["type"] for e in examples] == TYPE_IDS
    assert all(e["family"] in FAMILIES and e["option"] for e in examples)


def test_histogram_of_grouped_rows_weights_each_value_by_its_count():
    raw = [[v] for v in (1, 1, 1, 2, 2, 9)]
    grouped = [[1, 3], [2, 2], [9, 1]]
    plain = draw(
        parse_spec({"type": "histogram", "encoding": {"value": "hp"}}),
        {"columns": [{"name": "hp", "type": "integer"}], "rows": raw},
    )
    weighted = draw(
        parse_spec({"type": "histogram", "encoding": {"value": "hp", "weight": "count"}}),
        {
            "columns": [{"name": "hp", "type": "integer"}, {"name": "count", "type": "integer"}],
            "rows": grouped,
        },
    )
    assert weighted["series"][0]["data"] == plain["series"][0]["data"]
    assert sum(weighted["series"][0]["data"]) == 6


def _many_regions(agg: str) -> dict:
    rows = [[f"Region {i:02d}", 10.0 + i] for i in range(20)]
    return {
        "columns": [{"name": "region", "type": "text"}, {"name": "value", "type": "decimal", "agg": agg}],
        "rows": rows,
    }


def test_sums_beyond_the_top_n_are_added_into_other():
    spec = parse_spec({"type": "bar", "encoding": {"x": "region", "y": ["value"]}, "options": {"top_n": 3}})
    option = draw(spec, _many_regions("sum"))
    assert option["series"][0]["data"][-1] == sum(10.0 + i for i in range(17))
    assert "grouped as" in option["title"]["subtext"]


def test_averages_beyond_the_top_n_are_left_out_not_added_up():
    spec = parse_spec({"type": "bar", "encoding": {"x": "region", "y": ["value"]}, "options": {"top_n": 3}})
    option = draw(spec, _many_regions("avg"))
    values = [v["value"] if isinstance(v, dict) else v for v in option["series"][0]["data"]]
    assert sorted(values) == [27.0, 28.0, 29.0]
    assert "left out" in option["title"]["subtext"]


def test_weekday_numbers_are_drawn_as_day_names():
    spec = parse_spec({"type": "column", "encoding": {"x": "order_date_weekday", "y": ["revenue"]}})
    data = {
        "columns": [
            {"name": "order_date_weekday", "type": "integer", "granularity": "weekday"},
            {"name": "revenue", "type": "decimal", "agg": "sum"},
        ],
        "rows": [[1, 10.0], [2, 12.0], [7, 3.0]],
    }
    option = draw(spec, data)
    assert option["xAxis"]["data"] == ["Mon", "Tue", "Sun"]
