# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Migrate the public schema, then every organisation's schema in parallel; re-runs resume.

`manage.py migrate_organisations --parallel 4`: schemas already up to date are skipped (their own
`django_migrations` says so), one schema's failure does not stop the others, and the command exits
non-zero naming the failed schemas, so running it again after fixing the cause finishes the job.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from enterprise.tenants.schema_migrations import SchemaOutcome, migrate_organisations


class Command(BaseCommand):
    help = "Migrate every organisation schema, N at a time, skipping finished ones (resumable)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--parallel", type=int, default=1, help="Schemas migrated at once (processes).")
        parser.add_argument(
            "--schema", action="append", dest="schemas", help="Only this schema (repeatable)."
        )
        parser.add_argument(
            "--skip-public", action="store_true", help="Do not migrate the public schema first."
        )

    def handle(
        self, *args: Any, parallel: int, schemas: list[str] | None, skip_public: bool, **options: Any
    ) -> None:
        verbosity = int(options.get("verbosity", 1))
        if not skip_public:
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(verbosity - 1, 0))

        def report(outcome: SchemaOutcome) -> None:
            if verbosity >= 1 and (outcome.status != "skipped" or verbosity >= 2):
                line = f"{outcome.schema}: {outcome.status} in {outcome.seconds:.2f} s"
                self.stdout.write(f"{line}  {outcome.error}" if outcome.error else line)

        outcomes = migrate_organisations(schemas=schemas, processes=max(parallel, 1), on_outcome=report)
        counts = {
            status: sum(o.status == status for o in outcomes) for status in ("migrated", "skipped", "failed")
        }
        self.stdout.write(
            f"{counts['migrated']} migrated, {counts['skipped']} already up to date, "
            f"{counts['failed']} failed"
        )
        failed = sorted(o.schema for o in outcomes if o.status == "failed")
        if failed:
            raise CommandError(
                f"Migrations failed in {', '.join(failed)}; fix the cause and run again to resume."
            )
