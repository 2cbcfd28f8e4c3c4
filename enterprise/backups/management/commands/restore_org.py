# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Restore an archive: `manage.py restore_org ARCHIVE --as NEWSLUG` or `--in-place --yes-replace`."""

from django.core.management.base import BaseCommand, CommandError

from chat2chart.core.errors import AiserError
from enterprise.backups.services import start_restore


class Command(BaseCommand):
    help = (
        "Restore an archive (a path or s3://bucket/key) beside its organisation or in its place; verify it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--as", dest="as_slug", help="restore into a new organisation with this address")
        parser.add_argument(
            "--in-place", action="store_true", help="replace the organisation it was taken from"
        )
        parser.add_argument(
            "--yes-replace", action="store_true", help="confirm that --in-place replaces its data"
        )

    def handle(
        self, *args, archive: str, as_slug: str | None, in_place: bool, yes_replace: bool, **options
    ) -> None:
        try:
            result = start_restore(
                location=archive, as_slug=as_slug, in_place=in_place, confirmed=yes_replace
            )
        except AiserError as error:
            raise CommandError(error.message) from None
        rows = sum(result.tables.values())
        self.stdout.write(
            f"Restored {result.organization.slug} ({result.organization.url}): {len(result.tables)} tables, "
            f"{rows} rows, {result.files} files, verified against the manifest in {result.seconds:.1f} s."
        )
