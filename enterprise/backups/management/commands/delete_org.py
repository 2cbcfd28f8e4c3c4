# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Soft-delete an organisation: `manage.py delete_org SLUG` (purged after the grace period)."""

from django.core.management.base import BaseCommand, CommandError

from chat2chart.core.errors import AiserError
from enterprise.backups.deletion import organization_soft_delete
from enterprise.tenants.models import Organization


class Command(BaseCommand):
    help = "Delete an organisation: stop serving it now, purge its data after AISER_DELETED_ORG_GRACE_DAYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options) -> None:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"There is no organisation {slug}.")
        try:
            deletion = organization_soft_delete(organization=organization, actor=None)
        except AiserError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Deleted {slug}; its data is purged after {deletion.purge_after:%Y-%m-%d %H:%M} UTC."
        )
