# SPDX-License-Identifier: MIT
"""Benchmark of the pooled DuckDB databases: a group-by-month-and-region sum over the generated
1 M-row orders table (see query_bench.generate), measured interleaved, min / median / max of
`--repeat` runs each:

- raw DuckDB: a new connection, `read_parquet`, the same aggregation (what the issue compares to);
- raw DuckDB, warm: one connection reused (DuckDB alone, no connection start);
- executor, fresh: `run_on_files` in a query worker with a single-use database (the old path);
- executor, pooled: the same with the worker's pooled database for the source version;
- API fresh / API pooled: `POST /api/v1/query/` through the Django test client (session login,
  tenant routing, compile, worker, JSON), result cache cleared before each run;
- HTTP floor: `GET /healthz` through the same client.

Run with a migrated database of your own, for example
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_duckpool .venv/bin/python bench/duckdb_pool.py`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
os.environ.setdefault("AISER_API_RATE", "100000/m")

import duckdb  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from bench.query_bench import register, workspace  # noqa: E402 - sets Django up first
from chat2chart.sources import executor  # noqa: E402

RAW_SQL = (
    "SELECT date_trunc('month', order_date) AS m, region, sum(revenue) FROM read_parquet(?) "
    "GROUP BY ALL ORDER BY ALL"
)
TABLE_SQL = (
    "SELECT date_trunc('month', order_date) AS m, region, sum(revenue) AS revenue FROM orders "
    "GROUP BY ALL ORDER BY ALL"
)
GROUPS = 24 * 5


def spread(times: list[float]) -> str:
    return f"{min(times):8.1f} {statistics.median(times):8.1f} {max(times):8.1f}"


def measures(parquet: Path, source: Any, client: Client) -> dict[str, Callable[[], Any]]:
    files = {"orders": str(parquet)}
    warm = duckdb.connect()
    query = {
        "source": source.pk,
        "table": "orders",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}, {"field": "region"}],
    }

    def raw() -> None:
        assert len(duckdb.connect().execute(RAW_SQL, [str(parquet)]).fetchall()) == GROUPS

    def raw_warm() -> None:
        assert len(warm.execute(RAW_SQL, [str(parquet)]).fetchall()) == GROUPS

    def on_files(fresh: bool) -> Callable[[], None]:
        def run() -> None:
            result = executor.run_on_files(
                TABLE_SQL, [], files, source_id=source.pk, version=source.version, fresh=fresh
            )
            assert len(result.rows) == GROUPS

        return run

    def api(pool_size: int) -> Callable[[], None]:
        def run() -> None:
            with override_settings(AISER_DUCKDB_POOL_SIZE=pool_size):
                response = client.post("/api/v1/query/", query, content_type="application/json")
            assert response.status_code == 200, response.content
            assert len(response.json()["rows"]) == GROUPS

        return run

    def floor() -> None:
        assert client.get("/healthz").status_code == 200

    return {
        "raw DuckDB (new connection)": raw,
        "raw DuckDB (warm connection)": raw_warm,
        "executor, fresh database": on_files(True),
        "executor, pooled database": on_files(False),
        "API cold, fresh database": api(0),
        "API cold, pooled database": api(settings.AISER_DUCKDB_POOL_SIZE or 4),
        "HTTP floor (/healthz)": floor,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    host, enter, user = workspace()
    with enter():
        source, parquet = register(args.rows, user)
        try:
            client = Client(HTTP_HOST=host)
            client.force_login(user)
            runs = measures(parquet, source, client)
            for run in runs.values():  # warm: imports, workers started, first pooled database built
                run()
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.repeat):
                for name, run in runs.items():  # interleaved, so load hits every measure alike
                    cache.clear()
                    started = time.perf_counter()
                    run()
                    times[name].append((time.perf_counter() - started) * 1000)
        finally:
            source.delete()
            parquet.unlink(missing_ok=True)
    print(f"{args.rows:,} rows, {args.repeat} interleaved runs, load average {os.getloadavg()[0]:.2f}")
    print(f"{'measure':<32} {'min ms':>8} {'median':>8} {'max':>8}")
    for name, values in times.items():
        print(f"{name:<32} {spread(values)}")
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["HTTP floor (/healthz)"]
    for baseline in ("raw DuckDB (new connection)", "raw DuckDB (warm connection)"):
        for label in ("API cold, fresh database", "API cold, pooled database"):
            ratio = medians[label] / (medians[baseline] + floor)
            print(f"{label} / ({baseline} + HTTP floor): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
