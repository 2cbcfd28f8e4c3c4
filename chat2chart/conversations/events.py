# SPDX-License-Identifier: MIT
"""The events of the answer stream, one typed model each, checked on their way to the browser.

The pipeline builds every event as one of these models; `dump_event` validates it against the
`AnswerEvent` union and gives the JSON form that the websocket, Server-Sent Events and `on_event`
callers receive. `event_json_schema()` is the union's JSON Schema: served at
`/api/v1/conversations/events/schema/`, checked in as `docs/answer-events.schema.json`, and the page's
config carries the event names from here, so browser and server cannot drift apart.

Order of one answer: status, plan (or clarification), status, sql, data, status, chart, token…,
suggestions, then exactly one terminal event: done | error | cancelled. A websocket connection begins
with history. A question asked elsewhere (another tab or node, the HTTP API) reaches the conversation's
other websockets as a `question` event before its answer's events (broadcast.py).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter

# The JSON form of an event: what `dump_event` returns and the transports send.
EventJSON: TypeAlias = dict[str, Any]

Stage = Literal["planning", "querying", "rendering"]
Role = Literal["user", "assistant"]
Kind = Literal["question", "answer", "clarification"]
Status = Literal["pending", "running", "done", "error", "cancelled"]

STAGES: tuple[str, ...] = get_args(Stage)
ROLES: tuple[str, ...] = get_args(Role)  # named apart from a member's role in the OpenAPI document
TERMINAL_EVENTS = frozenset({"done", "error", "cancelled"})


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Body(BaseModel):
    # Bodies of messages and conversations may gain fields before this module learns of them.
    model_config = ConfigDict(extra="allow")


# --- what a message looks like to clients ------------------------------------------------------------


class ResultColumn(_Body):
    """One column of a query result: its output name, type and role (measure or dimension)."""

    name: str
    type: str | None = None
    role: str | None = None


class ResultData(_Body):
    """The first rows of a result (`truncated` when there are more than shown)."""

    columns: list[ResultColumn]
    rows: list[list[Any]]
    row_count: int
    truncated: bool


class ChartBody(_Body):
    type: str | None
    option: dict[str, Any]
    spec: dict[str, Any] | None
    alternatives: list[str]


class QueryOutputs(_Body):
    """The output column name of each measure and grouping of the query, in the query's order, so a
    client never derives a name (aliases, `sum` keeping the field's name, granularity suffixes)."""

    measures: list[str]
    dimensions: list[str]


class UsageBody(_Body):
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: int


class MessageBody(_Body):
    """A message as the API, the websocket and Server-Sent Events show it; answers add the rest."""

    id: int
    conversation: int
    role: Role
    kind: Kind
    status: Status
    content: str
    error: str
    reply_to: int | None
    rerun_of: int | None
    created_at: str | None
    question: str | None = None
    # The answer's chart title (from what was computed), what a saved chart of it is called by default.
    title: str | None = None
    explanation: str | None = None
    intent: str | None = None
    planner: str | None = None
    fallback_reason: str | None = None
    query: dict[str, Any] | None = None
    query_outputs: QueryOutputs | None = None
    sql: str | None = None
    data: ResultData | None = None
    chart: ChartBody | None = None
    narrative: str | None = None
    suggestions: list[str] | None = None
    clarification: dict[str, Any] | None = None
    usage: UsageBody | None = None


class ConversationBody(_Body):
    id: int
    title: str
    source: int
    source_name: str
    table: str
    owner: int | None
    created_at: str
    updated_at: str


# --- the events --------------------------------------------------------------------------------------


class HistoryEvent(_Event):
    """First on a websocket: the conversation and its messages so far."""

    type: Literal["history"] = "history"
    conversation: ConversationBody
    messages: list[MessageBody]


class StatusEvent(_Event):
    """The answer moved to a new stage; `message_id` is the assistant message being made."""

    type: Literal["status"] = "status"
    stage: Stage
    message_id: int


class PlanEvent(_Event):
    """How the question was read: the semantic query and the chart chosen for it."""

    type: Literal["plan"] = "plan"
    explanation: str
    intent: str | None
    chart_type: str
    planner: str
    fallback_reason: str
    query: dict[str, Any]


class ClarificationEvent(_Event):
    """The question could not be grounded in the table: a question back, with suggestions."""

    type: Literal["clarification"] = "clarification"
    message: str
    suggestions: list[str]


class SqlEvent(_Event):
    type: Literal["sql"] = "sql"
    sql: str


class DataEvent(_Event):
    """The first rows of the result (see ResultData)."""

    type: Literal["data"] = "data"
    columns: list[ResultColumn]
    rows: list[list[Any]]
    row_count: int
    truncated: bool


class ChartEvent(_Event):
    """The chart drawn: its type, ECharts option, spec and the other types that fit the result."""

    type: Literal["chart"] = "chart"
    chart_type: str
    option: dict[str, Any]
    spec: dict[str, Any]
    alternatives: list[str]


class TokenEvent(_Event):
    """The next piece of the narrative (a word with its trailing space)."""

    type: Literal["token"] = "token"
    text: str


class SuggestionsEvent(_Event):
    type: Literal["suggestions"] = "suggestions"
    suggestions: list[str]


class DoneEvent(_Event):
    type: Literal["done"] = "done"
    message_id: int
    message: MessageBody


class ErrorEvent(_Event):
    """A message the user can act on, never a stack trace. `message_id` is null when the error came
    before an answer was started (refused, busy, invalid request)."""

    type: Literal["error"] = "error"
    code: str
    message: str
    message_id: int | None = None


class QuestionEvent(_Event):
    """A question asked in the conversation by another connection (another tab or node, the HTTP API):
    sent to the conversation's websockets before its answer's events; `message` is the saved question
    and `message_id` the id of the answer being made for it."""

    type: Literal["question"] = "question"
    message_id: int
    message: MessageBody


class CancelledEvent(_Event):
    type: Literal["cancelled"] = "cancelled"
    message_id: int
    message: MessageBody


# Any one event model (for type hints); `AnswerEvent` is the same union discriminated by `type`.
EventModel: TypeAlias = (
    HistoryEvent
    | StatusEvent
    | PlanEvent
    | ClarificationEvent
    | SqlEvent
    | DataEvent
    | ChartEvent
    | TokenEvent
    | SuggestionsEvent
    | DoneEvent
    | ErrorEvent
    | CancelledEvent
    | QuestionEvent
)
AnswerEvent = Annotated[EventModel, Field(discriminator="type")]
EVENT_MODELS: tuple[type[_Event], ...] = get_args(EventModel)


class StreamedAnswerEvent(RootModel[AnswerEvent]):
    """One event of the answer stream, for the OpenAPI description of the streaming endpoints."""


EVENT_TYPES: tuple[str, ...] = tuple(get_args(m.model_fields["type"].annotation)[0] for m in EVENT_MODELS)


@cache
def _adapter() -> TypeAdapter[Any]:
    # Built on first use, not at import.
    return TypeAdapter(AnswerEvent)


def dump_event(event: EventModel) -> EventJSON:
    """The event's JSON form: `type` first, then the fields it was built with (a body's fields left
    out stay out, so a question's body carries no answer fields).

    The model checked the values when it was built; raises TypeError for anything that is not one of
    the answer events (a programming error).
    """
    if not isinstance(event, EVENT_MODELS):
        raise TypeError(f"{type(event).__name__} is not an answer event")
    return {"type": event.type, **event.model_dump(mode="json", exclude_unset=True)}


def parse_event(data: Any) -> EventModel:
    """The event model for a JSON event (a client's or a test's view); raises pydantic.ValidationError."""
    event: EventModel = _adapter().validate_python(data)
    return event


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of one answer event (a `oneOf` discriminated by `type`)."""
    schema: dict[str, Any] = _adapter().json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "AnswerEvent",
        "description": (__doc__ or "").strip().splitlines()[0],
        **schema,
    }
