# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Create an organisation, its schema and host name, and its verified owner."""

from django.core.management.base import BaseCommand, CommandError

from chat2chart.accounts.services import user_ensure_verified
from chat2chart.core.errors import AiserError
from enterprise.tenants.services import organization_create


class Command(BaseCommand):
    help = "Create an organisation with its owner."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)

    def handle(self, *args, slug: str, name: str, owner_email: str, owner_password: str, **options) -> None:
        try:
            owner = user_ensure_verified(email=owner_email, password=owner_password)
            organization = organization_create(name=name, slug=slug, owner=owner)
        except AiserError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"Created {organization.name}: {organization.url}"))
