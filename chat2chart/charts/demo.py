# SPDX-License-Identifier: MIT
"""Demo charts on the sample sources (chat2chart.sources.demo): a few saved charts a new workspace can open.

Idempotent: a chart whose title already exists is left alone. A sample source that is missing or not
ready is skipped with a log line, as is a chart whose columns the source no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chat2chart.charts import services
from chat2chart.charts.models import SavedChart
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.models import Source

SALES = "Sample: sales orders"
TRAFFIC = "Sample: web traffic"
CUSTOMERS = "Sample: customers"


@dataclass(frozen=True)
class DemoChart:
    title: str
    description: str
    source: str  # the sample source's name
    spec: dict[str, Any]
    query: dict[str, Any]  # a semantic query without `source` and `table`, which are looked up


DEMO_CHARTS: tuple[DemoChart, ...] = (
    DemoChart(
        "Revenue by month",
        "Monthly revenue over the last two years.",
        SALES,
        {
            "type": "area",
            "encoding": {"x": "order_date_month", "y": ["revenue"]},
            "options": {"number_format": "$0.0a"},
        },
        {
            "dimensions": [{"field": "order_date", "granularity": "month"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
            "order": [{"field": "order_date_month"}],
        },
    ),
    DemoChart(
        "Revenue by region",
        "Where revenue comes from.",
        SALES,
        {
            "type": "ranked_bar",
            "encoding": {"x": "region", "y": ["revenue"]},
            "options": {"number_format": "$0.0a"},
        },
        {
            "dimensions": [{"field": "region"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
            "order": [{"field": "revenue", "dir": "desc"}],
        },
    ),
    DemoChart(
        "Revenue by category and channel",
        "Each product category's revenue, split by sales channel.",
        SALES,
        {
            "type": "stacked_column",
            "encoding": {"x": "category", "series": "channel", "y": ["revenue"]},
            "options": {"number_format": "$0.0a"},
        },
        {
            "dimensions": [{"field": "category"}, {"field": "channel"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
            "order": [{"field": "category"}],
        },
    ),
    DemoChart(
        "Weekly visits and sign-ups",
        "Site visits (bars) and sign-ups (line, right axis) per week.",
        TRAFFIC,
        {"type": "combo_bar_line", "encoding": {"x": "date_week", "y": ["visits", "signups"]}},
        {
            "dimensions": [{"field": "date", "granularity": "week"}],
            "measures": [{"field": "visits", "agg": "sum"}, {"field": "signups", "agg": "sum"}],
            "order": [{"field": "date_week"}],
        },
    ),
    DemoChart(
        "Customers by segment",
        "How many customers each segment has.",
        CUSTOMERS,
        {"type": "donut", "encoding": {"label": "segment", "value": "customers"}},
        {"dimensions": [{"field": "segment"}], "measures": [{"agg": "count", "alias": "customers"}]},
    ),
)


def _ready_source(name: str) -> tuple[Source, str] | None:
    """The ready sample source called `name` and its (single) table."""
    source = Source.objects.filter(name=name, status=Source.Status.READY).first()
    tables = source_selectors.source_tables(source) if source is not None else []
    if source is None or not tables:
        return None
    return source, tables[0].name


def seed_demo_content(*, owner: Any, log: Callable[[str], Any] = print) -> None:
    existing = set(SavedChart.objects.values_list("title", flat=True))
    for chart in DEMO_CHARTS:
        if chart.title in existing:
            continue
        found = _ready_source(chart.source)
        if found is None:
            log(f"Demo chart '{chart.title}' skipped: the sample source '{chart.source}' is not ready.")
            continue
        source, table = found
        try:
            services.chart_create(
                principal=Principal.for_user(owner),
                title=chart.title,
                description=chart.description,
                spec=chart.spec,
                query={**chart.query, "source": source.pk, "table": table},
            )
        except AiserError as error:
            log(f"Demo chart '{chart.title}' skipped: {error.message}")
            continue
        log(f"Demo chart '{chart.title}' created.")
