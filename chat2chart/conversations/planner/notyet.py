# SPDX-License-Identifier: MIT
"""Questions for the analytics engine ("why did revenue drop", "forecast sales", "anything unusual?",
"what is interesting here?") that the planner must not answer with an unrelated chart.

Until the engine answers them, the plan shows the closest useful chart (the measure over time) and says
plainly, first thing in its explanation, that the question itself is not answered yet. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .timephrases import UNIT_WORDS

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


# Kinds the analytics engine answers in chat; the others still get the labelled closest chart.
ANSWERED = frozenset({"forecast", "anomalies"})


@dataclass(frozen=True)
class AnalyticsQuestion:
    kind: str  # forecast, anomalies, drivers, insights
    notice: str
    spans: frozenset[int]
    horizon: int | None = None  # for a forecast: how many `horizon_unit`s ahead ("next 6 months")
    horizon_unit: str | None = None


def forecast_horizon(tokens: list[str]) -> tuple[int | None, str | None]:
    """ "next 6 months" -> (6, "month"); "next quarter" -> (1, "quarter"); nothing said -> (None, None)."""
    for i, token in enumerate(tokens):
        if token not in ("next", "coming", "following"):
            continue
        following = tokens[i + 1 : i + 3]
        if following and following[0] in UNIT_WORDS:
            return 1, UNIT_WORDS[following[0]]
        if len(following) == 2 and following[0].isdigit() and following[1] in UNIT_WORDS:
            return int(following[0]), UNIT_WORDS[following[1]]
    return None, None


def read_analytics_question(tokens: list[str]) -> AnalyticsQuestion | None:
    """The analytics question the words ask, or None; `spans` are the positions of its words."""
    for kind, words, notice in _KINDS:
        spans = frozenset(i for i, token in enumerate(tokens) if token in words)
        if not spans:
            continue
        if kind == "insights" and "stands" in tokens and "out" not in tokens:
            continue
        if kind == "forecast":
            horizon, unit = forecast_horizon(tokens)
            return AnalyticsQuestion(kind, notice, spans, horizon, unit)
        return AnalyticsQuestion(kind, notice, spans)
    return None
