# SPDX-License-Identifier: MIT
"""Benchmark of the query engine: a group-by-month-and-region sum through `POST /api/v1/query/`
against the same query in raw DuckDB and in plain pandas, over 1 M and 10 M rows; cold and cached.

Run with a database:
`DATABASE_URL=postgres://... .venv/bin/python bench/query_bench.py [--rows 1000000 10000000]`.
It makes (once) an organisation `bench` (enterprise) or uses the single workspace (core), registers a
generated Parquet table as a file source, and prints medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
os.environ.setdefault("AISER_API_RATE", "100000/m")

import django  # noqa: E402

django.setup()

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from chat2chart.accounts.services import user_ensure_verified  # noqa: E402
from chat2chart.sources import selectors  # noqa: E402
from chat2chart.sources.ingest import profile_parquet  # noqa: E402
from chat2chart.sources.models import Source, SourceTable  # noqa: E402
from chat2chart.sources.querying import query_run  # noqa: E402
from chat2chart.sources.semantic import SemanticQuery  # noqa: E402

EMAIL = "bench@aiser.local"
PASSWORD = "bench-password-1"  # noqa: S105 - a local benchmark account


def workspace() -> tuple[str, Callable[[], AbstractContextManager[Any]], Any]:
    user = user_ensure_verified(email=EMAIL, password=PASSWORD, name="Bench")
    if not settings.ENTERPRISE:
        return "testserver", nullcontext, user
    from django_tenants.utils import tenant_context

    from enterprise.tenants.models import Organization
    from enterprise.tenants.services import organization_create

    organization = Organization.objects.filter(slug="bench").first() or organization_create(
        name="Bench", slug="bench", owner=user
    )
    return organization.host, lambda: tenant_context(organization), user


def generate(path: Path, rows: int) -> None:
    """Twelve columns of orders over two years, written by DuckDB straight to Parquet."""
    duckdb.sql(f"""
        COPY (
          SELECT
            i AS order_id,
            DATE '2023-01-01' + CAST(i % 730 AS INTEGER) AS order_date,
            ['North', 'South', 'East', 'West', 'Central'][1 + (i * 7) % 5] AS region,
            'Country ' || ((i * 13) % 20) AS country,
            'Product ' || ((i * 31) % 50) AS product,
            ['Laptops', 'Phones', 'Audio', 'Cameras'][1 + (i * 11) % 4] AS category,
            ['Online', 'Retail', 'Partner'][1 + (i * 17) % 3] AS channel,
            1 + (i * 19) % 9 AS quantity,
            round(10 + ((i * 7919) % 100000) / 100.0, 2) AS revenue,
            round(5 + ((i * 104729) % 60000) / 100.0, 2) AS cost,
            (i * 23) % 2 = 0 AS returning_customer,
            'Customer ' || ((i * 37) % 5000) AS customer
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet)
    """)


def register(rows: int, owner: Any) -> tuple[Source, Path]:
    source = Source.objects.create(
        name=f"Bench {rows:,} rows",
        kind=Source.Kind.FILE,
        status=Source.Status.READY,
        version=1,
        folder=secrets.token_urlsafe(24),
        owner=owner,
    )
    folder = selectors.source_folder(source) / "v-bench"
    folder.mkdir(parents=True, exist_ok=True)
    parquet = folder / "orders.parquet"
    generate(parquet, rows)
    relative = parquet.relative_to(selectors.source_folder(source).parent.parent)
    SourceTable.objects.create(
        source=source,
        name="orders",
        version=1,
        parquet_path=str(relative),
        catalogue=profile_parquet(parquet, "orders").to_dict(),
        row_count=rows,
    )
    return source, parquet


def timed(run: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None) -> float:
    times = []
    for _ in range(repeat):
        before()
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench(rows: int, repeat: int, host: str, user: Any) -> dict[str, float]:
    source, parquet = register(rows, user)
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    query = {
        "source": source.pk,
        "table": "orders",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}, {"field": "region"}],
    }

    def api() -> None:
        response = client.post("/api/v1/query/", query, content_type="application/json")
        assert response.status_code == 200, response.content
        assert len(response.json()["rows"]) == 24 * 5

    def raw_duckdb() -> None:
        rows_out = (
            duckdb.connect()
            .execute(
                "SELECT date_trunc('month', order_date) AS m, region, sum(revenue) FROM read_parquet(?) "
                "GROUP BY ALL ORDER BY ALL",
                [str(parquet)],
            )
            .fetchall()
        )
        assert len(rows_out) == 24 * 5

    def plain_pandas() -> None:
        frame = pd.read_parquet(parquet, columns=["order_date", "region", "revenue"])
        month = pd.to_datetime(frame["order_date"]).dt.to_period("M")
        result = frame.groupby([month, "region"])["revenue"].sum()
        assert len(result) == 24 * 5

    parsed = SemanticQuery.parse(query)

    def service() -> None:
        query_run(query=parsed, user=user)

    api()  # warm imports and the connection once
    figures = {
        "api_cold_ms": timed(api, repeat, before=cache.clear),
        "api_cached_ms": timed(api, repeat * 4),
        "service_cached_ms": timed(service, repeat * 4),
        "duckdb_ms": timed(raw_duckdb, repeat),
        "pandas_ms": timed(plain_pandas, repeat),
    }
    source.delete()
    parquet.unlink(missing_ok=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    host, enter, user = workspace()
    print(
        f"{'rows':>12} {'API cold':>10} {'API cached':>11} {'service cached':>15} {'DuckDB':>8} "
        f"{'pandas':>8} "
        f"{'API/DuckDB':>11} {'pandas/API':>11}"
    )
    with enter():
        for rows in args.rows:
            f = bench(rows, args.repeat, host, user)
            cold, cached = f["api_cold_ms"], f["api_cached_ms"]
            print(
                f"{rows:>12,} {cold:>8.1f}ms {cached:>9.2f}ms {f['service_cached_ms']:>13.2f}ms "
                f"{f['duckdb_ms']:>6.1f}ms "
                f"{f['pandas_ms']:>6.1f}ms {f['api_cold_ms'] / f['duckdb_ms']:>10.2f}x "
                f"{f['pandas_ms'] / f['api_cold_ms']:>10.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
