# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Point-in-time recovery of the platform database with pgBackRest, on a scratch PostgreSQL 15
cluster with the configuration docs/backups.md gives: rows written before a recorded moment are
there after restoring to it, rows written after are not."""

from __future__ import annotations

import shutil

import pytest

from enterprise.backups.pitr import PG_BIN, ScratchCluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.enterprise,  # no Django in it: once per CI run is enough
    pytest.mark.skipif(
        not (PG_BIN / "initdb").exists() or shutil.which("pgbackrest") is None,
        reason="needs Debian's PostgreSQL 15 binaries and pgbackrest",
    ),
]


def _notes(cluster: ScratchCluster) -> list[str]:
    with cluster.connect() as conn:
        return [row[0] for row in conn.execute("SELECT note FROM ledger ORDER BY id").fetchall()]


def test_restoring_to_a_moment_keeps_exactly_the_rows_written_before_it():
    with ScratchCluster() as cluster:
        cluster.pgbackrest("stanza-create")
        cluster.pgbackrest("check")  # the archive_command works: a WAL segment reached the repository
        with cluster.connect() as conn:
            conn.execute("CREATE TABLE ledger (id serial PRIMARY KEY, note text NOT NULL)")
        cluster.pgbackrest("--type=full", "backup")
        cluster.wait_past_last_backup()
        with cluster.connect() as conn:
            for note in ("before-1", "before-2", "before-3"):
                conn.execute("INSERT INTO ledger (note) VALUES (%s)", [note])
            moment = conn.execute(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"
            ).fetchone()[0]
            for note in ("after-1", "after-2"):
                conn.execute("INSERT INTO ledger (note) VALUES (%s)", [note])
            conn.execute("DELETE FROM ledger WHERE note = 'before-1'")
        cluster.pgbackrest("check")  # switches WAL and waits until the later writes are archived too
        assert _notes(cluster) == ["before-2", "before-3", "after-1", "after-2"]

        cluster.restore_to(moment)

        assert _notes(cluster) == ["before-1", "before-2", "before-3"]
        with cluster.connect() as conn:  # promoted: it takes writes again
            conn.execute("INSERT INTO ledger (note) VALUES ('after-restore')")
        assert "restore command begin" in (cluster.root / "log" / "aiser-restore.log").read_text()
