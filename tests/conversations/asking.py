# SPDX-License-Identifier: MIT
"""Asking questions the way a user does: a CSV uploaded through the sources API, a conversation started on
its table, questions posted to the conversations API. Imported by the answer tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from typing import Any

import time_machine

from tests.sources.fixtures_api import upload_source


def conversation_on(
    client: Any, csv: str, *, file_name: str, at: datetime | None = None
) -> Callable[[str], dict]:
    """Upload `csv` as `file_name`, start a conversation on its table, and return `ask(question)` giving
    the finished answer's JSON (asked at `at` when given, so "last month" means a fixed month)."""
    uploaded = upload_source(client, csv, file_name=file_name)
    assert uploaded.status_code == 201, uploaded.content
    table = file_name.rsplit(".", 1)[0]
    created = client.post(
        "/api/v1/conversations/",
        {"source": uploaded.json()["id"], "table": table},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    conversation_id = created.json()["id"]

    def ask(question: str) -> dict:
        clock = time_machine.travel(at, tick=False) if at is not None else nullcontext()
        with clock:
            response = client.post(
                f"/api/v1/conversations/{conversation_id}/messages/",
                {"content": question},
                content_type="application/json",
            )
        assert response.status_code == 201, response.content
        answer = response.json()
        assert answer["status"] == "done", answer
        return answer

    return ask
