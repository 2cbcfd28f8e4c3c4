# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An encrypted archive is unreadable without its key; an altered archive (a file, the manifest, an
encrypted chunk) is refused before anything is restored; an in-place restore needs confirming and
brings the organisation back as it was."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from chat2chart.core.errors import ValidationFailed
from enterprise.backups import archive
from enterprise.backups.models import Backup
from enterprise.backups.services import (
    BackupFailed,
    backup_org,
    backup_verify,
    organization_files_dir,
    start_restore,
)
from enterprise.tenants.models import Organization
from tests.backups.conftest import api_view

pytestmark = pytest.mark.enterprise
KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()


def _flip_byte_at(path: Path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(needle)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_encrypted_archive_cannot_be_read_without_its_key(orgs, db, settings):
    settings.AISER_BACKUP_KEY = KEY
    backup = backup_org(organization=orgs["one"].organization)
    stored = Path(backup.location).read_bytes()
    assert backup.encrypted
    assert stored.startswith(archive.MAGIC)
    for plain in (b"PGDMP", b"North,Widget", b"manifest.json", b"org_bk_one"):
        assert plain not in stored
    with pytest.raises(tarfile.TarError), tarfile.open(backup.location) as opened:
        opened.getmembers()

    settings.AISER_BACKUP_KEY = ""
    with pytest.raises(BackupFailed, match="encrypted: set AISER_BACKUP_KEY"):
        start_restore(location=backup.location, as_slug="bk-nokey")
    settings.AISER_BACKUP_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with pytest.raises(BackupFailed, match="wrong key"):
        start_restore(location=backup.location, as_slug="bk-wrongkey")
    assert not Organization.objects.filter(slug__in=["bk-nokey", "bk-wrongkey"]).exists()
    assert Backup.objects.get(pk=backup.pk).verified == Backup.Verified.FAILED

    settings.AISER_BACKUP_KEY = KEY
    restored = start_restore(location=backup.location, as_slug="bk-withkey")
    assert restored.tables["sources_source"] == 2
    assert api_view(orgs["one"], restored.organization)["query"] == orgs["one"].view["query"]


def test_an_altered_file_in_the_archive_is_refused(orgs, db):
    backup = backup_org(organization=orgs["one"].organization)
    assert backup_verify(backup=backup).verified == Backup.Verified.VERIFIED
    _flip_byte_at(Path(backup.location), b"North,Widget")
    with pytest.raises(BackupFailed, match="does not match its checksum"):
        start_restore(location=backup.location, as_slug="bk-tampered")
    assert not Organization.objects.filter(slug="bk-tampered").exists()
    assert backup_verify(backup=backup).verified == Backup.Verified.FAILED


def test_an_altered_manifest_is_refused(orgs, db, tmp_path):
    backup = backup_org(organization=orgs["one"].organization)
    forged = tmp_path / "forged.tar"
    with tarfile.open(backup.location) as source, tarfile.open(forged, "w") as target:
        for member in source.getmembers():
            body = source.extractfile(member).read()
            if member.name == archive.MANIFEST_MEMBER:
                manifest = json.loads(body)
                manifest["tables"]["sources_source"] += 1
                body = json.dumps(manifest).encode()
                member.size = len(body)
            target.addfile(member, io.BytesIO(body))
    with pytest.raises(BackupFailed, match="signature does not match"):
        start_restore(location=str(forged), as_slug="bk-forged")
    assert not Organization.objects.filter(slug="bk-forged").exists()


def test_an_altered_encrypted_archive_is_refused(orgs, db, settings):
    settings.AISER_BACKUP_KEY = KEY
    backup = backup_org(organization=orgs["one"].organization)
    path = Path(backup.location)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(BackupFailed, match="cannot be decrypted"):
        start_restore(location=backup.location, as_slug="bk-altered")
    path.write_bytes(bytes(data[: len(data) - 100]))  # cut short
    with pytest.raises(BackupFailed, match="refused"):
        start_restore(location=backup.location, as_slug="bk-altered")


def test_an_in_place_restore_needs_confirming_and_brings_the_organisation_back(orgs, db):
    two = orgs["two"]
    location = two.committed_backup
    with pytest.raises(ValidationFailed, match="confirm"):
        start_restore(location=location, in_place=True)
    files = dict(archive.files_under(organization_files_dir(two.organization)))
    before = {name: archive.sha256_file(path) for name, path in files.items()}
    # Damage it from outside the test transaction, as a bad deploy or a mistaken script would.
    info = connection.settings_dict
    with psycopg.connect(dbname=info["NAME"], host=info["HOST"], user=info["USER"], autocommit=True) as conn:
        conn.execute(f"UPDATE {two.organization.schema_name}.sources_source SET name = 'Broken'")
    for path in files.values():
        path.unlink()

    result = start_restore(location=location, in_place=True, confirmed=True)

    assert result.organization.pk == two.organization.pk
    after = archive.files_under(organization_files_dir(two.organization))
    assert {name: archive.sha256_file(path) for name, path in after} == before
    assert [source["name"] for source in two.client().get("/api/v1/sources/").json()] == ["Visits"]


def test_a_failed_in_place_restore_puts_the_organisation_back_as_it_was(orgs, db, monkeypatch):
    from enterprise.backups import postgres
    from enterprise.backups.postgres import current_row_counts

    two = orgs["two"]
    counts = current_row_counts(two.organization.schema_name)
    files = {
        n: archive.sha256_file(p) for n, p in archive.files_under(organization_files_dir(two.organization))
    }

    def disk_full(*args, **kwargs):  # the failure pg_restore reports when the disk fills up
        raise postgres.DatabaseStepFailed("pg_restore failed: could not extend file: No space left on device")

    monkeypatch.setattr(postgres, "restore_schema", disk_full)
    with pytest.raises(BackupFailed, match="No space left"):
        start_restore(location=two.committed_backup, in_place=True, confirmed=True)

    assert current_row_counts(two.organization.schema_name) == counts
    after = archive.files_under(organization_files_dir(two.organization))
    assert {n: archive.sha256_file(p) for n, p in after} == files
    assert not postgres.schema_exists(f"{two.organization.schema_name}_before_restore")
