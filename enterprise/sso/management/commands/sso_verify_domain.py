# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`manage.py sso_verify_domain example.com <token>`: platform staff confirm an organisation's email
domain after seeing its TXT record `_aiser-verification.<domain>` hold the token issued for it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat2chart.core.errors import AiserError
from enterprise.sso.services import sso_domain_verify


class Command(BaseCommand):
    help = "Mark an organisation's email domain verified (the token must be the one issued for it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("domain")
        parser.add_argument("token")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            entry = sso_domain_verify(domain=options["domain"], token=options["token"], actor=None)
        except AiserError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{entry.domain} is verified for {entry.organization.slug}.")
