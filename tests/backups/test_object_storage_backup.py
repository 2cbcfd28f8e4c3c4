# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""With object storage (AISER_OBJECT_STORAGE=s3) a backup archives the organisation's prefix of the
bucket, and a restore puts the files back under the new organisation's prefix, where its queries read
them. moto's S3 server is the bucket; nothing of the organisation is on the local disk meanwhile."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command

from chat2chart.sources.selectors import store_for_workspace
from enterprise.backups import archive
from enterprise.backups.services import backup_org, organization_files_dir
from enterprise.tenants.models import Organization
from tests.backups.conftest import api_view
from tests.sources.fixtures_s3 import keys_under

pytestmark = pytest.mark.enterprise


@pytest.mark.slow
def test_a_backup_archives_the_organisations_prefix_and_a_restore_puts_it_back_in_the_bucket(
    orgs, db, s3, settings, tmp_path
):
    one = orgs["one"]
    original = one.organization
    local = organization_files_dir(original)
    checksums = {name: archive.sha256_file(path) for name, path in archive.files_under(local)}
    assert checksums
    # The organisation's files as a node with object storage holds them: only in the bucket.
    store_for_workspace(original.schema_name).replace_all(local)
    settings.MEDIA_ROOT = tmp_path / "no-local-files"

    backup = backup_org(organization=original)
    with tarfile.open(backup.location) as tar:
        manifest = json.load(tar.extractfile(archive.MANIFEST_MEMBER))
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == checksums

    call_command("restore_org", backup.location, "--as", "bk-s3copy")
    copy = Organization.objects.get(slug="bk-s3copy")
    prefix = f"{settings.AISER_S3_PREFIX}{copy.schema_name}/"
    assert sorted(key.removeprefix(prefix) for key in keys_under(s3, prefix)) == sorted(checksums)
    assert api_view(one, copy)["query"] == one.view["query"]  # answered from the restored objects
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))
    assert not any(p.is_file() for p in Path(settings.AISER_OBJECT_SCRATCH_DIR).rglob("*"))
