# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Back one organisation up now: `manage.py backup_org SLUG`."""

from django.core.management.base import BaseCommand, CommandError

from chat2chart.core.errors import AiserError
from enterprise.backups.services import backup_org
from enterprise.tenants.models import Organization


class Command(BaseCommand):
    help = "Write one archive of an organisation (schema, files, signed manifest) and record it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options) -> None:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"There is no organisation {slug}.")
        try:
            backup = backup_org(organization=organization)
        except AiserError as error:
            raise CommandError(error.message) from None
        encrypted = "encrypted, " if backup.encrypted else ""
        self.stdout.write(f"{backup.location} ({encrypted}{backup.size} bytes, sha256 {backup.sha256})")
