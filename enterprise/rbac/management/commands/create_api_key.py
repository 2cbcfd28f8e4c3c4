# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Create an API key for a member; the key is printed alone on the last line."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from chat2chart.accounts.models import User
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from enterprise.rbac.services import api_key_create
from enterprise.tenants.models import Organization, Role


class Command(BaseCommand):
    help = "Create an API key. The key is shown once, on the last line of the output."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--email", required=True, help="the member the key acts for")
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", default=Role.VIEWER, choices=Role.values)

    def handle(self, *args, org: str, email: str, name: str, role: str, **options) -> None:
        organization = Organization.objects.filter(slug=org).exclude(schema_name="public").first()
        if organization is None:
            raise CommandError(f"No organisation {org!r}.")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user {email!r}.")
        try:
            with schema_context(organization.schema_name):
                created = api_key_create(
                    organization=organization, principal=Principal.for_user(user), name=name, role=role
                )
        except AiserError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Created key {created.api_key.name!r} ({role}) for {email} in {org}.")
        self.stdout.write(created.raw_key)
