# SPDX-License-Identifier: MIT
"""The answer stream's typed events: everything a client receives is one of them, their JSON Schema is
served and documented and its checked-in copy is current, and the chat page's config carries the server's
own vocabularies (event names, granularities with `hour`, output names) so the browser never copies them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pydantic
import pytest
from django.core.management import call_command

from chat2chart.conversations import events
from chat2chart.core.principal import Principal

SALES_CSV = (
    "order_date,region,revenue\n"
    "2024-01-15,North,1200\n"
    "2024-02-03,South,400\n"
    "2024-02-17,East,1300\n"
    "2024-03-05,North,1250\n"
)
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "answer-events.schema.json"


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def conversation(alpha: Any, tmp_path: Path) -> dict[str, Any]:
    from chat2chart.sources import services as source_services

    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    with alpha.activate():
        source = source_services.source_create_file(
            name="Sales",
            upload=upload,
            original_name="sales.csv",
            on_bad_rows="error",
            principal=Principal.for_user(alpha.users["owner"]),
        )
        table = source.tables.get(is_current=True).name
    response = alpha.client("viewer").post(
        "/api/v1/conversations/", {"source": source.pk, "table": table}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _streamed(workspace: Any, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = workspace.client("viewer").post(
        url, body, content_type="application/json", HTTP_ACCEPT="text/event-stream"
    )
    assert response.status_code == 200, response.content
    blocks = b"".join(response.streaming_content).decode().strip().split("\n\n")
    return [json.loads(dict(line.split(": ", 1) for line in b.splitlines())["data"]) for b in blocks]


def test_every_streamed_event_is_one_of_the_typed_events(alpha, conversation):
    messages = f"/api/v1/conversations/{conversation['id']}/messages/"
    asked = _streamed(alpha, messages, {"content": "total revenue by region"})
    answer_id = asked[-1]["message_id"]
    switched = _streamed(alpha, f"{messages}{answer_id}/rerun/", {"chart_type": "pie"})
    unclear = _streamed(alpha, messages, {"content": "how happy are our employees"})

    seen = set()
    for event in [*asked, *switched, *unclear]:
        parsed = events.parse_event(event)
        assert events.dump_event(parsed) == event  # nothing lost or added on the way out
        seen.add(event["type"])
    assert {"status", "plan", "sql", "data", "chart", "token", "suggestions", "done", "clarification"} <= seen
    assert [asked[-1]["type"], switched[-1]["type"], unclear[-1]["type"]] == ["done", "done", "done"]


def test_an_event_that_breaks_its_model_is_refused_before_it_is_sent():
    with pytest.raises(pydantic.ValidationError):
        events.StatusEvent(stage="cooking", message_id=1)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError):
        events.parse_event({"type": "token", "text": "x", "secret": "leak"})
    with pytest.raises(pydantic.ValidationError):
        events.parse_event({"type": "telemetry"})


def test_the_event_vocabulary_matches_the_message_model():
    from chat2chart.conversations.models import Message

    assert set(get_args(events.Status)) == set(Message.Status.values)
    assert set(get_args(events.Role)) == set(Message.Role.values)
    assert set(get_args(events.Kind)) == set(Message.Kind.values)
    assert set(events.EVENT_TYPES) >= events.TERMINAL_EVENTS


def test_the_schema_is_served_and_names_every_event(alpha):
    response = alpha.client("viewer").get("/api/v1/conversations/events/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["discriminator"]["mapping"]) == set(events.EVENT_TYPES)
    assert len(schema["oneOf"]) == len(events.EVENT_TYPES)
    assert schema["$defs"]["StatusEvent"]["properties"]["stage"]["enum"] == list(events.STAGES)


def test_the_schema_needs_a_signed_in_member(alpha):
    response = alpha.anonymous_client().get("/api/v1/conversations/events/schema/")
    assert response.status_code in (401, 403)


def test_openapi_documents_the_streamed_events(alpha):
    response = alpha.client("viewer").get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = json.loads(response.content)
    ask = document["paths"]["/api/v1/conversations/{id}/messages/"]["post"]["responses"]
    streamed = ask["200"]["content"]["text/event-stream"]["schema"]
    assert streamed == {"$ref": "#/components/schemas/StreamedAnswerEvent"}
    mapping = document["components"]["schemas"]["StreamedAnswerEvent"]["discriminator"]["mapping"]
    assert set(mapping) == set(events.EVENT_TYPES)
    assert "/api/v1/conversations/events/schema/" in document["paths"]


def test_the_checked_in_schema_is_current():
    from chat2chart.conversations.management.commands.answer_events_schema import schema_text

    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/answer-events.schema.json is stale: run `python manage.py answer_events_schema`"
    )
    call_command("answer_events_schema", "--check")


def _page_config(workspace: Any, path: str) -> dict[str, Any]:
    response = workspace.client("viewer").get(path)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="chat-config"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_the_chat_page_config_carries_the_servers_vocabularies(alpha, conversation):
    from chat2chart.charts.registry import chart_type_ids
    from chat2chart.sources.semantic import AGGREGATIONS, FILTER_OPS, GRANULARITIES

    config = _page_config(alpha, f"/chat/{conversation['id']}/")
    assert config["conversation"] == conversation["id"]
    assert "hour" in config["query"]["granularities"]
    assert config["query"]["granularities"] == list(GRANULARITIES)
    assert config["query"]["aggregations"] == list(AGGREGATIONS)
    assert set(config["query"]["filterOps"]) <= set(FILTER_OPS)
    assert config["events"]["types"] == list(events.EVENT_TYPES)
    assert set(config["events"]["stages"]) == set(get_args(events.Stage))
    ids = [t["id"] for t in config["chartTypes"]]
    assert ids == chart_type_ids()
    assert set(config["editorChartTypes"]) <= set(ids)
    assert config["urls"]["eventSchema"] == "/api/v1/conversations/events/schema/"


def test_an_answer_names_the_output_column_of_each_measure_and_grouping(alpha, conversation):
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        {"content": "total revenue by region"},
        content_type="application/json",
    )
    answer = response.json()
    outputs = answer["query_outputs"]
    # The names are the result's own columns, as the database returned them.
    result_columns = [c["name"] for c in answer["data"]["columns"]]
    assert sorted(outputs["dimensions"] + outputs["measures"]) == sorted(result_columns)
    assert outputs["dimensions"] == ["region"]
