# SPDX-License-Identifier: MIT
"""Re-encrypt the stored secrets of sources with the first key of AISER_FERNET_KEYS.

Run after putting a new key first; then the old keys can be removed from the setting.
The core cannot list organisations, so each workspace is named (enterprise: the schema name).
"""

from django.core.management.base import BaseCommand, CommandParser

from chat2chart.core import hooks
from chat2chart.sources.services import source_rotate_secrets


class Command(BaseCommand):
    help = "Re-encrypt source passwords and REST headers with the first Fernet key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workspace",
            action="append",
            required=True,
            help="workspace (organisation schema) to rotate; repeat for several",
        )

    def handle(self, *args, **options) -> None:
        for workspace in options["workspace"]:
            with hooks.workspace_context(workspace):
                count = source_rotate_secrets()
            self.stdout.write(f"{workspace}: re-encrypted {count} source secret(s)")
