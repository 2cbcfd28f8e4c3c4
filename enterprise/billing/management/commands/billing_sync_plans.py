# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Create or update the Stripe products and prices of the paid plans: `manage.py billing_sync_plans`."""

from django.core.management.base import BaseCommand, CommandError

from chat2chart.core.errors import AiserError
from enterprise.billing.catalog import plans_sync

SAID = {"in_sync": "in sync", "created": "created", "repriced": "new price (the amount changed)"}


class Command(BaseCommand):
    help = "Make each paid plan a Stripe product with a monthly price at its amount, and link the plan to it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")

    def handle(self, *args, dry_run: bool, **options) -> None:
        try:
            results = plans_sync(dry_run=dry_run)
        except AiserError as error:
            raise CommandError(error.message) from None
        for result in results:
            self.stdout.write(f"{result.plan}: {result.price_id} — {SAID[result.outcome]}")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
