# SPDX-License-Identifier: MIT
"""Core edition: the demo user and the sample datasets, idempotently."""

from django.core.management.base import BaseCommand

from chat2chart.accounts.services import user_ensure_verified
from chat2chart.core.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_workspace


class Command(BaseCommand):
    help = "Create the demo user and sample data (safe to run again)."

    def handle(self, *args, **options) -> None:
        user = user_ensure_verified(email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo")
        seed_workspace(owner=user, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"Demo ready: sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}"))
