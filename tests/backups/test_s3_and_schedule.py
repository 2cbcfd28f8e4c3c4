# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Archives kept in an S3-compatible store (moto's server on loopback), the nightly run with its
retention and gauge, and deleted organisations kept for a grace period, then purged."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from enterprise.backups import metrics
from enterprise.backups.deletion import organization_purge_due, organization_soft_delete
from enterprise.backups.models import Backup, DeletedOrganization
from enterprise.backups.pitr import free_port
from enterprise.backups.retention import backups_to_keep
from enterprise.backups.schedule import backup_all, backup_prune
from enterprise.backups.selectors import list_backups
from enterprise.backups.services import start_restore
from enterprise.tenants.models import Domain, Organization

pytestmark = pytest.mark.enterprise
MOTO = Path(sys.executable).parent / "moto_server"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server on a free loopback port, stopped at the end of the module."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start within 30 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    settings.AISER_BACKUP_S3_BUCKET = "aiser-test-backups"
    settings.AISER_BACKUP_S3_ENDPOINT_URL = s3_endpoint
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="aiser-test-backups")
    return client


def test_an_archive_goes_to_the_bucket_and_restores_from_it(orgs, db, bucket, settings):
    call_command("backup_org", "bk-two")
    backup = list_backups("bk-two").first()
    assert backup.location.startswith("s3://aiser-test-backups/aiser-backups/bk-two/")
    key = backup.location.removeprefix("s3://aiser-test-backups/")
    assert bucket.head_object(Bucket="aiser-test-backups", Key=key)["ContentLength"] == backup.size
    assert not (Path(settings.AISER_BACKUP_DIR) / "bk-two" / Path(key).name).exists()  # not kept locally

    restored = start_restore(location=backup.location, as_slug="bk-from-s3")
    assert restored.tables == {**restored.tables, "sources_source": 1}
    assert Backup.objects.get(pk=backup.pk).verified == Backup.Verified.VERIFIED


def test_retention_keeps_7_days_4_weeks_and_12_months():
    start = datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
    nightly = [(day, start + timedelta(days=day)) for day in range(400)]  # one a night for 400 nights
    kept = backups_to_keep(nightly, daily=7, weekly=4, monthly=12)
    newest = 399
    assert set(range(newest - 6, newest + 1)) <= kept  # the last 7 nights
    kept_dates = sorted(start + timedelta(days=day) for day in kept)
    assert len({d.isocalendar()[:2] for d in kept_dates}) >= 4
    assert len({(d.year, d.month) for d in kept_dates}) == 12
    assert len(kept) <= 7 + 4 + 12
    assert min(kept_dates) > start + timedelta(days=newest) - timedelta(days=366)


def test_the_nightly_run_backs_up_every_live_organisation_prunes_and_sets_the_gauge(orgs, db, settings):
    (
        settings.AISER_BACKUP_KEEP_DAILY,
        settings.AISER_BACKUP_KEEP_WEEKLY,
        settings.AISER_BACKUP_KEEP_MONTHLY,
    ) = 1, 0, 0
    before = time.time()
    old = Backup.objects.create(
        organization=orgs["two"].organization,
        organization_slug="bk-two",
        kind=Backup.Kind.DAILY,
        location=str(Path(settings.AISER_BACKUP_DIR) / "old.tar"),
        size=1,
        sha256="0" * 64,
    )
    Path(old.location).write_bytes(b"x")
    Backup.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=3))

    report = backup_all()

    assert {"bk-one", "bk-two"} <= set(report.backed_up)
    assert not report.failed
    assert metrics.last_success() >= before
    daily = list_backups("bk-two").filter(kind=Backup.Kind.DAILY)
    assert [b.pk for b in daily] != [old.pk]
    assert daily.count() == 1  # the old one was pruned: archive removed, record marked
    assert not Path(old.location).exists()
    assert Backup.objects.get(pk=old.pk).deleted_at is not None
    assert backup_prune(organization_slug="bk-two") == 0
    assert list_backups("bk-two").filter(kind=Backup.Kind.MANUAL).exists()  # manual ones are never pruned


def test_a_deleted_organisation_is_not_served_can_be_undeleted_and_is_purged_after_grace(orgs, db, settings):
    restored = start_restore(location=orgs["two"].committed_backup, as_slug="bk-doomed")
    doomed = restored.organization
    client = orgs["two"].client(doomed)
    assert client.get("/api/v1/sources/").status_code == 200

    call_command("delete_org", "bk-doomed")
    assert not Domain.objects.filter(tenant=doomed).exists()
    assert client.get("/api/v1/sources/").status_code == 404
    public = Client(HTTP_HOST=settings.AISER_BASE_DOMAIN)
    public.force_login(orgs["two"].owner)
    listed = public.get("/organizations/").content.decode()
    assert "Bk-Two" in listed
    assert "bk-doomed" not in listed
    assert "bk-doomed" not in backup_all().backed_up
    with pytest.raises(CommandError, match="already deleted"):
        call_command("delete_org", "bk-doomed")

    call_command("undelete_org", "bk-doomed")
    assert "bk-doomed" in public.get("/organizations/").content.decode()
    assert client.get("/api/v1/sources/").json()[0]["name"] == "Visits"
    with pytest.raises(CommandError, match="never deleted or was already purged"):
        call_command("undelete_org", "bk-doomed")
    assert "bk-doomed" in public.get("/organizations/").content.decode()

    assert (Path(settings.MEDIA_ROOT) / "org_bk_doomed").is_dir()
    deletion = organization_soft_delete(organization=doomed, actor=None)
    assert organization_purge_due(now=deletion.purge_after - timedelta(minutes=1)) == []
    assert organization_purge_due(now=deletion.purge_after) == ["bk-doomed"]
    assert not Organization.objects.filter(slug="bk-doomed").exists()
    assert not DeletedOrganization.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "org_bk_doomed").exists()
