# SPDX-License-Identifier: MIT
"""Questions for the analytics engine: "forecast sales", "anything unusual?", "how is revenue trending",
"why did revenue fall in March", "what drives high revenue", "which day of the week sells most", "is revenue
concentrated", "what is interesting here?". The planner marks such a plan with its analysis kind and the
engine answers it (see conversations.analysis). No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .timephrases import UNIT_WORDS

# Kinds in the order they are tried: the first whose words are present wins.
_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "forecast",
        frozenset(
            {"forecast", "forecasts", "predict", "prediction", "predictions", "projection", "projected"}
        ),
    ),
    (
        "anomalies",
        frozenset({"anomaly", "anomalies", "unusual", "outlier", "outliers", "abnormal", "spike", "spikes"}),
    ),
    (
        "drivers",
        frozenset(
            {
                "why",
                "cause",
                "caused",
                "causes",
                "reason",
                "reasons",
                "driver",
                "drivers",
                "drove",
                "drive",
                "drives",
                "driving",
                "influence",
                "influences",
                "explain",
                "explains",
            }
        ),
    ),
    ("insights", frozenset({"interesting", "insight", "insights", "stands", "surprising", "notable"})),
    ("concentration", frozenset({"concentrated", "concentration", "pareto"})),
    ("trend", frozenset({"trending", "growing", "declining", "shrinking"})),
)
# "is revenue increasing?", "has revenue been going down": a yes/no question about the direction.
_DIRECTION_WORDS = frozenset(
    {"increasing", "decreasing", "rising", "falling", "improving", "worsening", "dropping", "climbing"}
)
_YES_NO = frozenset({"is", "are", "has", "have", "was", "were"})
# "what drives HIGH revenue": the factors behind large values, not the change of a total.
_LEVEL_WORDS = frozenset({"high", "higher", "low", "lower", "big", "bigger", "large", "larger", "small"})
_CHANGE_WORDS = frozenset(
    {"change", "changed", "fall", "fell", "drop", "dropped", "rise", "rose", "grow", "grew", "increase"}
)
_MOST_WORDS = frozenset({"most", "best", "highest", "least", "worst", "lowest", "busiest", "quietest"})
ANSWERED = frozenset(
    {"forecast", "anomalies", "trend", "drivers", "associations", "cycle", "concentration", "insights"}
)


@dataclass(frozen=True)
class AnalyticsQuestion:
    """What the engine is asked: `kind` is forecast, anomalies, trend, drivers (why a total changed),
    associations (what drives high values), cycle (day-of-week or hour-of-day pattern), concentration
    (Pareto) or insights; `spans` are the positions of its words, set aside from column matching."""

    kind: str
    spans: frozenset[int]
    horizon: int | None = None  # for a forecast: how many `horizon_unit`s ahead ("next 6 months")
    horizon_unit: str | None = None
    cycle: str | None = None  # "day_of_week" or "hour_of_day"


def forecast_horizon(tokens: list[str]) -> tuple[int | None, str | None]:
    """ "next 6 months" -> (6, "month"); "next quarter" -> (1, "quarter"); "forecast 6 months instead" ->
    (6, "month"); nothing said -> (None, None)."""
    for i, token in enumerate(tokens):
        following = tokens[i + 1 : i + 3]
        if token in ("next", "coming", "following"):
            if following and following[0] in UNIT_WORDS:
                return 1, UNIT_WORDS[following[0]]
            if len(following) == 2 and following[0].isdigit() and following[1] in UNIT_WORDS:
                return int(following[0]), UNIT_WORDS[following[1]]
        elif token.isdigit() and following and following[0] in UNIT_WORDS and 0 < int(token) <= 400:
            return int(token), UNIT_WORDS[following[0]]
    return None, None


def _cycle(tokens: list[str]) -> tuple[str, frozenset[int]] | None:
    """ "which day of the week sells most", "busiest hour of the day": the cycle asked about."""
    if not (set(tokens) & _MOST_WORDS) or not ({"which", "what", "when"} & set(tokens)):
        return None
    phrases = {("day", "week"): "day_of_week", ("hour", "day"): "hour_of_day"}
    for i, word in enumerate(tokens):
        if word in ("weekday", "weekdays"):
            return "day_of_week", frozenset({i})
        if tokens[i + 1 : i + 2] != ["of"]:
            continue
        rest = [t for t in tokens[i + 2 : i + 4] if t != "the"]
        cycle = phrases.get((word, rest[0] if rest else ""))
        if cycle is not None:
            return cycle, frozenset(range(i, i + 4))
    return None


def read_analytics_question(tokens: list[str]) -> AnalyticsQuestion | None:
    """The analytics question the words ask, or None; `spans` are the positions of its words."""
    cycle = _cycle(tokens)
    if cycle is not None:
        return AnalyticsQuestion("cycle", cycle[1], cycle=cycle[0])
    for kind, words in _KINDS:
        spans = frozenset(i for i, token in enumerate(tokens) if token in words)
        if not spans:
            continue
        if kind == "insights" and "stands" in tokens and "out" not in tokens:
            continue
        if kind == "forecast":
            horizon, unit = forecast_horizon(tokens)
            return AnalyticsQuestion(kind, spans, horizon, unit)
        if kind == "drivers" and set(tokens) & _LEVEL_WORDS and not set(tokens) & _CHANGE_WORDS:
            level = frozenset(i for i, t in enumerate(tokens) if t in _LEVEL_WORDS)
            return AnalyticsQuestion("associations", spans | level)
        if kind == "drivers":
            changed = frozenset(i for i, t in enumerate(tokens) if t in _CHANGE_WORDS)
            return AnalyticsQuestion(kind, spans | changed)
        return AnalyticsQuestion(kind, spans)
    if tokens[:1] and tokens[0] in _YES_NO:
        spans = frozenset(i for i, t in enumerate(tokens) if t in _DIRECTION_WORDS)
        if spans:
            return AnalyticsQuestion("trend", spans)
    if "going" in tokens and {"up", "down"} & set(tokens[tokens.index("going") :]):
        start = tokens.index("going")
        return AnalyticsQuestion("trend", frozenset({start, start + 1}))
    return None
