# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Enterprise edition: the organisation `demo`, its owner and the sample data, idempotently."""

from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from chat2chart.accounts.services import user_ensure_verified
from chat2chart.core.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_workspace
from enterprise.tenants.models import Membership, Organization, Role
from enterprise.tenants.services import organization_create

DEMO_SLUG = "demo"


class Command(BaseCommand):
    help = "Create the demo organisation, its owner and sample data (safe to run again)."

    def handle(self, *args, **options) -> None:
        owner = user_ensure_verified(email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo")
        organization = Organization.objects.filter(slug=DEMO_SLUG).first()
        if organization is None:
            organization = organization_create(name="Demo", slug=DEMO_SLUG, owner=owner)
            self.stdout.write(f"Created organisation {organization.url}")
        Membership.objects.get_or_create(user=owner, organization=organization, defaults={"role": Role.OWNER})
        with tenant_context(organization):
            seed_workspace(owner=owner, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready at {organization.url}: sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        )
