# SPDX-License-Identifier: MIT
"""The same aggregations over the same Parquet through Spark (Spark Connect) and through DuckDB, the
way Aiser runs each: semantic queries compiled by Aiser's compiler for each dialect, DuckDB through
the locked-down executor (`duck.run_duckdb`), Spark through `SparkConnector` (a session per query,
as the query worker opens one). Prints times and the machine's load; checks both engines agree.

    .venv/bin/python bench/spark_vs_duckdb.py                 # 100 M rows
    .venv/bin/python bench/spark_vs_duckdb.py --rows 10000000 --repeat 3 --spark-memory 2g

The Parquet file is written by DuckDB from `range(rows)` in a temporary directory (about 13 bytes a
row), and removed afterwards unless --keep. Spark runs on this machine as a local[N] Spark Connect
server (the distribution inside the pyspark package), N = the number of cores.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chat2chart.sources.catalogue import ColumnInfo, TableInfo  # noqa: E402
from chat2chart.sources.compiler import compile_query  # noqa: E402
from chat2chart.sources.connectors.params import SparkParams  # noqa: E402
from chat2chart.sources.connectors.spark import SparkConnector  # noqa: E402
from chat2chart.sources.duck import run_duckdb  # noqa: E402
from chat2chart.sources.semantic import SemanticQuery  # noqa: E402

REGIONS = ["north", "south", "east", "west", "centre"]
FACTS = TableInfo(
    name="facts",
    columns=[
        ColumnInfo(name="id", type="integer"),
        ColumnInfo(name="customer", type="integer"),
        ColumnInfo(name="region", type="text"),
        ColumnInfo(name="amount", type="decimal"),
        ColumnInfo(name="day", type="date"),
    ],
)
QUERIES: dict[str, dict[str, Any]] = {
    "sum+count by region (5 groups)": {
        "measures": [{"field": "amount", "agg": "sum"}, {"agg": "count"}],
        "dimensions": [{"field": "region"}],
    },
    "top 10 of 100k customers by sum": {
        "measures": [{"field": "amount", "agg": "sum"}],
        "dimensions": [{"field": "customer"}],
        "order": [{"field": "amount", "dir": "desc"}, {"field": "customer"}],
        "limit": 10,
    },
    "count by month, one region (60 groups)": {
        "measures": [{"agg": "count"}, {"field": "amount", "agg": "avg"}],
        "dimensions": [{"field": "day", "granularity": "month"}],
        "filters": [{"field": "region", "op": "eq", "value": "north"}],
    },
}


def generate(path: Path, rows: int) -> float:
    """Write `rows` rows of facts to `path` with DuckDB; returns the seconds it took."""
    import duckdb

    started = time.perf_counter()
    regions = "[" + ", ".join(f"'{r}'" for r in REGIONS) + "]"
    duckdb.connect().execute(
        f"""COPY (SELECT i AS id, (i * 7919) % 100000 AS customer, {regions}[1 + i % 5] AS region,
                  ((i * 104729) % 100000) / 100.0 AS amount,
                  DATE '2020-01-01' + CAST(i % 1826 AS INTEGER) AS day
                  FROM range({rows}) t(i))
            TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)"""
    )
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def spark_server(workdir: Path, memory: str) -> Iterator[int]:
    """A local Spark Connect server on loopback (its own process group, killed at the end)."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    cores = os.cpu_count() or 2
    command = [
        str(home / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master", f"local[{cores}]",
        "--driver-memory", memory,
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", f"spark.sql.shuffle.partitions={cores * 2}",
        "--conf", f"spark.sql.warehouse.dir={workdir / 'warehouse'}",
        "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={workdir}",
    ]  # fmt: skip
    log = (workdir / "spark.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        command, env={**os.environ, "SPARK_HOME": str(home)}, cwd=workdir, stdout=log, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Spark Connect did not start; see {workdir / 'spark.log'}")
            time.sleep(0.5)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _rounded(rows: list[list[Any]]) -> list[list[Any]]:
    return [[float(v) if isinstance(v, int | float) else str(v)[:10] for v in row] for row in rows]


def _agree(left: list[list[Any]], right: list[list[Any]]) -> bool:
    # Sums of doubles in a different order differ in the last bits (1e10 +- 0.5 over 100 M rows).
    if len(left) != len(right):
        return False
    for a_row, b_row in zip(left, right, strict=True):
        for a, b in zip(a_row, b_row, strict=True):
            same = (
                math.isclose(a, b, rel_tol=1e-9) if isinstance(a, float) and isinstance(b, float) else a == b
            )
            if not same:
                return False
    return True


def _timed(run: Any, repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark-memory", default="2g", help="Spark driver memory (local mode: all of Spark)")
    parser.add_argument("--duckdb-memory", default="2GB")
    parser.add_argument("--keep", type=Path, help="write the Parquet file here and keep it")
    args = parser.parse_args()
    cores = os.cpu_count() or 2
    workdir = Path(tempfile.mkdtemp(prefix="aiser-spark-bench-"))
    parquet = (args.keep or workdir) / "facts.parquet"
    print(f"cores {cores}; load average before {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    try:
        if not parquet.exists():
            seconds = generate(parquet, args.rows)
            print(f"generated {args.rows:,} rows with DuckDB in {seconds:.1f} s")
        print(f"parquet {parquet.stat().st_size / 1e6:,.0f} MB")
        compiled = {
            name: {
                dialect: compile_query(
                    SemanticQuery.parse({"source": 1, "table": "facts", **query}),
                    FACTS,
                    dialect,  # type: ignore[arg-type]
                    schema="default" if dialect == "spark" else None,
                    max_rows=10_000,
                )
                for dialect in ("duckdb", "spark")
            }
            for name, query in QUERIES.items()
        }
        duck: dict[str, list[float]] = {}
        answers: dict[str, Any] = {}
        for name, by_dialect in compiled.items():
            query = by_dialect["duckdb"]
            duck[name], result = _timed(
                lambda q=query: run_duckdb(
                    q.sql, q.params, {"facts": str(parquet)}, timeout_s=3600, max_rows=10_000,
                    memory_limit=args.duckdb_memory, threads=cores, fresh=True,
                ),
                args.repeat,
            )  # fmt: skip
            answers[name] = _rounded(result.rows)
            print(
                f"DuckDB  {name:42} best {min(duck[name]):6.2f}s median {statistics.median(duck[name]):6.2f}s"
            )
        started = time.perf_counter()
        with spark_server(workdir, args.spark_memory) as port:
            print(f"Spark Connect server up in {time.perf_counter() - started:.1f} s")
            connector = SparkConnector(
                SparkParams(host="127.0.0.1", port=port), allow_private=True, timeout_s=3600, max_rows=10_000
            )
            with connector._session() as spark:  # setup only: Aiser never creates tables
                spark.sql(f"CREATE TABLE facts USING parquet LOCATION '{parquet}'").collect()
            spark_times: dict[str, list[float]] = {}
            first: dict[str, float] = {}
            for name, by_dialect in compiled.items():
                query = by_dialect["spark"]
                times, result = _timed(lambda q=query: connector.run(q.sql, q.params), args.repeat + 1)
                first[name], spark_times[name] = times[0], times[1:]
                print(f"Spark   {name:42} first {first[name]:6.2f}s  best {min(times[1:]):7.2f}s")
                if not _agree(_rounded(result.rows), answers[name]):
                    raise SystemExit(
                        f"engines disagree on {name!r}: {answers[name]} vs {_rounded(result.rows)}"
                    )
        total = sum(row[2] for row in answers["sum+count by region (5 groups)"])
        if total != args.rows:
            raise SystemExit(f"the counts add up to {total}, not {args.rows}")
        print(
            f"\n{'query':42} {'DuckDB best':>12} {'median':>8} {'Spark first':>12} {'best':>8} {'median':>8}"
        )
        for name in QUERIES:
            warm = spark_times[name]
            print(
                f"{name:42} {min(duck[name]):11.2f}s {statistics.median(duck[name]):7.2f}s "
                f"{first[name]:11.2f}s {min(warm):7.2f}s {statistics.median(warm):7.2f}s"
            )
        print(f"\nboth engines gave the same rows; load average after {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
