# SPDX-License-Identifier: MIT
"""Text from the data stays plain data in the option: no HTML tooltips, no formatters built from it."""

from __future__ import annotations

import json

import pytest

from chat2chart.charts.render import build_option
from chat2chart.charts.spec import parse_spec
from chat2chart.sources.results import ResultSet


def draw(spec, data: dict) -> dict:
    """Draw plain test data, typed once by `ResultSet.from_rows` as posted data is."""
    return build_option(spec, ResultSet.from_rows(data["columns"], data["rows"]))


XSS = "<img src=x onerror=alert(1)>"
DATA = {
    "columns": [{"name": "cat", "type": "text"}, {"name": "v", "type": "integer"}],
    "rows": [[XSS, 5], ["plain", 3]],
}
ENCODINGS = {
    "column": {"x": "cat", "y": ["v"]},
    "pie": {"label": "cat", "value": "v"},
    "funnel": {"label": "cat", "value": "v"},
    "treemap": {"child": "cat", "value": "v"},
    "heatmap": {"x": "cat", "series": "cat", "value": "v"},
    "table": {},
}


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("chart_type", ENCODINGS)
def test_markup_category_is_plain_data_and_tooltip_is_not_html(chart_type):
    spec = parse_spec({"type": chart_type, "title": XSS, "encoding": ENCODINGS[chart_type]})

    option = draw(spec, DATA)

    strings = list(_strings(option))
    assert XSS in strings  # kept verbatim as data, to be drawn as text
    assert option["title"]["text"] == XSS
    if "tooltip" in option:
        assert option["tooltip"]["renderMode"] == "richText"
        assert "formatter" not in option["tooltip"]
    formatters = [s for s in _collect(option, "formatter") if isinstance(s, str)]
    assert all("<" not in f and "onerror" not in f for f in formatters)
    assert "function" not in json.dumps(option).lower()


def _collect(value, key):
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                yield item
            yield from _collect(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _collect(item, key)
