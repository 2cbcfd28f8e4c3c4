# SPDX-License-Identifier: MIT
"""The planner's results: a Plan to draw, or a Clarification to ask, and the turns of a conversation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chat2chart.sources.semantic import SemanticQuery

Intent = Literal["trend", "comparison", "composition", "distribution", "relationship", "ranking", "lookup"]
INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]


class Usage(BaseModel):
    """What an LLM call cost; zeros for the rule planner."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Plan(BaseModel):
    """A question understood: the query to run and how to draw its answer."""

    model_config = ConfigDict(frozen=True)

    intent: Intent
    query: SemanticQuery
    chart_type: str
    chart_options: dict[str, Any] = Field(default_factory=dict)
    # Result column names per chart slot (the chart spec's encoding), and what it has no slot for:
    # {"facet": column} for small multiples, {"weight": "count", "bins"/"bin_width": n} for histograms.
    encoding: dict[str, Any] = Field(default_factory=dict)
    hints: dict[str, Any] = Field(default_factory=dict)
    explanation: str
    # The chart's title, from what was computed (measures, grouping, period); "" for plans made elsewhere.
    title: str = ""
    # An analysis the analytics engine runs on the answer (the measure over time), when one was asked for.
    analysis: (
        Literal[
            "forecast", "anomalies", "trend", "drivers", "associations", "cycle", "concentration", "insights"
        ]
        | None
    ) = None
    # What the analysis needs beyond the query: the period a "why" question names (a Filter's JSON), the
    # dimensions to break a change down by, the cycle ("day_of_week"), the dimension of a concentration.
    analysis_options: dict[str, Any] = Field(default_factory=dict)
    # How far ahead a forecast looks: `horizon` periods of `horizon_unit` ("next quarter": 1 quarter).
    horizon: int | None = None
    horizon_unit: str | None = None
    alternatives: list[str] = Field(default_factory=list)
    planner: str = "rules"
    fallback_reason: str | None = None
    usage: Usage | None = None


class Clarification(BaseModel):
    """A question that could not be grounded in the table: ask rather than draw a wrong chart."""

    model_config = ConfigDict(frozen=True)

    message: str
    suggestions: list[str] = Field(default_factory=list)
    planner: str = "rules"
    fallback_reason: str | None = None
    usage: Usage | None = None


class PlanTurn(BaseModel):
    """One earlier question of the conversation and the plan that answered it."""

    model_config = ConfigDict(frozen=True)

    question: str
    plan: Plan
