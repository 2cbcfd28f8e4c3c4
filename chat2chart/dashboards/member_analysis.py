# SPDX-License-Identifier: MIT
"""Analysis widgets (forecast, unusual values, what changed, insight) over a data model's members: the
widget's model query given to the engine through `MemberBridge` (conversations.member_bridge), with the
dashboard's filters and an embed's locked values ANDed into every query the analysis runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from chat2chart.conversations.member_bridge import Answer, MemberBridge
from chat2chart.dashboards.analysis_widgets import analysis_widget
from chat2chart.semantic.model import Model
from chat2chart.semantic.query import ModelQuery
from chat2chart.sources.semantic import Filter


def member_analysis_widget(
    kind: str,
    *,
    model: Model,
    label: str,
    query: ModelQuery,
    answer: Answer,
    extra: list[Filter],
    today: date,
) -> dict[str, Any]:
    """The body of an analysis widget (`kind` one of forecast, anomalies, drivers, insight) over the
    model query `query`, as `analysis_widget` returns it. `label` is the model's name (the insight's
    sentence names it); `answer` runs a model query; the filters in `extra` are ANDed into every query
    the analysis runs. Raises AnalyticsError with the engine's reason."""
    bridge = MemberBridge(model, query, label=label, answer=answer, extra=extra)
    return analysis_widget(kind, bridge.table_query(), run=bridge.run, today=today)
