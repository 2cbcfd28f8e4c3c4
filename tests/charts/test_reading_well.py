# SPDX-License-Identifier: MIT
"""Issue 19, "charts that read well": numbers in the organisation's locale and the column's format,
axis titles with units, time axes that show gaps, a colour-blind-safe palette, and "Other" that is
the exact sum of the series it replaces (or refused for measures that cannot be added)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from chat2chart.charts.builders.formats import NUMBER_LOCALES, format_number
from chat2chart.charts.palette import PALETTE
from chat2chart.charts.render import MAX_SERIES, build_option
from chat2chart.charts.spec import parse_spec
from chat2chart.sources.results import ResultColumn, ResultSet

NBSP, NNBSP = "\u00a0", "\u202f"


# --- number formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "plain", "percent", "euros", "compact"),
    [
        ("en-US", "-1,234,567.89", "25.6%", "€1,234.50", "1.2M"),
        ("en-GB", "-1,234,567.89", "25.6%", "€1,234.50", "1.2M"),
        ("de-DE", "-1.234.567,89", f"25,6{NBSP}%", f"1.234,50{NBSP}€", "1,2M"),
        ("fr-FR", f"-1{NNBSP}234{NNBSP}567,89", f"25,6{NBSP}%", f"1{NNBSP}234,50{NBSP}€", "1,2M"),
        ("de-CH", "-1'234'567.89", "25.6%", f"€{NBSP}1'234.50", "1.2M"),
        ("sv-SE", f"-1{NBSP}234{NBSP}567,89", f"25,6{NBSP}%", f"1{NBSP}234,50{NBSP}€", "1,2M"),
        ("nl-NL", "-1.234.567,89", "25,6%", f"€{NBSP}1.234,50", "1,2M"),
        ("pt-BR", "-1.234.567,89", "25,6%", f"€{NBSP}1.234,50", "1,2M"),
    ],
)
def test_numbers_are_written_in_the_organisations_locale(locale, plain, percent, euros, compact):
    # The expected strings are CLDR's patterns for these locales (as Babel and browsers' Intl write
    # them; Chromium puts a narrow space before fr-FR's %, CLDR 47 a no-break space).
    assert format_number(-1234567.891, "0,0.00", locale=locale) == plain
    assert format_number(0.256, "0.0%", locale=locale) == percent
    assert format_number(1234.5, "0,0.00", locale=locale, currency="EUR") == euros
    assert format_number(1_234_567, "0.0a", locale=locale) == compact


def test_currency_percent_compact_and_decimals():
    assert format_number(1234.5, "0,0.00", currency="USD") == "$1,234.50"
    assert format_number(-1234.5, "0,0", currency="GBP") == "-£1,235"
    assert format_number(1234.5, "0,0.00", currency="CHF") == f"CHF{NBSP}1,234.50"  # no sign: its code
    assert format_number(1234.5, "€0,0.0") == "€1,234.5"  # the pattern's own sign
    assert format_number(0.5, "0%") == "50%"
    assert format_number(-0.0001, "0.0%") == "0.0%"  # no "-0.0%"
    assert format_number(999, "0.0a") == "999.0"
    assert format_number(2_500_000_000, "0.0a") == "2.5B"
    assert format_number(3.14159, "0.000") == "3.142"
    assert format_number(1.005, "0.00") == "1.01"  # halves away from zero, as browsers round
    assert format_number(2.5, "0") == "3"
    assert format_number(None, "0,0") == "–"
    assert format_number(float("nan"), "0,0") == "–"
    assert format_number(7, None) == "7"
    assert format_number(7.256, None) == "7.26"


def test_an_unknown_locale_reads_as_en_us():
    assert format_number(1234.5, "0,0.0", locale="xx-YY") == "1,234.5"
    assert set(NUMBER_LOCALES) >= {"en-US", "de-DE", "fr-FR"}


# --- palette --------------------------------------------------------------------------------------


def test_the_palette_has_ten_distinct_colours_and_every_chart_uses_it():
    assert len(PALETTE) >= 10
    assert len({colour.lower() for colour in PALETTE}) == len(PALETTE)
    option = build_option(parse_spec({"type": "pie", "encoding": {"label": "k", "value": "v"}}), _kv())
    assert option["color"] == list(PALETTE)


def _kv() -> ResultSet:
    return ResultSet(
        columns=(ResultColumn("k", "text", "dimension"), ResultColumn("v", "integer", "measure")),
        rows=(("a", 1), ("b", 2)),
    )


# --- "Other" --------------------------------------------------------------------------------------

PRODUCTS = [f"Product {chr(65 + i)}" for i in range(14)]


def _sales(agg: str | None) -> tuple[pd.DataFrame, ResultSet]:
    rng = np.random.default_rng(19)
    frame = pd.DataFrame(
        [
            {"region": region, "product": product, "value": float(rng.integers(1, 500)) * (i + 1)}
            for i, product in enumerate(PRODUCTS)
            for region in ("North", "South", "East")
            if not (product == "Product C" and region == "East")  # a missing pair stays missing
        ]
    )
    table = ResultSet(
        columns=(
            ResultColumn("region", "text", "dimension"),
            ResultColumn("product", "text", "dimension"),
            ResultColumn("value", "decimal", "measure", aggregation=agg),
        ),
        rows=tuple(frame.itertuples(index=False, name=None)),
    )
    return frame, table


def _stacked(table: ResultSet) -> dict:
    spec = parse_spec(
        {"type": "stacked_column", "encoding": {"x": "region", "series": "product", "y": ["value"]}}
    )
    return build_option(spec, table)


def test_more_than_ten_series_collapse_into_other_which_is_their_exact_sum():
    frame, table = _sales("sum")
    option = _stacked(table)
    names = [series["name"] for series in option["series"]]
    assert len(names) == MAX_SERIES
    assert names[-1] == "Other"

    totals = frame.groupby("product")["value"].apply(lambda v: v.abs().sum()).sort_values(ascending=False)
    kept, collapsed = list(totals.index[: MAX_SERIES - 1]), list(totals.index[MAX_SERIES - 1 :])
    assert names[:-1] == [p for p in PRODUCTS if p in kept]  # first-seen order, Other last
    categories = option["xAxis"]["data"]
    other = frame[frame["product"].isin(collapsed)].groupby("region")["value"].sum()
    drawn = dict(zip(categories, option["series"][-1]["data"], strict=True))
    assert drawn == pytest.approx(other.to_dict())
    for series in option["series"][:-1]:  # the kept series are untouched
        own = frame[frame["product"] == series["name"]].set_index("region")["value"]
        assert [v for v in series["data"]] == [own.get(c) for c in categories]
    assert "the other 5 are added up as \u201cOther\u201d" in option["title"]["subtext"]


@pytest.mark.parametrize("agg", ["avg", "median", "count_distinct", "min"])
def test_averages_and_distinct_counts_are_not_summed_into_other(agg):
    frame, table = _sales(agg)
    option = _stacked(table)
    names = [series["name"] for series in option["series"]]
    assert "Other" not in names
    assert len(names) == MAX_SERIES
    largest = frame.groupby("product")["value"].sum().sort_values(ascending=False).index[:MAX_SERIES]
    assert set(names) == set(largest)
    assert "not grouped as \u201cOther\u201d" in option["title"]["subtext"]
    assert f"because {agg} values cannot be added up" in option["title"]["subtext"]


def test_ten_series_or_fewer_are_drawn_as_they_are():
    _, table = _sales("sum")
    few = table.with_rows(row for row in table.rows if row[1] in PRODUCTS[:10])
    assert [s["name"] for s in _stacked(few)["series"]] == PRODUCTS[:10]


# --- axis titles, time axis -----------------------------------------------------------------------


def _daily(days: list[dt.date], fmt: str | None) -> ResultSet:
    return ResultSet(
        columns=(
            ResultColumn("order_date", "date", "time", granularity="day"),
            ResultColumn("revenue", "decimal", "measure", format=fmt, aggregation="sum"),
        ),
        rows=tuple((day.isoformat(), 10.0 * (i + 1)) for i, day in enumerate(days)),
    )


def test_value_axis_titles_carry_the_column_and_its_unit():
    table = _daily([dt.date(2025, 1, 1), dt.date(2025, 1, 2)], "currency:EUR")
    option = build_option(
        parse_spec({"type": "line", "encoding": {"x": "order_date", "y": "revenue"}}), table
    )
    assert option["yAxis"]["name"] == "revenue (EUR)"
    assert option["xAxis"]["name"] == "order_date by day"
    assert option["aiser"]["currency"] == "EUR"
    share = ResultSet(
        columns=(
            ResultColumn("region", "text", "dimension"),
            ResultColumn("share", "decimal", "measure", format="percent"),
        ),
        rows=(("North", 0.25), ("South", 0.75)),
    )
    option = build_option(parse_spec({"type": "column", "encoding": {"x": "region", "y": "share"}}), share)
    assert option["yAxis"]["name"] == "share (%)"
    assert option["xAxis"]["name"] == "region"
    assert option["aiser"]["numberFormat"] == "0.0%"


def test_a_daily_series_sits_on_a_time_axis_and_a_missing_day_is_a_gap():
    days = [dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 4), dt.date(2025, 1, 5)]
    option = build_option(
        parse_spec({"type": "line", "encoding": {"x": "order_date", "y": "revenue"}}), _daily(days, None)
    )
    assert option["xAxis"]["type"] == "time"
    assert option["series"][0]["connectNulls"] is False
    assert option["series"][0]["data"] == [
        ["2025-01-01", 10],
        ["2025-01-02", 20],
        ["2025-01-03", None],
        ["2025-01-04", 30],
        ["2025-01-05", 40],
    ]


def test_a_monthly_series_fills_missing_months():
    table = ResultSet(
        columns=(
            ResultColumn("month", "date", "time", granularity="month"),
            ResultColumn("revenue", "decimal", "measure", aggregation="sum"),
        ),
        rows=(("2024-11-01", 1.0), ("2025-02-01", 2.0)),
    )
    option = build_option(parse_spec({"type": "line", "encoding": {"x": "month", "y": "revenue"}}), table)
    assert [point[0] for point in option["series"][0]["data"]] == [
        "2024-11-01",
        "2024-12-01",
        "2025-01-01",
        "2025-02-01",
    ]
    assert [point[1] for point in option["series"][0]["data"]] == [1, None, None, 2]


def test_the_organisations_locale_reaches_the_browser_and_the_kpi_text():
    table = ResultSet(
        columns=(ResultColumn("revenue", "decimal", "measure", format="currency:EUR", aggregation="sum"),),
        rows=((1234567.5,),),
    )
    option = build_option(
        parse_spec({"type": "kpi", "encoding": {"value": "revenue"}}), table, locale="de-DE"
    )
    assert option["aiser"]["numberLocale"]["decimal"] == ","
    assert f"1.234.567,50{NBSP}€" in json.dumps(
        option, ensure_ascii=False
    )  # the big number, as a German reader writes it


def test_the_treemap_shows_values_and_its_title_once():
    table = ResultSet(
        columns=(
            ResultColumn("k", "text", "dimension"),
            ResultColumn("v", "integer", "measure", aggregation="sum"),
        ),
        rows=(("a", 1), ("b", 2)),
    )
    spec = parse_spec({"type": "treemap", "title": "Sales mix", "encoding": {"child": "k", "value": "v"}})
    option = build_option(spec, table)
    assert "Sales mix" not in str(option["series"])  # the breadcrumb reads the measure, not the title
    assert "{c}" in option["series"][0]["label"]["formatter"]
