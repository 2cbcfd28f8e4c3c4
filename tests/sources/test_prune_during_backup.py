# SPDX-License-Identifier: MIT
"""While a backup copies an organisation's files (it holds the data-files lock), a new version of a source
leaves the superseded version's files on disk, since the backup's database dump still refers to them; the
next version after the backup prunes them. Uploads go through the API with real files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from chat2chart.sources import selectors
from chat2chart.sources.models import SourceTable
from chat2chart.sources.services.versions import files_lock_key
from tests.conftest import dj_database_url_for
from tests.sources.fixtures_api import SALES_CSV, upload_new_version, upload_source

V2 = SALES_CSV + "2024-04-01,North,Laptop,999,1\n"
V3 = V2 + "2024-04-02,South,Chair,99,2\n"


def _files(workspace: Any, source_id: int) -> dict[int, Path]:
    """{version: Parquet file} of every table row the source still has."""
    with workspace.activate():
        return {
            table.version: selectors.table_file(table)
            for table in SourceTable.objects.filter(source_id=source_id)
        }


def test_a_new_version_during_a_backup_keeps_the_old_files_until_the_next_one(alpha: Any) -> None:
    from django.db import connection

    client = alpha.client("editor")
    created = upload_source(client, SALES_CSV)
    assert created.status_code == 201, created.content
    source = created.json()["id"]
    first = _files(alpha, source)[1]
    assert first.exists()

    # A backup in progress: the data-files lock held on a session of its own, as backup_org holds it.
    with psycopg.connect(dj_database_url_for(connection.settings_dict), autocommit=True) as backup:
        backup.execute("SELECT pg_advisory_lock(%s)", [files_lock_key(alpha.workspace_name)])
        assert upload_new_version(client, source, V2).status_code == 202
        during = _files(alpha, source)
        assert set(during) == {1, 2}  # version 1 is superseded but kept: the dump refers to it
        assert during[1].exists()
        assert client.get(f"/api/v1/sources/{source}/").json()["version"] == 2
        backup.execute("SELECT pg_advisory_unlock(%s)", [files_lock_key(alpha.workspace_name)])

    assert upload_new_version(client, source, V3).status_code == 202
    after = _files(alpha, source)
    assert set(after) == {3}  # versions 1 and 2 pruned once no backup holds the files
    assert not first.exists()
    assert not during[2].exists()
    assert after[3].exists()
