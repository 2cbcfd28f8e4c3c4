# SPDX-License-Identifier: MIT
"""Refresh the database and REST sources of a workspace whose refresh interval has passed."""

from django.core.management.base import BaseCommand, CommandParser

from chat2chart.core import hooks
from chat2chart.sources.services import refresh_due_sources_in_workspace


class Command(BaseCommand):
    help = "Refresh due database and REST sources of the named workspace(s)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workspace",
            action="append",
            required=True,
            help="workspace (organisation schema) to refresh; repeat for several",
        )

    def handle(self, *args, **options) -> None:
        for workspace in options["workspace"]:
            with hooks.workspace_context(workspace):
                refreshed = refresh_due_sources_in_workspace()
            self.stdout.write(f"{workspace}: refreshed {len(refreshed)} source(s)")
