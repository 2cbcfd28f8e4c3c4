# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Recovery time on this machine: restoring one organisation, and replaying WAL for point-in-time
recovery. Prints the measured rates and what they mean for a 1 GB organisation and a day of WAL.

    .venv/bin/python bench/backup_restore.py [--org-mb 64] [--wal-mb 128] [--files-share 0.8]

Everything runs in a scratch PostgreSQL 15 cluster (enterprise.backups.pitr.ScratchCluster) on a
loopback port, removed at the end. A smaller organisation than 1 GB is measured and the figure
extrapolated linearly (pg_dump, pg_restore, hashing and AES-GCM are all linear in size); the output
says so. An organisation's size is split between its schema and its files by --files-share (Parquet
tables and uploads are most of it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enterprise.backups import archive  # noqa: E402 - after the path is set
from enterprise.backups.pitr import PG_BIN, ScratchCluster  # noqa: E402


def _timed(step: callable) -> float:  # type: ignore[valid-type]
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _tool(cluster: ScratchCluster, name: str, *args: str) -> None:
    cluster.run(
        str(PG_BIN / name), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", *args, timeout=3600
    )


def _fill_schema(cluster: ScratchCluster, megabytes: int) -> int:
    with cluster.connect() as conn:
        conn.execute("CREATE SCHEMA org_bench")
        conn.execute(
            "CREATE TABLE org_bench.messages "
            "(id bigserial PRIMARY KEY, conversation int, body text, at timestamptz)"
        )
        rows = megabytes * 1024 * 1024 // 300
        conn.execute(
            "INSERT INTO org_bench.messages (conversation, body, at) SELECT g %% 997, "
            "md5(g::text) || repeat(md5((g * 7)::text), 7), now() - g * interval '1 second' "
            "FROM generate_series(1, %s) g",
            [rows],
        )
        conn.execute("CREATE INDEX ON org_bench.messages (conversation)")
        return conn.execute("SELECT pg_total_relation_size('org_bench.messages')").fetchone()[0]


def measure_database(cluster: ScratchCluster, megabytes: int) -> dict[str, float]:
    """Seconds per MB of schema for: dump, restore in place, restore under a new name."""
    size = _fill_schema(cluster, megabytes) / 1024 / 1024
    dump = cluster.root / "org.dump"
    renamed = cluster.root / "renamed.dump"
    dumped = _timed(lambda: _tool(cluster, "pg_dump", "-Fc", "-n", "org_bench", "-f", str(dump), "postgres"))
    with cluster.connect() as conn:
        conn.execute("CREATE DATABASE scratch TEMPLATE template0")
        conn.execute("CREATE DATABASE target TEMPLATE template0")

    def restore_in_place() -> None:
        _tool(cluster, "pg_restore", "--no-owner", "--single-transaction", "-d", "target", str(dump))

    def restore_renamed() -> None:  # what services.start_restore does for --as NEWSLUG
        _tool(cluster, "pg_restore", "--no-owner", "--single-transaction", "-d", "scratch", str(dump))
        _tool(cluster, "psql", "-d", "scratch", "-c", "ALTER SCHEMA org_bench RENAME TO org_copy")
        _tool(cluster, "pg_dump", "-Fc", "-n", "org_copy", "-f", str(renamed), "scratch")
        _tool(cluster, "pg_restore", "--no-owner", "--single-transaction", "-d", "target", str(renamed))

    in_place = _timed(restore_in_place)
    new_name = _timed(restore_renamed)
    return {"size_mb": size, "dump": dumped / size, "in_place": in_place / size, "new_name": new_name / size}


