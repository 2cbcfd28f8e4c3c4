# SPDX-License-Identifier: MIT
"""Re-encrypt every stored secret (source passwords, REST headers, embedding secrets) with the first key
of AISER_FERNET_KEYS. Run after putting a new key first; then the old keys can be removed."""

from django.core.management.base import BaseCommand, CommandParser

from chat2chart.core import hooks
from chat2chart.dashboards.embedding import embed_secret_reencrypt
from chat2chart.sources.services import source_rotate_secrets


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first Fernet key, in every workspace or the ones named."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workspace", action="append", help="workspace (organisation schema); repeat for several"
        )

    def handle(self, *args, **options) -> None:
        for workspace in options["workspace"] or hooks.list_workspaces():
            with hooks.workspace_context(workspace):
                sources = source_rotate_secrets()
                embedding = embed_secret_reencrypt()
            self.stdout.write(
                f"{workspace}: re-encrypted {sources} source secret(s)"
                f"{' and the embedding secret' if embedding else ''}"
            )
