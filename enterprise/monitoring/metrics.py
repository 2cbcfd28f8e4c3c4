# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Aiser's own Prometheus metrics and the hook listeners that update them.

The core reports through `chat2chart.core.hooks`: `observe` (the "metrics" chain: durations, refusals,
levels) and `record_usage` (the "usage" chain: questions, rows ingested). Labels are a few fixed words
each: every value is checked against a known set and anything else becomes "other", so a label can
never carry an organisation, a person, a file name or an id. Per-organisation usage is billing's, in
the database (enterprise.billing), never a label here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

from chat2chart.core.hooks import Observation, UsageEvent

OTHER = "other"
# Seconds: from a cached answer (milliseconds) to a slow model or a big file (minutes).
_FAST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_SLOW_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

QUESTIONS = Counter("aiser_questions", "Questions answered, by planner and outcome.", ["planner", "outcome"])
QUESTION_SECONDS = Histogram(
    "aiser_question_duration_seconds", "Time to answer a question.", ["planner"], buckets=_SLOW_BUCKETS
)
QUERY_SECONDS = Histogram(
    "aiser_query_duration_seconds",
    "Time to answer a query, by source kind, result cache and rollup.",
    ["source_kind", "cache", "rollup"],
    buckets=_FAST_BUCKETS,
)
ROWS_INGESTED = Counter("aiser_rows_ingested", "Rows stored by file, REST and refresh ingests.")
INGEST_SECONDS = Histogram(
    "aiser_ingest_duration_seconds", "Time to read a file into tables.", ["outcome"], buckets=_SLOW_BUCKETS
)
LLM_CALLS = Counter("aiser_llm_calls", "Language model calls.", ["model", "purpose", "outcome"])
LLM_SECONDS = Histogram(
    "aiser_llm_call_duration_seconds",
    "Time of one language model call.",
    ["model", "purpose"],
    buckets=_SLOW_BUCKETS,
)
LLM_TOKENS = Counter("aiser_llm_tokens", "Language model tokens spent on questions.", ["model", "type"])
LLM_COST = Counter("aiser_llm_cost_usd", "Language model spend on questions, in US dollars.", ["model"])
# livesum: a worker that exits takes its open connections with it (gunicorn's child_exit hook).
WEBSOCKETS = Gauge("aiser_websocket_connections", "Websocket connections open.", multiprocess_mode="livesum")
CELERY_SECONDS = Histogram(
    "aiser_celery_task_duration_seconds", "Time a Celery task ran.", ["task"], buckets=_SLOW_BUCKETS
)
CELERY_TASKS = Counter("aiser_celery_tasks", "Celery tasks finished, by outcome.", ["task", "outcome"])
EMBED_VIEWS = Counter("aiser_embed_views", "Embedded and public dashboard pages shown.", ["kind"])
RATE_LIMITED = Counter("aiser_rate_limited_requests", "Requests refused for their rate.", ["scope"])
LIMIT_REFUSALS = Counter("aiser_plan_limit_refusals", "Work refused by a plan limit.", ["limit"])
SOURCE_QUERY_FAILURES = Counter(
    "aiser_source_query_failures",
    "Queries on customers' databases that failed (the connection dropped, a timeout, memory, other).",
    ["source_kind", "reason"],
)
TASK_QUEUE_UNAVAILABLE = Counter(
    "aiser_task_queue_unavailable", "Tasks not queued: the broker was unreachable.", ["task"]
)

PLANNERS = frozenset({"rules", "llm", "model", "sql", "edited"})
SOURCE_KINDS = frozenset({"file", "rest", "postgres", "mysql"})
OUTCOMES = frozenset({"ok", "timeout", "error"})
_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")  # a word the code chose, e.g. a limit or task name


def word(value: object, allowed: Iterable[str] | None = None) -> str:
    """`value` as a label value when it is one of `allowed` (or, without `allowed`, a short lower-case
    code word such as "question_asked"); otherwise "other"."""
    text = str(value or "")
    if allowed is not None:
        return text if text in allowed else OTHER
    return text if _NAME.match(text) else OTHER


def model_word(model: str) -> str:
    """A model name as a label: only the platform's configured models (AISER_LLM_MODEL and
    AISER_LLM_ALLOWED_MODELS) are named, so the set stays the operator's."""
    configured = [settings.AISER_LLM_MODEL, *settings.AISER_LLM_ALLOWED_MODELS]
    return word(model, {name for name in configured if name})


