# SPDX-License-Identifier: MIT
"""Uploading a 1,000,000-row, 12-column CSV through `POST /api/v1/sources/` on a live server, against
DuckDB alone (`read_csv` → Parquet), with the peak memory of the web process and the ingest worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aiser_bench_ingest \\
      .venv/bin/python bench/ingest_memory.py [--rows 1000000] [--runs 3] [--port 8765]

The database must be migrated (`manage.py migrate`); the script makes (once) an organisation
`bench` and an API key, starts uvicorn with one process and Celery in eager mode (so the web
process itself waits for the ingest worker, the worst case for its memory), and for each run:
DuckDB in a fresh process, then the upload. The web process's peak (VmHWM) is reset before each
upload (`/proc/PID/clear_refs`); the ingest worker's peak comes from the server's log line. Prints
min / median / max over the runs, and the web process's resident memory before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DUCKDB_CHILD = """
import sys, time, duckdb
started = time.perf_counter()
conn = duckdb.connect()
conn.execute("SET enable_progress_bar = false")
conn.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}')) TO '{sys.argv[2]}' (FORMAT parquet)")
elapsed = time.perf_counter() - started
peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
print("RESULT", elapsed, peak / 1024)
"""


def status_mb(pid: int, field: str) -> float:
    """A memory figure of process `pid` from /proc (VmHWM: peak resident, VmRSS: resident now), in MB."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024


def duckdb_alone(csv_path: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak MB of DuckDB reading the CSV into Parquet, in a fresh process."""
    printed = (
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", DUCKDB_CHILD, str(csv_path), str(out)],
            capture_output=True,
            check=True,
            text=True,
        )
        .stdout.split("RESULT")[-1]
        .split()
    )
    return float(printed[0]), float(printed[1])


def bench_account(data_dir: Path) -> tuple[str, str]:
    """(host, API key) of the bench organisation, made on first use."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
    os.environ["AISER_DATA_DIR"] = str(data_dir)
    import django

    django.setup()
    from chat2chart.accounts.services import user_ensure_verified
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create
    from enterprise.tenants.models import Organization
    from enterprise.tenants.services import organization_create

    user = user_ensure_verified(
        email="ingest-bench@aiser.local", password=secrets.token_urlsafe(16), name="B"
    )
    organization = Organization.objects.filter(slug="ingestbench").first() or organization_create(
        name="Ingest bench", slug="ingestbench", owner=user
    )
    from django_tenants.utils import tenant_context

    with tenant_context(organization):
        principal = Principal.for_user(user)
        key = api_key_create(organization=organization, principal=principal, name="bench", role="owner")
    return organization.host, key.raw_key


def start_server(port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AISER_DATA_DIR": str(data_dir),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "AISER_API_RATE": "100000/m",
        "AISER_PORT": str(port),
    }
    server = subprocess.Popen(  # noqa: S603 - a fixed command line
        [str(Path(sys.executable).parent / "uvicorn"), "aiser.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"the server exited; see {log}")
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start; see {log}")


def upload(port: int, host: str, key: str, csv_path: Path) -> tuple[float, dict]:
    with csv_path.open("rb") as handle:
        started = time.perf_counter()
        response = requests.post(
            f"http://127.0.0.1:{port}/api/v1/sources/",
            headers={"Host": f"{host}:{port}", "Authorization": f"Bearer {key}"},
            files={"file": ("orders.csv", handle, "text/csv")},
            data={"name": "orders"},
            timeout=600,
        )
        elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 201 or body.get("status") != "ready":
        raise RuntimeError(f"upload failed: {response.status_code} {body}")
    return elapsed, body


def spread(values: list[float], unit: str) -> str:
    return f"{min(values):,.2f} / {statistics.median(values):,.2f} / {max(values):,.2f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--log", type=Path, help="keep the server's log here")
    args = parser.parse_args()
    import pyarrow.csv as pacsv

    from bench.ingest_bench import generate_table

    with tempfile.TemporaryDirectory(prefix="aiser-ingest-bench-") as tmp:
        work = Path(tmp)
        csv_path = work / "orders.csv"
        pacsv.write_csv(generate_table(args.rows), csv_path)
        size_mb = csv_path.stat().st_size / 1024**2
        host, key = bench_account(work / "data")
        log = args.log or work / "server.log"
        server = start_server(args.port, work / "data", log)
        figures: dict[str, list[float]] = {
            k: [] for k in ("duck_s", "duck_mb", "api_s", "web_mb", "worker_mb")
        }
        rss_before, rss_after = [], []
        try:
            for run in range(args.runs):
                seconds, peak = duckdb_alone(csv_path, work / f"duck-{run}.parquet")
                figures["duck_s"].append(seconds)
                figures["duck_mb"].append(peak)
                rss_before.append(status_mb(server.pid, "VmRSS"))
                Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # resets VmHWM
                seconds, body = upload(args.port, host, key, csv_path)
                figures["api_s"].append(seconds)
                figures["web_mb"].append(status_mb(server.pid, "VmHWM"))
                time.sleep(1.0)
                rss_after.append(status_mb(server.pid, "VmRSS"))
                peaks = re.findall(r"worker peak (\d+) MB", log.read_text())
                figures["worker_mb"].append(float(peaks[-1]) if peaks else float("nan"))
                print(f"run {run + 1}: DuckDB {figures['duck_s'][-1]:.2f} s, API {seconds:.2f} s, "
                      f"{body['progress']['rows']:,} rows")  # fmt: skip
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    ratios = [api / duck for api, duck in zip(figures["api_s"], figures["duck_s"], strict=True)]
    print(f"\n{args.rows:,} rows x 12 columns, {size_mb:,.0f} MB CSV; load average {os.getloadavg()[0]:.1f}")
    print("min / median / max over", args.runs, "runs")
    print(
        "DuckDB read_csv -> Parquet:   ",
        spread(figures["duck_s"], "s"),
        "| peak",
        spread(figures["duck_mb"], "MB"),
    )
    print("Aiser POST /api/v1/sources/:  ", spread(figures["api_s"], "s"))
    print("ratio Aiser / DuckDB:         ", spread(ratios, "x"))
    print("web process peak (VmHWM):     ", spread(figures["web_mb"], "MB"))
    print("ingest worker peak (VmHWM):   ", spread(figures["worker_mb"], "MB"))
    print("web process RSS before upload:", spread(rss_before, "MB"))
    print("web process RSS 1 s after:    ", spread(rss_after, "MB"))


if __name__ == "__main__":
    main()
