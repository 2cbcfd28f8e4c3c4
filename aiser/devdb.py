# SPDX-License-Identifier: MIT
"""Print a DATABASE_URL for development and tests: an embedded PostgreSQL (pgserver) under .data/.

Used by the Makefile when DATABASE_URL is not set, so a fresh machine needs no database server.
The server keeps running after this exits (it is stopped by `make stop-db`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote


def embedded_url(data_dir: Path, database: str) -> str:
    import pgserver

    server = pgserver.get_server(data_dir, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    if socket_dir is not None:
        return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{database}"
    return f"postgres://postgres@127.0.0.1:{info.port}/{database}"


def stop(data_dir: Path) -> None:
    import pgserver

    pgserver.get_server(data_dir, cleanup_mode="stop").cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["url", "stop"])
    parser.add_argument("--data", default=".data/pg")
    parser.add_argument("--database", default="aiser")
    args = parser.parse_args()
    data_dir = Path(args.data).resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if args.command == "stop":
        stop(data_dir)
        return 0
    print(embedded_url(data_dir, args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
