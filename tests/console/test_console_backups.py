# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Backups from the platform console: staff back an organisation up (a real pg_dump through
enterprise.backups), see it listed with its size and check state on that organisation's page only, and
start a restore into a new organisation; every step is a recorded staff action. The restore itself is
enterprise.backups' service, tested end to end in tests/backups."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.enterprise


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.AISER_BACKUP_DIR = tmp_path / "backups"
    settings.AISER_BACKUP_S3_BUCKET = ""
    return settings.AISER_BACKUP_DIR


def test_staff_back_up_an_organisation_and_start_a_restore_from_the_console(
    console, alpha, beta, backup_dir, django_capture_on_commit_callbacks
):
    from enterprise.backups.models import Backup
    from enterprise.console.models import StaffAction

    with django_capture_on_commit_callbacks(execute=True):
        answer = console.post("/console/organizations/alpha/backups/")
    assert answer.status_code == 302
    taken = Backup.objects.get(organization_slug="alpha")
    assert taken.size > 0
    assert Path(taken.location).is_file()
    assert Path(taken.location).is_relative_to(backup_dir)
    started_by_staff = StaffAction.objects.filter(
        action="organization.backup", organization=alpha.organization
    )
    assert started_by_staff.count() == 1

    page = console.get("/console/organizations/alpha/")
    assert list(page.context["backups"]) == [taken]
    assert b'id="console-backups"' in page.content
    assert console.get("/console/organizations/beta/").context["backups"] == []  # alpha's stays alpha's

    # A taken address is refused with the reason and nothing is queued or recorded.
    with django_capture_on_commit_callbacks() as queued:
        refused = console.post(
            "/console/organizations/alpha/restore/", {"backup": taken.pk, "as_slug": "beta"}, follow=True
        )
    assert "already taken" in refused.content.decode()
    assert queued == []
    assert not StaffAction.objects.filter(action="organization.restore").exists()
    # Another organisation's backup id is not one of alpha's.
    with django_capture_on_commit_callbacks() as queued:
        console.post("/console/organizations/beta/restore/", {"backup": taken.pk, "as_slug": "alpha-copy"})
    assert queued == []

    with django_capture_on_commit_callbacks() as queued:
        started = console.post(
            "/console/organizations/alpha/restore/",
            {"backup": taken.pk, "as_slug": "alpha-copy"},
            follow=True,
        )
    assert "alpha-copy" in started.content.decode()
    assert len(queued) == 1  # the restore task, sent once the staff action is committed
    action = StaffAction.objects.get(action="organization.restore")
    assert action.data == {"backup": taken.pk, "as": "alpha-copy"}
    assert action.organization == alpha.organization


def test_people_who_are_not_staff_cannot_start_backups(alpha, public_host, backup_dir):
    from django.test import Client

    from enterprise.backups.models import Backup

    owner = Client(HTTP_HOST=public_host)
    owner.force_login(alpha.users["owner"])
    assert owner.post("/console/organizations/alpha/backups/").status_code == 404
    assert not Backup.objects.filter(organization_slug="alpha").exists()
