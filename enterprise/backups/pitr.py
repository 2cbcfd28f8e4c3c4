# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Point-in-time recovery of the whole platform database with pgBackRest: the configuration
(`pgbackrest_conf`, `postgresql_settings`, the same text docs/backups.md gives) and a scratch
PostgreSQL cluster that uses it, for the recovery test, the benchmark and restore drills.

No Django here. Every command has a timeout; `ScratchCluster` stops its server and removes its
folder on exit. As root, the cluster and pgBackRest run as the `postgres` user (initdb refuses root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
STANZA = "aiser"


def pgbackrest_conf(*, repo: Path, data: Path, port: int, socket_dir: Path, log: Path, lock: Path) -> str:
    """The pgbackrest.conf of one database server with a local repository (see docs/backups.md for
    S3 repositories and encryption, which only add `repo1-*` lines)."""
    return f"""[global]
repo1-path={repo}
repo1-retention-full=2
start-fast=y
compress-type=zst
log-path={log}
lock-path={lock}
log-level-console=warn
log-level-file=info

[{STANZA}]
pg1-path={data}
pg1-port={port}
pg1-socket-path={socket_dir}
"""


def postgresql_settings(*, config: Path) -> dict[str, str]:
    """postgresql.conf settings that archive every WAL segment through pgBackRest."""
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": f"'pgbackrest --config={config} --stanza={STANZA} archive-push %p'",
        "archive_timeout": "60",  # at most a minute of writes is ever unarchived (the recovery point)
        "max_wal_senders": "3",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ScratchCluster:
    """A throwaway PostgreSQL 15 cluster on a loopback port with pgBackRest archiving its WAL."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aiser-pitr-", dir="/tmp")))
    port: int = field(default_factory=free_port)
    timeout_s: float = 120

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "pgbackrest.conf"

    @property
    def as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *args: str, timeout: float | None = None) -> str:
        """Run a command as the cluster's owner; returns stdout, raises RuntimeError with stderr."""
        try:
            done = subprocess.run(  # noqa: S603 - fixed binaries, our own arguments
                [*self.as_postgres, *args],
                capture_output=True,
                text=True,
                timeout=timeout or self.timeout_s,
                check=False,
                cwd=self.root,
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{args[0]} took longer than {timeout or self.timeout_s} s") from None
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def pgbackrest(self, *args: str) -> str:
        return self.run("pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *args)

    def __enter__(self) -> ScratchCluster:
        for name in ("repo", "log", "lock", "socket"):
            (self.root / name).mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            for path in self.root.rglob("*"):
                shutil.chown(path, "postgres", "postgres")
        self.root.chmod(0o700)
        self.run(
            str(PG_BIN / "initdb"),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "-D",
            str(self.data),
        )
        self.config.write_text(
            pgbackrest_conf(
                repo=self.root / "repo",
                data=self.data,
                port=self.port,
                socket_dir=self.root / "socket",
                log=self.root / "log",
                lock=self.root / "lock",
            )
        )
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root / 'socket'}'",
            **postgresql_settings(config=self.config),
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))
        if os.geteuid() == 0:
            shutil.chown(self.config, "postgres", "postgres")
        self.start()
        return self

    def start(self) -> None:
        self.run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log" / "server.log"),
            "-w",
            "-t",
            str(int(self.timeout_s)),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname="postgres",
            connect_timeout=10,
            autocommit=True,
        )

    def wait_until_promoted(self) -> None:
        """Wait (bounded) until recovery is over and the server accepts writes again."""
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            try:
                with self.connect() as conn:
                    if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        return
            except Exception:  # noqa: BLE001, S110 - still starting: try again until the deadline
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the restored cluster did not finish recovery within {self.timeout_s} s")

    def wait_past_last_backup(self) -> None:
        """Return once the clock is a whole second past the last backup's stop time. pgBackRest keeps
        that time in whole seconds and restores to a moment only from a backup that stopped before it,
        so a moment recorded within the same second would find no backup."""
        import json

        info = json.loads(self.pgbackrest("--output=json", "info"))
        stop = info[0]["backup"][-1]["timestamp"]["stop"]
        deadline = time.monotonic() + 5
        while time.time() < stop + 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the clock did not pass the last backup's stop time")
            time.sleep(0.05)

    def restore_to(self, target_time: str) -> None:
        """Stop the server, restore the last base backup and replay WAL up to `target_time`
        (e.g. '2026-11-29 17:10:00.123456+00'), then start it and wait for promotion."""
        self.stop()
        self.pgbackrest(
            "--delta", "--type=time", f"--target={target_time}", "--target-action=promote", "restore"
        )
        self.start()
        self.wait_until_promoted()
