# SPDX-License-Identifier: MIT
"""Write the answer events' JSON Schema to docs/answer-events.schema.json (or `--check` it is current)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat2chart.conversations.events import event_json_schema

SCHEMA_FILE = Path("docs") / "answer-events.schema.json"


def schema_text() -> str:
    """The schema as checked in: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(event_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write docs/answer-events.schema.json from the answer event models, or --check it is current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the file is not current")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / SCHEMA_FILE
        text = schema_text()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{SCHEMA_FILE} is stale: run `manage.py answer_events_schema`.")
            self.stdout.write(f"{SCHEMA_FILE} is current.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {SCHEMA_FILE}")