def measure_files(megabytes: int, encrypted: bool) -> dict[str, float]:
    """Seconds per MB of files to write the archive (hash, tar, encrypt) and to unpack and verify it."""
    key = os.urandom(32) if encrypted else None
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        root = Path(folder)
        files = root / "files"
        files.mkdir()
        for index in range(megabytes // 8 or 1):
            (files / f"table-{index}.parquet").write_bytes(os.urandom(8 * 1024 * 1024))
        (root / archive.DUMP_MEMBER).write_bytes(b"")
        path = root / "org.tar"

        def write() -> None:
            with archive.ArchiveWriter(path, b"bench", key) as writer:
                dump = writer.add_file(archive.DUMP_MEMBER, root / archive.DUMP_MEMBER)
                entries = {
                    n: writer.add_file(archive.FILES_PREFIX + n, p) for n, p in archive.files_under(files)
                }
                writer.finish({"dump": dump, "files": entries, "tables": {}})

        def restore() -> None:  # unpack and check, copy into place, check the copies (as start_restore)
            archive.unpack(path, root / "out", signing_key=b"bench", encryption_key=key)
            shutil.copytree(root / "out" / "files", root / "restored")
            for _, copied in archive.files_under(root / "restored"):
                archive.sha256_file(copied)

        written = _timed(write)
        restored = _timed(restore)
        size = sum(p.stat().st_size for p in files.iterdir()) / 1024 / 1024
    return {"write": written / size, "restore": restored / size}


def measure_wal_replay(cluster: ScratchCluster, megabytes: int) -> dict[str, float]:
    """MB of WAL replayed per second by a pgBackRest restore to the end of the archive."""
    cluster.pgbackrest("stanza-create")
    cluster.pgbackrest("--type=full", "backup")
    with cluster.connect() as conn:
        start = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        conn.execute("CREATE TABLE churn (id bigserial PRIMARY KEY, body text)")
        while True:  # ordinary row writes, as the platform makes them, until enough WAL exists
            conn.execute(
                "INSERT INTO churn (body) SELECT repeat(md5(g::text), 4) FROM generate_series(1, 50000) g"
            )
            written = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [start]).fetchone()[0]
            if written >= megabytes * 1024 * 1024:
                break
    cluster.pgbackrest("check")
    cluster.stop()
    restore = _timed(lambda: cluster.pgbackrest("--delta", "--type=default", "restore"))
    replay = _timed(lambda: (cluster.start(), cluster.wait_until_promoted()))
    wal_mb = float(written) / 1024 / 1024
    return {"wal_mb": wal_mb, "base_restore_s": restore, "replay_s": replay, "mb_per_s": wal_mb / replay}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org-mb", type=int, default=64, help="organisation size measured (MB)")
    parser.add_argument("--wal-mb", type=int, default=128, help="WAL replayed (MB)")
    parser.add_argument(
        "--files-share", type=float, default=0.8, help="share of an organisation that is files"
    )
    parser.add_argument("--wal-per-day-gb", type=float, nargs="+", default=[1, 5, 20])
    options = parser.parse_args()
    cores = os.cpu_count()
    print(
        f"Machine: {cores} cores; PostgreSQL 15 scratch cluster; sizes measured then extrapolated linearly."
    )

    with ScratchCluster(timeout_s=600) as cluster:
        database = measure_database(cluster, max(1, int(options.org_mb * (1 - options.files_share))))
    files = measure_files(max(8, int(options.org_mb * options.files_share)), encrypted=True)
    print(
        f"\nSchema ({database['size_mb']:.0f} MB measured): dump {database['dump'] * 1024:.0f} s/GB, "
        f"restore in place {database['in_place'] * 1024:.0f} s/GB, "
        f"under a new address {database['new_name'] * 1024:.0f} s/GB"
    )
    print(
        f"Files, encrypted: archive {files['write'] * 1024:.0f} s/GB, "
        f"restore {files['restore'] * 1024:.0f} s/GB"
    )
    share, gigabyte = options.files_share, 1024
    restore = gigabyte * ((1 - share) * database["new_name"] + share * files["restore"])
    backup = gigabyte * ((1 - share) * database["dump"] + share * files["write"])
    print(
        f"1 GB organisation ({share:.0%} files), extrapolated from {options.org_mb} MB: "
        f"backup ~{backup:.0f} s, restore under a new address ~{restore:.0f} s"
    )

    with ScratchCluster(timeout_s=1800) as cluster:
        wal = measure_wal_replay(cluster, options.wal_mb)
    print(
        f"\nWAL replay: {wal['wal_mb']:.0f} MB in {wal['replay_s']:.1f} s = {wal['mb_per_s']:.0f} MB/s "
        f"(base backup restore {wal['base_restore_s']:.1f} s)"
    )
    for per_day in options.wal_per_day_gb:
        print(
            f"  a day of WAL at {per_day:g} GB/day: "
            f"~{per_day * 1024 / wal['mb_per_s'] / 60:.1f} min of replay"
        )


if __name__ == "__main__":
    main()
