# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An organisation with one of every kind of object is backed up and restored beside itself: the
archive's checksums and row counts hold, the API shows the same things in the copy, and the original
is not touched. A backup of one organisation holds nothing of another."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from enterprise.backups import archive
from enterprise.backups.models import Backup
from enterprise.backups.postgres import current_row_counts
from enterprise.backups.selectors import list_backups
from enterprise.backups.services import backup_org, organization_files_dir
from enterprise.tenants.models import Membership, Organization
from tests.backups.conftest import api_view

pytestmark = pytest.mark.enterprise


def _file_checksums(organization) -> dict[str, str]:
    return {
        name: archive.sha256_file(path)
        for name, path in archive.files_under(organization_files_dir(organization))
    }


def _without_audit(counts: dict[str, int]) -> dict[str, int]:
    return {table: rows for table, rows in counts.items() if table != "audit_auditentry"}


def _manifest(location: str) -> dict:
    with tarfile.open(location) as tar:
        return json.load(tar.extractfile(archive.MANIFEST_MEMBER))


def test_restore_beside_the_original_gives_the_same_organisation_and_leaves_the_original(orgs, db, capsys):
    one = orgs["one"]
    original = one.organization
    call_command("backup_org", original.slug)
    backup = list_backups(original).get()
    assert Path(backup.location).stat().st_size == backup.size
    assert archive.sha256_file(Path(backup.location)) == backup.sha256
    manifest = _manifest(backup.location)
    # As committed (the backup's own audit entry is still in this test's transaction).
    assert manifest["tables"] == current_row_counts(original.schema_name)
    assert manifest["files"], "the uploads and Parquet tables are in the archive"
    assert {e["sha256"] for e in manifest["files"].values()} == set(_file_checksums(original).values())
    before = (current_row_counts(original.schema_name), _file_checksums(original))

    call_command("restore_org", backup.location, "--as", "bk-copy")

    copy = Organization.objects.get(slug="bk-copy")
    assert "Restored bk-copy" in capsys.readouterr().out
    assert copy.schema_name == "org_bk_copy"
    counts = current_row_counts(copy.schema_name)
    assert _without_audit(counts) == _without_audit(manifest["tables"])  # + the restore's own entry
    assert counts["sources_source"] == 2
    assert counts["dashboards_widget"] == 1
    assert sorted(_file_checksums(copy).values()) == sorted(e["sha256"] for e in manifest["files"].values())
    assert Membership.objects.get(organization=copy, user=one.owner).role == "owner"
    assert api_view(one, copy) == one.view
    # The original: the same rows, files and answers as before the restore.
    assert (current_row_counts(original.schema_name), _file_checksums(original)) == before
    assert api_view(one) == one.view
    assert Backup.objects.get(pk=backup.pk).verified == Backup.Verified.VERIFIED


def test_a_backup_of_one_organisation_holds_nothing_of_the_other(orgs, db, tmp_path):
    two = orgs["two"].organization
    backup = backup_org(organization=orgs["one"].organization)
    with tarfile.open(backup.location) as tar:
        tar.extractall(tmp_path, filter="data")
    listing = subprocess.run(
        ["pg_restore", "--list", str(tmp_path / archive.DUMP_MEMBER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "org_bk_one" in listing
    assert two.schema_name not in listing
    theirs = set(_file_checksums(two).values())
    assert theirs
    assert not theirs & {e["sha256"] for e in _manifest(backup.location)["files"].values()}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"Zanzibar-only-in-two" not in path.read_bytes(), path
    assert backup not in list_backups(two)
    assert all(b.organization_slug == "bk-two" for b in list_backups(two))


def test_a_taken_address_and_a_missing_archive_are_refused_with_a_message(orgs, db):
    backup = backup_org(organization=orgs["one"].organization)
    with pytest.raises(CommandError, match="already taken"):
        call_command("restore_org", backup.location, "--as", "bk-two")
    with pytest.raises(CommandError, match="no archive"):
        call_command("restore_org", backup.location + ".nope", "--as", "bk-new")
    with pytest.raises(CommandError, match="confirm"):
        call_command("restore_org", backup.location, "--in-place")
    assert not Organization.objects.filter(slug="bk-new").exists()


def test_an_archive_from_an_older_release_is_migrated_to_this_one_on_restore(orgs, db):
    from django.db import connection

    from enterprise.backups.postgres import _connect

    one = orgs["one"]
    call_command("backup_org", one.organization.slug)
    call_command(
        "restore_org", list_backups(one.organization).latest("created_at").location, "--as", "bk-old"
    )
    old = Organization.objects.get(slug="bk-old")
    # Make bk-old look like a release before the semantic layer's rollups: no table, no migration row
    # (committed on a connection of its own, so pg_dump sees it).
    forget_rollups = "DELETE FROM {}.django_migrations WHERE app = 'semantic' AND name = '0002_rollups'"
    with _connect(autocommit=True) as other, other.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{old.schema_name}".semantic_rollup')
        cursor.execute(forget_rollups.format(f'"{old.schema_name}"'))
    call_command("backup_org", old.slug)
    older_archive = list_backups(old).latest("created_at").location
    assert "semantic_rollup" not in _manifest(older_archive)["tables"]

    call_command("restore_org", older_archive, "--as", "bk-new")

    new = Organization.objects.get(slug="bk-new")
    # The migration ran on this test's connection (inside its transaction): read through it.
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{new.schema_name}".semantic_rollup')
        assert cursor.fetchone()[0] == 0  # the missing table, made by this release's migration
        cursor.execute(
            f'SELECT count(*) FROM "{new.schema_name}".django_migrations '
            "WHERE app = 'semantic' AND name = '0002_rollups'"
        )
        assert cursor.fetchone()[0] == 1
    counts = current_row_counts(new.schema_name)
    assert counts["sources_source"] == current_row_counts(one.organization.schema_name)["sources_source"]
    assert api_view(one, new) == one.view


def test_a_backup_holds_the_data_files_lock_from_its_dump_until_its_files_are_copied(orgs, db, monkeypatch):
    from django.db import connection

    from chat2chart.sources.services.versions import files_lock_key
    from enterprise.backups import archive as archive_module
    from enterprise.backups import postgres as postgres_module

    organization = orgs["one"].organization
    key = files_lock_key(organization.schema_name)
    seen: list[bool] = []

    def prune_would_wait() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock_shared(%s)", [key])
            got = cursor.fetchone()[0]
            if got:
                cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [key])
        return not got

    real_dump, real_files = postgres_module.dump_schema, archive_module.files_under

    def dump(*args, **kwargs):
        seen.append(prune_would_wait())
        return real_dump(*args, **kwargs)

    def files(*args, **kwargs):
        seen.append(prune_would_wait())
        return real_files(*args, **kwargs)

    monkeypatch.setattr(postgres_module, "dump_schema", dump)
    monkeypatch.setattr(archive_module, "files_under", files)
    call_command("backup_org", organization.slug)
    assert seen == [True, True]  # a prune would have waited during the dump and during the file copy
    assert not prune_would_wait()  # released afterwards
