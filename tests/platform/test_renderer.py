# SPDX-License-Identifier: MIT
"""The API's orjson renderer writes every value exactly as DRF's JSON renderer did."""

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import orjson
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from chat2chart.core.renderers import OrjsonRenderer

SAMPLE = {
    "utc": dt.datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=dt.UTC),
    "utc_whole_second": dt.datetime(2024, 3, 1, 12, 30, 5, tzinfo=dt.UTC),
    "london_winter": dt.datetime(2024, 1, 15, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
    "berlin": dt.datetime(2024, 7, 1, 9, 0, 0, 500, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
    "naive": dt.datetime(2024, 7, 1, 9, 0),
    "date": dt.date(2024, 2, 29),
    "time": dt.time(23, 59, 1, 10),
    "duration": dt.timedelta(hours=1, seconds=3),
    "decimal": Decimal("1234.50"),
    "small_decimal": Decimal("0.1"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Not found."),
    "text": "Zürich — 東京 \u2028 line",
    "numbers": [0, -1, 2**53, 1.5, 0.1, True, None],
    "nested": {"rows": [[1, "a"], (2, "b")], "empty": {}},
    7: "an integer key",
}


def test_every_value_is_written_as_drf_wrote_it():
    drf = JSONRenderer().render(SAMPLE)
    ours = OrjsonRenderer().render(SAMPLE)
    assert ours == drf
    assert orjson.loads(ours)["utc"] == "2024-03-01T12:30:05.123456Z"
    assert orjson.loads(ours)["decimal"] == 1234.5


def test_nothing_renders_as_an_empty_body_and_indent_is_honoured():
    assert OrjsonRenderer().render(None) == b""
    pretty = OrjsonRenderer().render({"a": [1]}, "application/json; indent=4")
    assert pretty.startswith(b"{\n  ")
    assert orjson.loads(pretty) == {"a": [1]}


def test_the_api_answers_with_the_orjson_renderer(alpha):
    response = alpha.client().get("/api/v1/me/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.renderer_context["view"].get_renderers()[0].__class__ is OrjsonRenderer
