# SPDX-License-Identifier: MIT
"""Query latency from local disk vs S3-compatible object storage (moto's server on loopback).

A group-by-month-and-region sum over a generated 1 M-row orders table (twelve columns, as in
query_bench), run through `duck.run_duckdb`, the function the query worker runs, in this process:

- cold: a single-use locked database each time (`fresh=True`): views or the Arrow dataset made,
  footers read, the query run, the database closed;
- warm: the pooled database of the source version reused (footers cached for local files; for S3
  the pyarrow dataset is kept, its row groups are fetched again on every query).

The S3 rows read the object over HTTP from moto on 127.0.0.1 through pyarrow's S3 filesystem, so
they measure request and transfer overhead on this machine, not a real network's latency.
Prints min / median / max milliseconds of `--repeat` runs. No database or Django needed:
`.venv/bin/python bench/object_storage.py [--rows 1000000] [--repeat 7]`.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402
import duckdb  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from chat2chart.sources.duck import run_duckdb  # noqa: E402
from chat2chart.sources.duckpool import PoolScope, close_databases  # noqa: E402
from chat2chart.sources.objectstore import S3Place  # noqa: E402
from chat2chart.sources.results import QueryResult  # noqa: E402

SQL = (
    "SELECT date_trunc('month', order_date) AS m, region, sum(revenue) AS revenue FROM orders "
    "GROUP BY ALL ORDER BY ALL"
)
BUCKET = "aiser-bench"
KEY = "aiser/org_bench/sources/bench/v-1/table-orders.parquet"


def generate(path: Path, rows: int) -> None:
    """Twelve columns of orders over two years (the shape of bench/query_bench.py), via DuckDB."""
    duckdb.sql(f"""
        COPY (
          SELECT i AS order_id,
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


def _query(*, tables: dict[str, str], scope: PoolScope, place: S3Place | None, fresh: bool) -> QueryResult:
    return run_duckdb(SQL, [], tables, timeout_s=120, max_rows=10_000, scope=scope, fresh=fresh, place=place)


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def spread(times: list[float]) -> str:
    return f"{min(times):9.1f} {statistics.median(times):9.1f} {max(times):9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        with tempfile.TemporaryDirectory() as folder:
            parquet = Path(folder) / "orders.parquet"
            generate(parquet, args.rows)
            size_mb = parquet.stat().st_size / 1024**2
            client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            client.create_bucket(Bucket=BUCKET)
            client.upload_file(str(parquet), BUCKET, KEY)
            place = S3Place(
                bucket=BUCKET,
                endpoint_url=endpoint,
                access_key=os.environ["AWS_ACCESS_KEY_ID"],
                secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
            )
            cases = {
                "local": ({"orders": str(parquet)}, None),
                "s3 (moto, loopback)": ({"orders": f"s3://{BUCKET}/{KEY}"}, place),
            }
            answers = {}
            print(f"{args.rows:,} rows, Parquet {size_mb:.1f} MB; ms min / median / max of {args.repeat}")
            print(f"{'storage':22} {'path':6} {'min':>9} {'median':>9} {'max':>9}")
            for label, (tables, where) in cases.items():
                scope = PoolScope(organisation="org_bench", source=label, version=1)
                run = functools.partial(_query, tables=tables, scope=scope, place=where)
                print(f"{label:22} {'cold':6} {spread(timed(lambda run=run: run(fresh=True), args.repeat))}")
                run(fresh=False)  # builds the pooled database
                print(f"{label:22} {'warm':6} {spread(timed(lambda run=run: run(fresh=False), args.repeat))}")
                answers[label] = run(fresh=False).rows
            local, remote = answers.values()
            print(f"same answer from both: {local == remote} ({len(local)} groups)")
    finally:
        close_databases()
        server.stop()


if __name__ == "__main__":
    main()
