# SPDX-License-Identifier: MIT
"""Peak memory of hostile and normal queries through the bounded query workers, the latency the
worker hop adds, and the memory of ingesting a 20 MB JSON array.

    .venv/bin/python bench/query_memory.py [--rows 1000000] [--repeats 20] [--memory-mb 1024]
    .venv/bin/python bench/query_memory.py --json-only [--json-mb 20] [--code /path/to/a/checkout]

The bench process stands for the web process: its own peak RSS is what a query costs the web
process. Each scenario gets a fresh one-worker pool, so a worker's peak (VmHWM, reported by the
worker) is that scenario's alone. `--json-only --code` runs the JSON ingest against another
checkout (e.g. the commit before streaming) in a fresh child process, for a before/after figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUP_BY = "SELECT customer % 1000 AS bucket, count(*) AS n, sum(amount) AS total FROM orders GROUP BY 1"
HOSTILE = {
    "generate_series 3e9": "SELECT count(*) FROM (SELECT unnest(generate_series(1, 3000000000)))",
    "repeat 10 MB x 100": "SELECT repeat('x', 10*1024*1024) AS blob FROM orders LIMIT 100",
}


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited over fork+exec)."""
    with open("/proc/self/status") as status:
        kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return round(kilobytes / 1024, 1)


def write_orders(folder: Path, rows: int) -> str:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "customer": rng.integers(0, 50_000, rows),
            "amount": np.round(rng.random(rows) * 1000, 2),
            "city": rng.choice(["Berlin", "Paris", "Lagos", "Tokyo"], rows),
        }
    )
    path = folder / "orders.parquet"
    frame.to_parquet(path, index=False)
    return str(path)


def query_scenarios(tables: dict[str, str], *, memory_mb: int, repeats: int) -> dict[str, object]:
    from chat2chart.sources.duck import run_duckdb
    from chat2chart.sources.executor import QueryPool
    from chat2chart.sources.query_worker import FilesJob

    def job(sql: str) -> FilesJob:
        return FilesJob(sql, [], tables, 30.0, 100_000, 32 << 20, 1 << 20, f"{memory_mb // 2}MB")

    figures: dict[str, object] = {"web process peak RSS before (MB)": peak_rss_mb()}
    for name, sql in {"group-by 1M rows": GROUP_BY, **HOSTILE}.items():
        pool = QueryPool(size=1, memory_mb=memory_mb, max_jobs=1000)
        started = time.perf_counter()
        reply = pool.run(job(sql), timeout_s=30)
        figures[name] = {
            "seconds": round(time.perf_counter() - started, 2),
            "outcome": reply.error or f"{len(reply.result.rows)} rows, truncated={reply.result.truncated}",
            "worker peak RSS (MB)": reply.peak_rss_mb,
            "web process peak RSS (MB)": peak_rss_mb(),
        }
        pool.close()

    pool = QueryPool(size=1, memory_mb=memory_mb, max_jobs=10_000)
    pool.run(job(GROUP_BY), timeout_s=30)  # warm: the worker has started
    hop, local = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        pool.run(job(GROUP_BY), timeout_s=30)
        hop.append(time.perf_counter() - started)
        started = time.perf_counter()
        run_duckdb(GROUP_BY, [], tables, timeout_s=30, max_rows=100_000)
        local.append(time.perf_counter() - started)
    pool.close()
    figures["group-by median in a worker (ms)"] = round(statistics.median(hop) * 1000, 1)
    figures["group-by median in-process (ms)"] = round(statistics.median(local) * 1000, 1)
    figures["web process peak RSS after (MB)"] = peak_rss_mb()
    return figures


def write_json_array(path: Path, megabytes: int = 20) -> None:
    records, size, index = [], 0, 0
    while size < megabytes * 1024 * 1024:
        record = {
            "id": index,
            "customer": f"customer {index % 5000}",
            "city": ["Berlin", "Paris", "Lagos"][index % 3],
            "amount": round(index * 0.37 % 1000, 2),
            "paid": index % 2 == 0,
            "day": f"2024-{index % 12 + 1:02d}-{index % 28 + 1:02d}",
        }
        records.append(record)
        size += len(json.dumps(record)) + 2
        index += 1
    path.write_text(json.dumps(records))


def _ingest_child(code: str, path: str, out: str, queue: multiprocessing.Queue) -> None:
    sys.path.insert(0, code)
    from chat2chart.sources.ingest.pipeline import ingest_file

    before = peak_rss_mb()
    started = time.perf_counter()
    result = ingest_file(Path(path), "big.json", Path(out))
    queue.put(
        {
            "seconds": round(time.perf_counter() - started, 2),
            "rows": result.tables[0].rows,
            "peak RSS before ingest (MB)": before,
            "peak RSS after ingest (MB)": peak_rss_mb(),
        }
    )


def json_ingest(code: str, megabytes: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.json"
        write_json_array(path, megabytes)
        queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(
            target=_ingest_child, args=(code, str(path), folder, queue)
        )
        child.start()
        figures = queue.get()
        child.join()
        return {"file (MB)": round(path.stat().st_size / 1024**2, 1), "code": code, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--json-only", action="store_true")
    parser.add_argument("--json-mb", type=int, default=20, help="size of the JSON array to ingest")
    parser.add_argument("--code", default=str(ROOT), help="checkout whose ingest code to measure")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if not args.json_only:
        with tempfile.TemporaryDirectory() as folder:
            tables = {"orders": write_orders(Path(folder), args.rows)}
            figures = query_scenarios(tables, memory_mb=args.memory_mb, repeats=args.repeats)
            for name, value in figures.items():
                print(f"{name}: {value}")
    print(f"JSON ingest: {json_ingest(args.code, args.json_mb)}")


if __name__ == "__main__":
    main()
