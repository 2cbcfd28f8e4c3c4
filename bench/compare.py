# SPDX-License-Identifier: MIT
"""Aiser side by side with raw DuckDB and its own HTTP floor, every measure of issue 13 in one run.

    .venv/bin/python bench/compare.py [--rounds 5] [--repeat 3] [--server daphne,serve] [--workers 2]
        [--big] [--only query,floor,throughput,ingest,question] [--celery] [--markdown] [--json OUT]

A throwaway database and organisation, each server started as a real process, rounds interleaved
(every measure on every server, then the next round), each Aiser figure next to raw DuckDB on the same
Parquet or CSV file in this process, or next to `GET /healthz`; peak memory (VmHWM) of every process
of each server read from /proc. Measures: query (cold group-by through `/api/v1/query/`, then cached),
floor, throughput (16 clients, wrk or httpx), ingest (CSV upload vs DuckDB read_csv → Parquet),
question (offline planner, JSON). What each does in detail: docs/performance.md, "Side by side".
Timings are wall-clock from the client; on a shared machine read the ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow.csv as pacsv
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (  # noqa: E402
    ROOT,
    Server,
    database_create,
    database_drop,
    free_port,
    load,
    load_test,
    serve_available,
    spread,
    workspace_create,
)
from ingest_bench import generate_table  # noqa: E402

MEASURES = ("query", "floor", "throughput", "ingest", "question")
QUESTION = "total revenue by region and month"
CLIENTS = 16


def group_by(source: int) -> dict[str, Any]:
    return {
        "source": source,
        "table": "orders",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}, {"field": "region"}],
    }


class Bench:
    """One run: the servers, their clients, the samples gathered per (server, series)."""

    def __init__(self, args: argparse.Namespace, info: dict[str, Any], servers: list[Server], work: Path):
        self.args, self.info, self.work = args, info, work
        self.servers = [s for s in servers if s.kind != "celery"]
        self.trees = servers  # every process tree whose memory counts: the servers and a Celery worker
        self.headers = {"Host": info["host"], "Authorization": f"Bearer {info['key']}"}
        self.clients = {
            s.kind: httpx.Client(base_url=s.base, headers=self.headers, timeout=300) for s in self.servers
        }
        self.redis = redis.Redis.from_url(args.redis_url)
        self.samples: dict[tuple[str, str], list[Any]] = {}
        self.checked: set[str] = set()
        self.open_duckdb: dict[str, duckdb.DuckDBPyConnection] = {}
        self.servers_by_kind = {s.kind: s for s in self.servers}
        self.csv, self.csv_mb = work / "orders.csv", 0.0

    def add(self, server: str, series: str, value: Any) -> None:
        self.samples.setdefault((server, series), []).append(value)

    def clear_cache(self) -> None:
        """Delete the organisation's cached query results (the server's cache is this Redis)."""
        for key in self.redis.scan_iter(match=f"*sources:query:{self.info['schema']}:*", count=1000):
            self.redis.delete(key)

    def timed(self, server: str, method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = self.clients[server].request(method, path, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 400:
            raise RuntimeError(f"{server} {method} {path}: {response.status_code} {response.text[:300]}")
        return elapsed, response

    # --- measures ---------------------------------------------------------------------------------

    def floor(self, server: str) -> None:
        for _ in range(self.args.repeat * 3):
            self.add(server, "floor", self.timed(server, "GET", "/healthz")[0])

    def query(self, server: str) -> None:
        for rows, entry in self.info["sources"].items():
            label = "1m" if int(rows) == self.args.rows else "10m"
            body = group_by(entry["id"])
            for _ in range(self.args.repeat):
                self.clear_cache()
                cold, response = self.timed(server, "POST", "/api/v1/query/", json=body)
                cached, again = self.timed(server, "POST", "/api/v1/query/", json=body)
                if response.json().get("cached") or not again.json().get("cached"):
                    raise RuntimeError(f"{server}: the cold query was a cache hit or the next one a miss")
                self.add(server, f"cold_{label}", cold)
                self.add(server, f"cached_{label}", cached)
                for series, reuse in (("duckdb", False), ("duckopen", True)):
                    elapsed = self.raw_duckdb(entry["parquet"], response.json(), label, reuse)
                    self.add(server, f"{series}_{label}", elapsed)
                self.add(server, "floor", self.timed(server, "GET", "/healthz")[0])

    def raw_duckdb(self, parquet: str, answer: dict[str, Any], label: str, reuse: bool = False) -> float:
        """The SQL the API ran, in-process, `orders` a view of the same file: on a new DuckDB
        connection (connect and close timed), or with `reuse` on one kept open (the query alone)."""
        started = time.perf_counter()
        conn = self.open_duckdb.get(parquet) if reuse else None
        if conn is None:
            conn = duckdb.connect()
            conn.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{parquet}')")
            if reuse:
                self.open_duckdb[parquet] = conn
                started = time.perf_counter()
        rows = conn.execute(answer["sql"]).fetchall()
        if not reuse:
            conn.close()
        elapsed = (time.perf_counter() - started) * 1000
        if label not in self.checked:  # the same numbers, once per size: a fast wrong answer is no answer
            self.checked.add(label)
            mine = sorted(round(float(r[-1]), 2) for r in rows)
            theirs = sorted(round(float(r[-1]), 2) for r in answer["rows"])
            if mine != theirs:
                raise RuntimeError(f"API and raw DuckDB disagree on the {label} group-by")
        return elapsed

    def throughput(self, server: str) -> None:
        base = self.servers_by_kind[server].base
        query = group_by(self.info["sources"][str(self.args.rows)]["id"])
        self.timed(server, "POST", "/api/v1/query/", json=query)  # cached from here on
        body, headers = json.dumps(query).encode(), {**self.headers, "Content-Type": "application/json"}
        for series, path, payload in (
            ("tp_healthz", "/healthz", None),
            ("tp_cached", "/api/v1/query/", body),
        ):
            sent = headers if payload else self.headers
            figures = load_test(base + path, sent, payload, CLIENTS, self.args.duration, self.args.load_tool)
            self.add(server, series, figures)

    def ingest(self, server: str) -> None:
        trees = [self.servers_by_kind[server], *(t for t in self.trees if t.kind == "celery")]
        before = sum(p.rss_kib for t in trees for p in t.snapshot()) / 1024
        for tree in trees:
            tree.reset_peaks()
        started = time.perf_counter()
        with self.csv.open("rb") as upload:
            _, response = self.timed(
                server, "POST", "/api/v1/sources/", files={"file": ("orders.csv", upload, "text/csv")}
            )
        source = response.json()
        while source["status"] not in ("ready", "failed"):
            time.sleep(0.1)
            source = self.clients[server].get(f"/api/v1/sources/{source['id']}/").json()
        elapsed = time.perf_counter() - started
        if source["status"] != "ready":
            raise RuntimeError(f"{server}: ingestion failed: {source.get('error')}")
        peak = max(p.window_kib for t in trees for p in t.snapshot()) / 1024
        time.sleep(2)
        after = sum(p.rss_kib for t in trees for p in t.snapshot()) / 1024
        self.timed(server, "DELETE", f"/api/v1/sources/{source['id']}/")
        duck = self.duck_csv()
        figures = {"ingest_s": elapsed, "ingest_peak_mb": peak, "ingest_rss_before_mb": before}
        figures |= {
            "ingest_rss_after_mb": after,
            "duck_csv_s": duck["seconds"],
            "duck_csv_peak_mb": duck["peak_mb"],
        }
        for series, value in figures.items():
            self.add(server, series, value)

    def duck_csv(self) -> dict[str, float]:
        out = self.work / "duck.parquet"
        command = [sys.executable, str(ROOT / "bench" / "_harness.py"), "duck-csv", str(self.csv), str(out)]
        result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        out.unlink(missing_ok=True)
        return result

    def question(self, server: str) -> None:
        source = self.info["sources"][str(self.args.rows)]["id"]
        for _ in range(self.args.repeat):
            for series in ("question_cold", "question_cached"):
                start = {"source": source, "table": "orders"}
                conversation = self.timed(server, "POST", "/api/v1/conversations/", json=start)[1].json()
                if series == "question_cold":
                    self.clear_cache()
                path = f"/api/v1/conversations/{conversation['id']}/messages/"
                elapsed, answer = self.timed(server, "POST", path, json={"content": QUESTION})
                body = answer.json()
                if body.get("error") or not body.get("chart"):
                    raise RuntimeError(f"{server}: no chart for {QUESTION!r}: {body.get('error')}")
                self.add(server, series, elapsed)
                self.add(server, "question_rows", len((body.get("data") or {}).get("rows") or []))

    def warm(self, server: Server) -> None:
        """Warm every worker process (imports, query workers, connections) before anything counts: a
        keep-alive connection stays with one worker, so batches of 16 new connections, each query new,
        until every web worker has started its AISER_QUERY_WORKERS query workers, and one batch more."""
        body = group_by(self.info["sources"][str(self.args.rows)]["id"])
        web = self.args.workers if server.kind == "serve" else 1
        expected = web * int(server.env.get("AISER_QUERY_WORKERS", "2"))

        def one(number: int) -> None:
            query = {**body, "filters": [{"field": "quantity", "op": "lt", "value": 1000 + number}]}
            with httpx.Client(base_url=server.base, headers=self.headers, timeout=300) as client:
                client.post("/api/v1/query/", json=query).raise_for_status()

        started = None
        for batch in range(10):
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(one, range(batch * CLIENTS, (batch + 1) * CLIENTS)))
            if started is not None:  # one batch more once all have started: they have served by then
                return
            if sum(p.command == "query worker" for p in server.snapshot()) >= expected:
                started = batch
        print(f"warning: {server.kind} did not start {expected} query workers while warming", file=sys.stderr)

    # --- the run ------------------------------------------------------------------------------------

    def run(self) -> None:
        if "ingest" in self.args.only:
            pacsv.write_csv(generate_table(self.args.rows), self.csv)
            self.csv_mb = self.csv.stat().st_size / 1024**2
        for server in self.servers:
            self.warm(server)
        for number in range(1, self.args.rounds + 1):
            self.add("machine", "load_1m", load()[0])
            for measure in MEASURES:
                if measure not in self.args.only:
                    continue
                for server in self.servers:
                    print(f"round {number}/{self.args.rounds}: {measure} on {server.kind}", file=sys.stderr)
                    getattr(self, measure)(server.kind)
        for key in self.redis.scan_iter(match=f"{self.info['schema']}:*", count=1000):  # the run's cache
            self.redis.delete(key)


# --- report ----------------------------------------------------------------------------------------


def report_rows(bench: Bench, server: str) -> list[list[str]]:
    """One row per figure: measure, min, median, max, and the comparison the issue asks for."""
    rows: list[list[str]] = []

    def get(series: str) -> list[Any]:
        return bench.samples.get((server, series), [])

    def med(series: str) -> float:
        return statistics.median(get(series)) if get(series) else float("nan")

    def add(label: str, values: list[float], digits: int, note: str = "") -> None:
        s = spread(values)
        rows.append([label, *(f"{s[k]:,.{digits}f}" for k in ("min", "median", "max")), note])

    floor = med("floor")
    for label, count in (("1m", bench.args.rows), ("10m", 10_000_000)):
        cold, new, kept = get(f"cold_{label}"), get(f"duckdb_{label}"), get(f"duckopen_{label}")
        if not cold:
            continue
        n = f"{count / 1e6:g} M rows"
        ratio = [med(f"cold_{label}") / statistics.median(base) for base in (new, kept)]
        paired = [statistics.median(c / d for c, d in zip(cold, base, strict=True)) for base in (new, kept)]
        with_floor = med(f"cold_{label}") / (med(f"duckdb_{label}") + floor)
        note = f"{ratio[0]:.2f}× / {ratio[1]:.2f}× raw DuckDB, new / open connection "
        note += f"(paired {paired[0]:.2f}× / {paired[1]:.2f}×); {with_floor:.2f}× (DuckDB new + floor)"
        add(f"cold group-by, {n}, `/api/v1/query/` (ms)", cold, 1, note)
        add(f"raw DuckDB, same SQL and file, {n}, new connection (ms)", new, 1, "in-process")
        add(f"raw DuckDB, same SQL and file, {n}, open connection (ms)", kept, 1, "in-process")
        over = [v - floor for v in get(f"cached_{label}")]
        add(f"cached answer over its floor, {n} (ms)", over, 1, f"total {med(f'cached_{label}'):.1f} ms")
    if get("floor"):
        add("HTTP floor, `GET /healthz` (ms)", get("floor"), 1, "keep-alive, organisation host")
    for series, label in (("tp_healthz", "`/healthz`"), ("tp_cached", "cached query")):
        if runs := get(series):
            p50, p99 = (statistics.median(r[k] for r in runs) for k in ("p50_ms", "p99_ms"))
            note = f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {sum(r['errors'] for r in runs)} errors"
            note += f" ({runs[0]['tool']}, {bench.args.duration:g} s)"
            add(f"throughput, {CLIENTS} clients, {label} (req/s)", [r["rps"] for r in runs], 0, note)
    if get("ingest_s"):
        note = f"{med('ingest_s') / med('duck_csv_s'):.2f}× DuckDB ({bench.csv_mb:,.0f} MB file)"
        add(f"ingest {bench.args.rows / 1e6:g} M rows × 12 CSV through the API (s)", get("ingest_s"), 2, note)
        note = f"fresh process, its peak {med('duck_csv_peak_mb'):,.0f} MB"
        add("DuckDB read_csv → Parquet alone (s)", get("duck_csv_s"), 2, note)
        pairs = zip(get("ingest_rss_before_mb"), get("ingest_rss_after_mb"), strict=True)
        note = "RSS of all its processes before → 2 s after, per round: "
        note += ", ".join(f"{b:,.0f} → {a:,.0f}" for b, a in pairs) + " MB"
        add("server peak during ingest, largest process (MB)", get("ingest_peak_mb"), 0, note)
    if get("question_cold"):
        note = f"{QUESTION!r}, {int(med('question_rows'))} rows"
        add("question → chart, offline, result cache cleared (ms)", get("question_cold"), 1, note)
        add("question → chart, query answered from the cache (ms)", get("question_cached"), 1)
    return rows


def render(bench: Bench, markdown: bool) -> str:
    out, header = [], ["measure", "min", "median", "max", "compared"]
    for server in bench.servers:
        workers = f", AISER_WEB_WORKERS={server.workers}" if server.kind == "serve" else ""
        out.append(f"\n### {server.kind}{workers}\n" if markdown else f"\n== {server.kind}{workers} ==")
        rows = report_rows(bench, server.kind)
        if markdown:
            out += ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|---|"]
            out += ["| " + " | ".join(r) + " |" for r in rows]
        else:
            out += [f"{r[0]:<64} {r[1]:>9} {r[2]:>9} {r[3]:>9}  {r[4]}" for r in [header, *rows]]
    for tree in bench.trees:
        peaks = sorted(tree.memory.values(), key=lambda p: -p.peak_kib)
        listed = ", ".join(f"{p.command} {p.peak_kib / 1024:,.0f}" for p in peaks)
        out.append(f"\nPeak memory (VmHWM, MB) of every {tree.kind} process: {listed}")
    loads = bench.samples.get(("machine", "load_1m"), [])
    out.append(f"\nLoad average (1 min) at the start of each round: {', '.join(f'{v:.1f}' for v in loads)}")
    return "\n".join(out)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="samples per measure per round")
    parser.add_argument("--workers", type=int, default=2, help="AISER_WEB_WORKERS for aiser.serve")
    default_server = "serve" if serve_available() else "daphne"
    parser.add_argument("--server", default=default_server, help="daphne, serve, or both: daphne,serve")
    parser.add_argument("--big", action="store_true", help="also the cold group-by over 10 M rows")
    parser.add_argument("--only", default=",".join(MEASURES), help="comma-separated: " + ", ".join(MEASURES))
    parser.add_argument("--duration", type=float, default=10, help="seconds of each throughput test")
    parser.add_argument(
        "--load-tool", choices=["auto", "wrk", "httpx"], default="auto", help="auto: wrk if installed"
    )
    parser.add_argument("--celery", action="store_true", help="ingest in a Celery worker, not in the server")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--markdown", action="store_true", help="tables to paste into docs/performance.md")
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args()
    args.only = {m.strip() for m in args.only.split(",")}
    args.kinds = [k.strip() for k in args.server.split(",")]
    if unknown := (args.only - set(MEASURES)) or (set(args.kinds) - {"daphne", "serve"}):
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    if "serve" in args.kinds and not serve_available():
        parser.error("aiser.serve does not exist in this checkout; use --server daphne")
    return args


def server_env(args: argparse.Namespace, database_url: str, work: Path) -> dict[str, str]:
    """The servers' environment: development settings with DEBUG off, the throwaway database, Redis
    for the cache (so every worker shares it and the bench can clear it), no rate limit in the way."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "aiser.settings",
        "AISER_ENV": "development",
        "AISER_EDITION": "enterprise",
        "DEBUG": "0",
        "REDIS_URL": args.redis_url,
        "AISER_DATA_DIR": str(work / "data"),
        "AISER_API_RATE": "100000000/m",
        # Without --celery ingestion runs inside the server process that took the upload.
        "CELERY_TASK_ALWAYS_EAGER": "0" if args.celery else "1",
        "AISER_LLM_MODEL": "",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


