# SPDX-License-Identifier: MIT
"""Questions for the analytics engine ("why did revenue drop", "forecast sales", "anything unusual?",
"what is interesting here?") that the planner must not answer with an unrelated chart.

Until the engine answers them, the plan shows the closest useful chart (the measure over time) and says
plainly, first thing in its explanation, that the question itself is not answered yet. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass

_KINDS: tuple[tuple[str, frozenset[str], str], ...] = (
    (
        "forecast",
        frozenset(
            {"forecast", "forecasts", "predict", "prediction", "predictions", "projection", "projected"}
        ),
        "Not yet: Aiser cannot forecast yet. Closest chart, the history so far:",
    ),
    (
        "anomalies",
        frozenset({"anomaly", "anomalies", "unusual", "outlier", "outliers", "abnormal", "spike", "spikes"}),
        "Not yet: Aiser cannot flag unusual values yet. Closest chart, to look for them yourself:",
    ),
    (
        "drivers",
        frozenset({"why", "cause", "caused", "causes", "reason", "reasons", "driver", "drivers", "explain"}),
        "Not yet: Aiser cannot explain why a number changed yet. Closest chart, showing the change:",
    ),
    (
        "insights",
        frozenset({"interesting", "insight", "insights", "stands", "surprising", "notable"}),
        "Not yet: Aiser cannot pick out what is interesting yet. Closest chart:",
    ),
)


@dataclass(frozen=True)
class AnalyticsQuestion:
    kind: str  # forecast, anomalies, drivers, insights
    notice: str
    spans: frozenset[int]


def read_analytics_question(tokens: list[str]) -> AnalyticsQuestion | None:
    """The analytics question the words ask, or None; `spans` are the positions of its words."""
    for kind, words, notice in _KINDS:
        spans = frozenset(i for i, token in enumerate(tokens) if token in words)
        if not spans:
            continue
        if kind == "insights" and "stands" in tokens and "out" not in tokens:
            continue
        return AnalyticsQuestion(kind, notice, spans)
    return None