def planner_word(planner: str) -> str:
    """ "llm:gpt-4o-mini" → "llm"; the rule, model, SQL and edited planners by name."""
    return word(planner.split(":", 1)[0], PLANNERS)


def question_outcome(*, status: str, kind: str, fell_back: bool) -> str:
    """answered, fell_back (the LLM failed and the rules answered), refused (a clarifying question
    instead of a chart), failed or cancelled."""
    if status == "error":
        return "failed"
    if status == "cancelled":
        return "cancelled"
    if kind == "clarification":
        return "refused"
    return "fell_back" if fell_back else "answered"


# --- hook listeners ----------------------------------------------------------------------------------


def _query(value: float, labels: dict[str, str]) -> None:
    QUERY_SECONDS.labels(
        source_kind=word(labels.get("source_kind"), SOURCE_KINDS),
        cache=word(labels.get("cache"), {"hit", "miss"}),
        rollup=word(labels.get("rollup"), {"yes", "no"}),
    ).observe(value)


def _ingest(value: float, labels: dict[str, str]) -> None:
    INGEST_SECONDS.labels(outcome=word(labels.get("outcome"), OUTCOMES)).observe(value)


def _llm_call(value: float, labels: dict[str, str]) -> None:
    model = model_word(labels.get("model", ""))
    purpose = word(labels.get("purpose"), {"plan", "reword"})
    LLM_CALLS.labels(model=model, purpose=purpose, outcome=word(labels.get("outcome"), OUTCOMES)).inc()
    LLM_SECONDS.labels(model=model, purpose=purpose).observe(value)


_OBSERVERS: dict[str, Callable[[float, dict[str, str]], None]] = {
    "query_seconds": _query,
    "ingest_seconds": _ingest,
    "llm_call_seconds": _llm_call,
    "embed_view": lambda value, labels: EMBED_VIEWS.labels(
        kind=word(labels.get("kind"), {"embed", "public"})
    ).inc(value),
    "rate_limited": lambda value, labels: RATE_LIMITED.labels(scope=word(labels.get("scope"))).inc(value),
    "limit_refused": lambda value, labels: LIMIT_REFUSALS.labels(limit=word(labels.get("limit"))).inc(value),
    "source_query_failed": lambda value, labels: SOURCE_QUERY_FAILURES.labels(
        source_kind=word(labels.get("source_kind"), SOURCE_KINDS),
        reason=word(labels.get("reason"), {"connection_lost", "query_timeout", "out_of_memory", "error"}),
    ).inc(value),
    "task_queue_unavailable": lambda value, labels: TASK_QUEUE_UNAVAILABLE.labels(
        task=word(labels.get("task"))
    ).inc(value),
}


def observation_record(observation: Observation) -> None:
    """The "metrics" hook listener: update the metric `observation.name` stands for. Names this
    exporter does not know are ignored (a newer core may measure more than it exports)."""
    update = _OBSERVERS.get(observation.name)
    if update is not None:
        update(observation.value, observation.labels or {})


def usage_observe(event: UsageEvent) -> None:
    """The "usage" hook listener: questions (planner, outcome, latency, tokens and spend) and rows
    ingested. The event's workspace is dropped here: per-organisation counts are billing's."""
    if event.name == "rows_ingested":
        ROWS_INGESTED.inc(event.quantity)
    elif event.name == "question_asked":
        _question(event.data or {})


def _question(data: dict[str, Any]) -> None:
    raw_planner = str(data.get("planner") or "")
    planner = planner_word(raw_planner)
    outcome = question_outcome(
        status=str(data.get("status", "")),
        kind=str(data.get("kind", "")),
        fell_back=bool(data.get("fell_back")),
    )
    QUESTIONS.labels(planner=planner, outcome=outcome).inc()
    if "latency_s" in data:
        QUESTION_SECONDS.labels(planner=planner).observe(float(data["latency_s"]))
    prompt, completion = int(data.get("prompt_tokens") or 0), int(data.get("completion_tokens") or 0)
    if not prompt and not completion:
        return
    # The model that answered; a fallback's tokens were spent on a model whose plan was not used.
    model = model_word(raw_planner.split(":", 1)[1]) if raw_planner.startswith("llm:") else "unknown"
    LLM_TOKENS.labels(model=model, type="prompt").inc(prompt)
    LLM_TOKENS.labels(model=model, type="completion").inc(completion)
    LLM_COST.labels(model=model).inc(float(data.get("cost_usd") or 0))
