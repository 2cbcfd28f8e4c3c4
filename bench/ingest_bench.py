# SPDX-License-Identifier: MIT
"""Benchmark of file ingestion: a generated 1,000,000-row, 12-column CSV through `ingest_file`.

Prints rows per second and the peak resident memory of the process that ingested (a fresh child
process, so generating the data does not count). Target: under 5 s and under 1 GB on 2 cores.
For the whole upload through the API against DuckDB alone, with the web process's and the ingest
worker's memory, see `bench/ingest_memory.py`.

    .venv/bin/python bench/ingest_bench.py [--rows 1000000] [--parquet-rows 10000000]

`--parquet-rows` also writes a Parquet table of that many rows and times profiling it and one
aggregate query through the locked-down DuckDB executor.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CITIES = ["Berlin", "Paris", "São Paulo", "Zürich", "New York", "Lagos", "Tokyo", "Córdoba"]
CATEGORIES = ["hardware", "software", "services", "training"]


def generate_table(rows: int, seed: int = 7) -> pa.Table:
    """Twelve realistic columns: ids, ISO dates and offset datetimes, money, percentages, yes/no, text."""
    rng = np.random.default_rng(seed)
    day = rng.integers(16_436, 16_436 + 3650, rows)  # 2015 to 2024
    seconds = rng.integers(0, 86400, rows)
    cents = rng.integers(100, 10_000_000, rows)
    dates = pc.cast(pa.array(day.astype("int32")), pa.date32())
    stamps = pa.array((day.astype("int64") * 86400 + seconds) * 1_000_000, pa.timestamp("us"))
    amount = _money(cents)
    return pa.table(
        {
            "order_id": pa.array(np.arange(1, rows + 1)),
            "order_date": pc.strftime(dates, "%Y-%m-%d"),
            "created_at": pc.binary_join_element_wise(pc.strftime(stamps, "%Y-%m-%dT%H:%M:%S"), "+02:00", ""),
            "customer": pc.binary_join_element_wise(
                "customer ", pc.cast(pa.array(rng.integers(0, 50_000, rows)), pa.string()), ""
            ),
            "city": pa.array(np.array(CITIES, dtype=object)[rng.integers(0, len(CITIES), rows)]),
            "quantity": pa.array(rng.integers(1, 500, rows)),
            "unit_price": pa.array(np.round(rng.random(rows) * 1000, 2)),
            "amount": amount,
            "discount": pc.binary_join_element_wise(
                pc.cast(pa.array(rng.integers(0, 40, rows)), pa.string()), "%", ""
            ),
            "paid": pa.array(np.array(["yes", "no"], dtype=object)[rng.integers(0, 2, rows)]),
            "category": pa.array(np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), rows)]),
            "score": pa.array(np.round(rng.normal(50, 15, rows), 3)),
        }
    )


def _money(cents: np.ndarray) -> pa.Array:
    """ "$1,234.50"-style text: currency sign, thousands separator, two decimals."""
    units, rest = cents // 100, pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    thousands = pc.cast(pa.array(units // 1000), pa.string())
    low = pc.cast(pa.array(units % 1000), pa.string())
    grouped = pc.binary_join_element_wise(thousands, pc.utf8_lpad(low, 3, "0"), ",")
    whole = pc.if_else(pa.array(units >= 1000), grouped, low)
    return pc.binary_join_element_wise("$", whole, ".", rest, "")


def _ingest_child(csv_path: str, out_dir: str, queue: multiprocessing.Queue) -> None:
    from chat2chart.sources.ingest import ingest_file

    started, cpu_started = time.perf_counter(), time.process_time()
    result = ingest_file(csv_path, "orders.csv", out_dir)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    table = result.tables[0]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((elapsed, cpu, peak_kib, table.rows, [(c.name, c.type) for c in table.table_info.columns]))


def bench_csv(rows: int, work: Path) -> None:
    csv_path = work / "orders.csv"
    started = time.perf_counter()
    pacsv.write_csv(generate_table(rows), csv_path)
    size_mb = csv_path.stat().st_size / 1024**2
    print(f"generated {rows:,} rows, {size_mb:,.0f} MB in {time.perf_counter() - started:.1f} s")
    context = multiprocessing.get_context("spawn")  # a clean process: its peak RSS is ingestion alone
    queue = context.Queue()
    child = context.Process(target=_ingest_child, args=(str(csv_path), str(work / "out"), queue))
    child.start()
    elapsed, cpu, peak_kib, ingested, types = queue.get()
    child.join()
    print(f"ingested {ingested:,} rows in {elapsed:.2f} s = {ingested / elapsed:,.0f} rows/s")
    print(f"CPU time {cpu:.2f} s (more than the wall time means the second core was used)")
    print(f"peak RSS of the ingesting process: {peak_kib / 1024:,.0f} MB")
    print("types:", ", ".join(f"{name}={type_}" for name, type_ in types))


def bench_parquet(rows: int, work: Path) -> None:
    from chat2chart.sources.duck import run_duckdb
    from chat2chart.sources.ingest import profile_parquet

    path = work / "big.parquet"
    with pq.ParquetWriter(path, generate_table(1000).schema) as writer:
        step = 1_000_000
        for start in range(0, rows, step):
            writer.write_table(generate_table(min(step, rows - start), seed=start))
    started = time.perf_counter()
    info = profile_parquet(path, "big")
    print(f"profiled {info.row_count:,}-row parquet in {time.perf_counter() - started:.2f} s")
    result = run_duckdb(
        "SELECT city, sum(quantity) AS q FROM big GROUP BY city ORDER BY q DESC",
        [],
        {"big": str(path)},
        timeout_s=30,
        max_rows=100,
    )
    print(f"group-by over {rows:,} rows through run_duckdb: {result.elapsed_ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parquet-rows", type=int, default=0, help="also benchmark a Parquet table this big")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aiser-bench-") as tmp:
        bench_csv(args.rows, Path(tmp))
        if args.parquet_rows:
            bench_parquet(args.parquet_rows, Path(tmp))


if __name__ == "__main__":
    main()
