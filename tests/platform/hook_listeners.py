# SPDX-License-Identifier: MIT
"""Hook implementations that tests name in `AISER_HOOK_PLUGINS`, as an operator names a metrics exporter.

Each records what it received in `received`, which the `hook_listeners` fixture empties around a test.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import connection

from chat2chart.core.errors import LimitExceeded

received: list[tuple[str, Any]] = []


def metrics_exporter(event: Any) -> None:
    received.append(("metrics", event))


def second_listener(event: Any) -> None:
    received.append(("second", event))


def broken_exporter(event: Any) -> None:
    received.append(("broken", event))
    raise ConnectionError("metrics endpoint unreachable")


def broken_sql_listener(event: Any) -> None:
    received.append(("broken_sql", event))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_anywhere")


def redacting_listener(event: Any) -> Any:
    received.append(("redacting", event))
    return dataclasses.replace(event, data={"redacted": True})


def allow_everything(name: str, *, workspace: str, amount: int = 1) -> None:
    received.append(("allow", (name, workspace, amount)))


def refuse_questions(name: str, *, workspace: str, amount: int = 1) -> None:
    received.append(("refuse", (name, workspace, amount)))
    if name == "question_asked":
        raise LimitExceeded("This workspace may ask no more questions this month.")
