# SPDX-License-Identifier: MIT
"""Deterministic sample query results, one shape per kind of chart, for the gallery and tests.

Results look like the query layer's (columns with name/type, rows, dates as ISO strings) and carry
each column's role so `auto_spec` can place them. The same call always returns the same numbers.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Any

REGIONS = ["North", "South", "East", "West", "Central", "Overseas"]
PRODUCTS = ["Laptops", "Phones", "Tablets", "Monitors", "Audio"]


def _column(name: str, type_: str, role: str) -> dict[str, Any]:
    return {"name": name, "type": type_, "role": role}


def _months(count: int, start: date = date(2023, 1, 1)) -> list[str]:
    months = []
    year, month = start.year, start.month
    for _ in range(count):
        months.append(date(year, month, 1).isoformat())
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return months


def by_category() -> dict[str, Any]:
    sales = [182_400.5, 143_020.0, 120_310.25, 98_540.0, 64_200.75, 31_880.0]
    return {
        "columns": [_column("region", "text", "dimension"), _column("sales", "decimal", "measure")],
        "rows": [[r, s] for r, s in zip(REGIONS, sales, strict=True)],
    }


def by_category_two_measures() -> dict[str, Any]:
    rows = [
        [r, s, round(s * (0.8 + 0.07 * i), 2)]
        for i, (r, s) in enumerate(
            zip(REGIONS, [182_400, 143_020, 120_310, 98_540, 64_200, 31_880], strict=True)
        )
    ]
    return {
        "columns": [
            _column("region", "text", "dimension"),
            _column("last_year", "decimal", "measure"),
            _column("this_year", "decimal", "measure"),
        ],
        "rows": rows,
    }


def by_category_many_measures() -> dict[str, Any]:
    skills = ["Speed", "Quality", "Cost", "Support", "Reach", "Design"]
    rows = [[s, 60 + (i * 13) % 35, 55 + (i * 29) % 40, 40 + (i * 17) % 50] for i, s in enumerate(skills)]
    return {
        "columns": [
            _column("aspect", "text", "dimension"),
            _column("us", "integer", "measure"),
            _column("rival_a", "integer", "measure"),
            _column("rival_b", "integer", "measure"),
        ],
        "rows": rows,
    }


def by_category_and_series() -> dict[str, Any]:
    rows = []
    for i, region in enumerate(REGIONS[:5]):
        for j, product in enumerate(PRODUCTS):
            rows.append([region, product, 1000 + ((i + 2) * (j + 3) * 379) % 4200])
    return {
        "columns": [
            _column("region", "text", "dimension"),
            _column("product", "text", "dimension"),
            _column("units", "integer", "measure"),
        ],
        "rows": rows,
    }


def monthly(count: int = 24) -> dict[str, Any]:
    rows = []
    for i, month in enumerate(_months(count)):
        revenue = 52_000 + 900 * i + 7_000 * math.sin(i / 1.9)
        rows.append([month, round(revenue, 2), round(revenue * 0.62 + 3_000 * math.cos(i / 2.3), 2)])
    return {
        "columns": [
            _column("month", "date", "dimension"),
            _column("revenue", "decimal", "measure"),
            _column("cost", "decimal", "measure"),
        ],
        "rows": rows,
    }


def monthly_one_measure(count: int = 24) -> dict[str, Any]:
    data = monthly(count)
    return {"columns": data["columns"][:2], "rows": [row[:2] for row in data["rows"]]}


def monthly_by_series() -> dict[str, Any]:
    rows = []
    for i, month in enumerate(_months(18)):
        for j, product in enumerate(PRODUCTS[:4]):
            rows.append(
                [month, product, round(800 + 220 * j + 60 * i * (1 + j % 2) + 300 * math.sin(i + j), 1)]
            )
    return {
        "columns": [
            _column("month", "date", "dimension"),
            _column("product", "text", "dimension"),
            _column("units", "decimal", "measure"),
        ],
        "rows": rows,
    }


def waterfall_steps() -> dict[str, Any]:
    steps = [
        ("Opening", 42_000),
        ("New customers", 18_500),
        ("Upsell", 7_200),
        ("Churn", -9_800),
        ("Discounts", -4_300),
        ("Price rise", 5_100),
    ]
    return {
        "columns": [_column("step", "text", "dimension"), _column("amount", "decimal", "measure")],
        "rows": [list(step) for step in steps],
    }


def ranges() -> dict[str, Any]:
    rows = [
        [m, 4 + i * 1.5, 14 + i * 2.2 + (i % 3)]
        for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug"])
    ]
    return {
        "columns": [
            _column("month", "text", "dimension"),
            _column("low", "decimal", "measure"),
            _column("high", "decimal", "measure"),
        ],
        "rows": rows,
    }


def points(count: int = 80, *, sized: bool = False) -> dict[str, Any]:
    rng = random.Random(7)
    rows = []
    for i in range(count):
        spend = round(rng.uniform(1, 100), 2)
        row: list[Any] = [
            ["Retail", "Online", "Partner"][i % 3],
            f"Store {i + 1}",
            spend,
            round(spend * 2.4 + rng.gauss(0, 30) + 20, 2),
        ]
        if sized:
            row.append(rng.randint(5, 400))
        rows.append(row)
    columns = [
        _column("channel", "text", "dimension"),
        _column("store", "text", "dimension"),
        _column("ad_spend", "decimal", "measure"),
        _column("revenue", "decimal", "measure"),
    ]
    if sized:
        columns.append(_column("staff", "integer", "measure"))
    return {"columns": columns, "rows": rows}


def raw_values(count: int = 400, *, grouped: bool = False) -> dict[str, Any]:
    rng = random.Random(11)
    rows = []
    for i in range(count):
        group = PRODUCTS[i % 4]
        value = round(rng.lognormvariate(3.2 + 0.25 * (i % 4), 0.35), 2)
        rows.append([group, value] if grouped else [value])
    columns = [_column("order_value", "decimal", "measure")]
    if grouped:
        columns.insert(0, _column("product", "text", "dimension"))
    return {"columns": columns, "rows": rows}


def parallel_rows() -> dict[str, Any]:
    rng = random.Random(3)
    rows = [
        [
            ["Compact", "Sedan", "SUV"][i % 3],
            round(rng.uniform(12, 40), 1),
            rng.randint(70, 300),
            round(rng.uniform(900, 2600)),
            round(rng.uniform(6, 14), 1),
        ]
        for i in range(45)
    ]
    return {
        "columns": [
            _column("segment", "text", "dimension"),
            _column("mpg", "decimal", "measure"),
            _column("horsepower", "integer", "measure"),
            _column("weight", "integer", "measure"),
            _column("acceleration", "decimal", "measure"),
        ],
        "rows": rows,
    }


def prices(count: int = 60) -> dict[str, Any]:
    rng = random.Random(5)
    rows, close = [], 100.0
    day = date(2024, 3, 1)
    for _ in range(count):
        open_ = close + rng.uniform(-1.5, 1.5)
        close = open_ + rng.uniform(-4, 4)
        high = max(open_, close) + rng.uniform(0, 2.5)
        low = min(open_, close) - rng.uniform(0, 2.5)
        rows.append([day.isoformat(), *(round(v, 2) for v in (open_, high, low, close))])
        day += timedelta(days=1)
    return {
        "columns": [
            _column("day", "date", "dimension"),
            _column("open", "decimal", "measure"),
            _column("high", "decimal", "measure"),
            _column("low", "decimal", "measure"),
            _column("close", "decimal", "measure"),
        ],
        "rows": rows,
    }


def daily(days: int = 365) -> dict[str, Any]:
    rng = random.Random(9)
    start = date(2024, 1, 1)
    rows = [
        [
            (start + timedelta(days=i)).isoformat(),
            rng.randint(0, 20) + (12 if (start + timedelta(days=i)).weekday() < 5 else 0),
        ]
        for i in range(days)
    ]
    return {
        "columns": [_column("day", "date", "dimension"), _column("orders", "integer", "measure")],
        "rows": rows,
    }


def funnel_stages() -> dict[str, Any]:
    stages = [
        ("Visited", 12_000),
        ("Signed up", 4_800),
        ("Activated", 2_900),
        ("Subscribed", 1_150),
        ("Renewed", 860),
    ]
    return {
        "columns": [_column("stage", "text", "dimension"), _column("users", "integer", "measure")],
        "rows": [list(s) for s in stages],
    }


def flows() -> dict[str, Any]:
    links = [
        ("Search", "Landing", 5200),
        ("Ads", "Landing", 3100),
        ("Email", "Pricing", 1400),
        ("Landing", "Pricing", 4300),
        ("Landing", "Left", 4000),
        ("Pricing", "Checkout", 3200),
        ("Pricing", "Left", 2500),
        ("Checkout", "Paid", 2600),
        ("Checkout", "Left", 600),
    ]
    return {
        "columns": [
            _column("from_page", "text", "dimension"),
            _column("to_page", "text", "dimension"),
            _column("visits", "integer", "measure"),
        ],
        "rows": [list(link) for link in links],
    }


def trade() -> dict[str, Any]:
    names = ["Europe", "Asia", "Americas", "Africa", "Oceania"]
    rows = [
        [a, b, 20 + (i * 7 + j * 13) % 60] for i, a in enumerate(names) for j, b in enumerate(names) if a != b
    ]
    return {
        "columns": [
            _column("exporter", "text", "dimension"),
            _column("importer", "text", "dimension"),
            _column("volume", "integer", "measure"),
        ],
        "rows": rows,
    }


def geography() -> dict[str, Any]:
    places = {
        "Europe": ["France", "Germany", "Spain", "Italy"],
        "Asia": ["Japan", "India", "Korea"],
        "Americas": ["USA", "Brazil", "Canada", "Mexico"],
        "Oceania": ["Australia", "New Zealand"],
    }
    rows = [
        [region, country, 200 + (len(country) * 97 + i * 53) % 900]
        for region, countries in places.items()
        for i, country in enumerate(countries)
    ]
    return {
        "columns": [
            _column("region", "text", "dimension"),
            _column("country", "text", "dimension"),
            _column("revenue", "decimal", "measure"),
        ],
        "rows": rows,
    }


def org_chart() -> dict[str, Any]:
    links = [
        ("CEO", "CTO"),
        ("CEO", "CFO"),
        ("CEO", "COO"),
        ("CTO", "Platform"),
        ("CTO", "Data"),
        ("CTO", "Security"),
        ("Data", "Analytics"),
        ("Data", "ML"),
        ("CFO", "Finance"),
        ("CFO", "Legal"),
        ("COO", "Sales"),
        ("COO", "Support"),
        ("Sales", "EMEA"),
        ("Sales", "APAC"),
    ]
    return {
        "columns": [_column("manager", "text", "dimension"), _column("team", "text", "dimension")],
        "rows": [list(link) for link in links],
    }


def kpi_row() -> dict[str, Any]:
    return {
        "columns": [_column("revenue", "decimal", "measure"), _column("target", "decimal", "measure")],
        "rows": [[1_284_500.0, 1_150_000.0]],
    }


def single_value() -> dict[str, Any]:
    return {"columns": [_column("completion", "decimal", "measure")], "rows": [[0.72]]}


def table_rows() -> dict[str, Any]:
    data = by_category_two_measures()
    return {
        "columns": [*data["columns"], _column("updated", "date", "dimension")],
        "rows": [[*row, _months(6)[i]] for i, row in enumerate(data["rows"])],
    }


# Which sample each chart type is shown with, and a title for it.
SAMPLES: dict[str, tuple[str, str]] = {
    "column": ("by_category", "Sales by region"),
    "bar": ("by_category", "Sales by region"),
    "grouped_column": ("by_category_and_series", "Units by region and product"),
    "grouped_bar": ("by_category_and_series", "Units by region and product"),
    "stacked_column": ("by_category_and_series", "Units by region and product"),
    "stacked_bar": ("by_category_and_series", "Units by region and product"),
    "stacked_column_100": ("by_category_and_series", "Product mix by region"),
    "stacked_bar_100": ("by_category_and_series", "Product mix by region"),
    "range_bar": ("ranges", "Temperature range by month"),
    "polar_bar": ("by_category", "Sales by region"),
    "pictorial_bar": ("by_category", "Sales by region"),
    "lollipop": ("by_category", "Sales by region"),
    "dumbbell": ("by_category_two_measures", "Sales: last year vs this year"),
    "radar": ("by_category_many_measures", "How we compare"),
    "line": ("monthly_one_measure", "Monthly revenue"),
    "multi_line": ("monthly", "Revenue and cost"),
    "step_line": ("monthly_one_measure", "Monthly revenue"),
    "smooth_line": ("monthly_one_measure", "Monthly revenue"),
    "area": ("monthly_one_measure", "Monthly revenue"),
    "stacked_area": ("monthly_by_series", "Units by product"),
    "stacked_area_100": ("monthly_by_series", "Product share over time"),
    "combo_bar_line": ("monthly", "Revenue (bars) and cost (line)"),
    "sparkline": ("monthly_one_measure", "Revenue, last 24 months"),
    "theme_river": ("monthly_by_series", "Units by product"),
    "candlestick": ("prices", "Share price"),
    "ohlc": ("prices", "Share price"),
    "pie": ("by_category", "Sales share by region"),
    "donut": ("by_category", "Sales share by region"),
    "half_donut": ("by_category", "Sales share by region"),
    "rose": ("by_category", "Sales by region"),
    "waterfall": ("waterfall_steps", "Revenue bridge"),
    "marimekko": ("by_category_and_series", "Market map: region × product"),
    "histogram": ("raw_values", "Order values"),
    "boxplot": ("raw_values_grouped", "Order value by product"),
    "strip": ("raw_values_grouped", "Order value by product"),
    "calendar_heatmap": ("daily", "Orders per day"),
    "scatter": ("points", "Ad spend vs revenue"),
    "bubble": ("points_sized", "Ad spend vs revenue, sized by staff"),
    "effect_scatter": ("points", "Ad spend vs revenue"),
    "scatter_regression": ("points", "Ad spend vs revenue"),
    "heatmap": ("by_category_and_series", "Units by region and product"),
    "parallel": ("parallel_rows", "Cars compared"),
    "ranked_bar": ("by_category", "Regions by sales"),
    "pareto": ("by_category", "Sales concentration"),
    "slope": ("by_category_two_measures", "Sales: last year → this year"),
    "bump": ("monthly_by_series", "Product rank by month"),
    "sankey": ("flows", "Visitor journeys"),
    "graph": ("flows", "Page links"),
    "chord": ("trade", "Trade between regions"),
    "funnel": ("funnel_stages", "Signup funnel"),
    "treemap": ("geography", "Revenue by region and country"),
    "sunburst": ("geography", "Revenue by region and country"),
    "tree": ("org_chart", "Organisation"),
    "radial_tree": ("org_chart", "Organisation"),
    "kpi": ("kpi_row", "Revenue this quarter"),
    "gauge": ("kpi_row", "Revenue vs target"),
    "progress": ("single_value", "Onboarding completion"),
    "bullet": ("kpi_row", "Revenue vs target"),
    "table": ("table_rows", "Sales by region"),
    "pivot_table": ("by_category_and_series", "Units by region and product"),
}

_DATASETS = {
    "by_category": by_category,
    "by_category_two_measures": by_category_two_measures,
    "by_category_many_measures": by_category_many_measures,
    "by_category_and_series": by_category_and_series,
    "monthly": monthly,
    "monthly_one_measure": monthly_one_measure,
    "monthly_by_series": monthly_by_series,
    "waterfall_steps": waterfall_steps,
    "ranges": ranges,
    "points": points,
    "points_sized": lambda: points(sized=True),
    "raw_values": raw_values,
    "raw_values_grouped": lambda: raw_values(grouped=True),
    "parallel_rows": parallel_rows,
    "prices": prices,
    "daily": daily,
    "funnel_stages": funnel_stages,
    "flows": flows,
    "trade": trade,
    "geography": geography,
    "org_chart": org_chart,
    "kpi_row": kpi_row,
    "single_value": single_value,
    "table_rows": table_rows,
}


def sample_for(chart_type: str) -> tuple[dict[str, Any], str]:
    """(query result, title) that suits `chart_type`; KeyError for a type with no sample."""
    dataset, title = SAMPLES[chart_type]
    return _DATASETS[dataset](), title
