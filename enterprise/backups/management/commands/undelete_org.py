# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Bring a deleted organisation back within its grace period: `manage.py undelete_org SLUG`."""

from django.core.management.base import BaseCommand, CommandError

from chat2chart.core.errors import AiserError
from enterprise.backups.deletion import organization_undelete


class Command(BaseCommand):
    help = "Undo the deletion of an organisation that has not been purged yet."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options) -> None:
        try:
            organization = organization_undelete(slug=slug)
        except AiserError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Restored {slug}: {organization.url}")