def main() -> int:
    args = arguments()
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name, load_before = f"aiser_bench_{os.getpid()}", load()
    with tempfile.TemporaryDirectory(prefix="aiser-compare-") as tmp:
        work, servers = Path(tmp), []
        env = server_env(args, database_create(base_url, name), work)
        try:
            sizes = [args.rows, *([10_000_000] if args.big else [])]
            info = workspace_create(env, f"bench{os.getpid()}", sizes)
            kinds = [*args.kinds, *(["celery"] if args.celery else [])]
            for kind in kinds:
                servers.append(Server(kind, free_port(), args.workers, env, work / f"{kind}.log"))
                servers[-1].start(info["host"])
            bench = Bench(args, info, servers, work)
            bench.run()
        except Exception:
            for server in servers:  # the logs live in the temporary folder: show their ends now
                print(
                    f"--- end of {server.log.name}:\n{server.log.read_text(errors='replace')[-2000:]}",
                    file=sys.stderr,
                )
            raise
        finally:
            for server in servers:
                server.stop()
            database_drop(base_url, name)
    load_after, command = load(), " ".join(["bench/compare.py", *sys.argv[1:]])
    print(
        f"\n`{command}`: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
        f"load average (1/5/15 min) {'/'.join(f'{v:.2f}' for v in load_before)} before, "
        f"{'/'.join(f'{v:.2f}' for v in load_after)} after; "
        f"rounds {args.rounds}, samples per measure per round {args.repeat}, interleaved"
    )
    print(render(bench, args.markdown))
    if args.json:
        samples = {f"{s}:{k}": v for (s, k), v in bench.samples.items()}
        memory = {s.kind: [vars(p) for p in s.memory.values()] for s in servers}
        body = {"command": command, "load_before": load_before, "load_after": load_after, "samples": samples}
        args.json.write_text(json.dumps({**body, "memory": memory}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
