# SPDX-License-Identifier: MIT
"""A bounded load test of Aiser as one node and as two nodes behind nginx, and a run where one node is
killed (SIGKILL) mid-test: throughput, p50/p95/p99 per kind of request, failed requests, lost answers.

    .venv/bin/python bench/cluster_load.py [--requests 600] [--seconds 90] [--clients 8] [--rows 200000]

Needs DATABASE_URL (a PostgreSQL server: a throwaway database is created on it and dropped) and REDIS_URL
(use a database of its own; it is shared by the nodes as in a deployment). Everything runs on loopback:
the nodes are `python -m aiser.serve` with one uvicorn worker each (`--workers`), nginx is configured by
aiser/cluster.py from deploy/nginx.conf.

Each run sends a fixed list of `--requests` requests from `--clients` threads, stopping early after
`--seconds`. The mix, in a fixed order: dashboard loads (`GET /api/v1/dashboards/<id>/data/`, four query
widgets, cached), cached group-by queries (`POST /api/v1/query/`, the same query), cold queries (a limit
never asked before, so the cache misses and DuckDB runs) and websocket questions (a conversation's
socket: ask, receive the events to `done`). Runs: `one` (node A alone), `two` (A and B behind nginx),
`kill` (two behind nginx, B killed with its workers after a third of the requests). In `kill` a failed
request is counted as in flight when it started before the kill; a websocket question cut off
reconnects through nginx until it receives its finished answer (`done` for its message) or 90 s pass:
an answer not received by then is lost. The machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import ROOT, Server, database_create, database_drop, free_port, load, workspace_create  # noqa: E402

from aiser.cluster import start_nginx  # noqa: E402

KINDS = ("dashboard", "cached query", "cold query", "ws question")
MIX = ["dashboard"] * 4 + ["cached query"] * 4 + ["cold query"] + ["ws question"]  # of every ten requests
TERMINAL = {"done", "error", "cancelled"}


def group_by(source: int, *, limit: int | None = None) -> dict[str, Any]:
    query: dict[str, Any] = {
        "source": source,
        "table": "orders",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}, {"field": "region"}],
    }
    return {**query, "limit": limit} if limit else query


@dataclass
class Sample:
    kind: str
    started: float  # seconds since the run began
    ms: float
    ok: bool
    detail: str = ""


@dataclass
class Run:
    name: str
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    killed_at: float | None = None
    lost_answers: int = 0
    recovered_answers: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    """The organisation's fixtures (source, dashboard, conversations, session) and the request kinds."""

    def __init__(self, info: dict[str, Any], session: str, args: argparse.Namespace) -> None:
        self.info, self.session, self.args = info, session, args
        self.source = int(info["sources"][str(args.rows)]["id"])
        self.headers = {"Host": info["host"], "Authorization": f"Bearer {info['key']}"}
        self.cold = iter(range(500_001, 1_000_000))  # each cold query's own limit: never cached before
        self.cold_lock = threading.Lock()
        self.dashboard = 0
        self.conversations: list[int] = []
        self.answering = 0  # websocket questions between their first event and their last
        self.answering_lock = threading.Lock()

    def prepare(self, port: int) -> None:
        """A dashboard of four query widgets and one conversation per client, made through `port`."""
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=self.headers, timeout=120) as client:
            made = client.post("/api/v1/dashboards/", json={"title": "Cluster load"})
            made.raise_for_status()
            self.dashboard = made.json()["id"]
            for n, measure in enumerate(["revenue", "revenue", "quantity", "cost"]):
                query = {**group_by(self.source), "measures": [{"field": measure, "agg": "sum"}]}
                if n == 1:
                    query["dimensions"] = [{"field": "region"}]
                widget = {"kind": "table", "title": f"w{n}", "query": query}
                client.post(f"/api/v1/dashboards/{self.dashboard}/widgets/", json=widget).raise_for_status()
            for _ in range(self.args.clients):
                start = {"source": self.source, "table": "orders"}
                made = client.post("/api/v1/conversations/", json=start)
                made.raise_for_status()
                self.conversations.append(made.json()["id"])

    def warm(self, port: int) -> None:
        """Fill the shared cache: the dashboard and the cached query, once."""
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=self.headers, timeout=120) as client:
            client.get(f"/api/v1/dashboards/{self.dashboard}/data/").raise_for_status()
            client.post("/api/v1/query/", json=group_by(self.source)).raise_for_status()

    def http(self, client: httpx.Client, kind: str) -> str:
        """One HTTP request of `kind`; '' when it succeeded, else what went wrong."""
        if kind == "dashboard":
            response = client.get(f"/api/v1/dashboards/{self.dashboard}/data/")
        elif kind == "cached query":
            response = client.post("/api/v1/query/", json=group_by(self.source))
        else:
            with self.cold_lock:
                limit = next(self.cold)
            response = client.post("/api/v1/query/", json=group_by(self.source, limit=limit))
        return "" if response.status_code == 200 else f"HTTP {response.status_code}"

    def _socket(self, port: int, conversation: int) -> Any:
        host = self.info["host"]
        return connect(
            f"ws://{host}:{port}/ws/conversations/{conversation}/",
            sock=socket.create_connection(("127.0.0.1", port), timeout=30),
            origin=f"http://{host}:{port}",  # type: ignore[arg-type]
            additional_headers={"Cookie": f"sessionid={self.session}"},
            open_timeout=30,
        )

    def question(self, port: int, conversation: int, run: Run) -> str:
        """Ask on the conversation's socket and read to the end; if the socket is cut off, reconnect until
        the answer's `done` arrives (recovered) or 90 s pass (lost)."""
        message_id = None
        try:
            with self._socket(port, conversation) as ws:
                assert json.loads(ws.recv(timeout=30))["type"] == "history"
                ws.send(json.dumps({"type": "ask", "content": "total revenue by region"}))
                while True:
                    event = json.loads(ws.recv(timeout=120))
                    if message_id is None and event.get("message_id"):
                        message_id = event["message_id"]
                        self._count_answering(+1)
                    if event["type"] in TERMINAL:
                        return "" if event["type"] == "done" else f"answer {event['type']}"
        except Exception as error:
            if message_id is None:
                return f"socket: {type(error).__name__}"  # nothing was saved that could be lost
            cut = f"socket cut: {type(error).__name__}"
        finally:
            if message_id is not None:
                self._count_answering(-1)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with self._socket(port, conversation) as ws:
                    history = json.loads(ws.recv(timeout=30))
                    for message in history["messages"]:
                        if message["id"] == message_id and message["status"] == "done":
                            return self._recovered(run, cut)
                    until = time.monotonic() + 5
                    while time.monotonic() < until:
                        event = json.loads(ws.recv(timeout=max(0.1, until - time.monotonic())))
                        if event["type"] == "done" and event["message_id"] == message_id:
                            return self._recovered(run, cut)
            except Exception:  # noqa: S112 - a reconnect that fails is tried again until the deadline
                time.sleep(1)
                continue
        with run.lock:
            run.lost_answers += 1
        return f"{cut}; answer lost"

    def _count_answering(self, change: int) -> None:
        with self.answering_lock:
            self.answering += change

    @staticmethod
    def _recovered(run: Run, cut: str) -> str:
        with run.lock:
            run.recovered_answers += 1
        return f"{cut}; recovered"


def drive(load: Load, port: int, run: Run, *, kill: Any = None) -> None:
    """Send the fixed list of requests from `clients` threads until done or `seconds` have passed.
    `kill()` is called once, after a third of the requests have started, at a moment when at least two
    websocket questions are being answered (one of them is likely on the node killed), else once half of
    the requests have started."""
    args = load.args
    schedule = [MIX[n % len(MIX)] for n in range(args.requests)]
    random.Random(7).shuffle(schedule)
    position = iter(range(len(schedule)))
    take = threading.Lock()
    began = time.monotonic()

    def client_loop(number: int) -> None:
        headers = load.headers
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as client:
            while time.monotonic() - began < args.seconds:
                with take:
                    n = next(position, None)
                    if n is None:
                        return
                    due = n >= len(schedule) // 2 or (n >= len(schedule) // 3 and load.answering >= 2)
                    if kill is not None and run.killed_at is None and due:
                        run.killed_at = time.monotonic() - began
                        kill()
                kind, started = schedule[n], time.monotonic()
                try:
                    if kind == "ws question":
                        problem = load.question(port, load.conversations[number], run)
                    else:
                        problem = load.http(client, kind)
                except Exception as error:
                    problem = f"{type(error).__name__}"
                sample = Sample(
                    kind, started - began, (time.monotonic() - started) * 1000, not problem, problem
                )
                with run.lock:
                    run.samples.append(sample)

    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        list(pool.map(client_loop, range(args.clients)))
    run.seconds = time.monotonic() - began


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(run: Run) -> None:
    done = len(run.samples)
    print(f"\n### {run.name}: {done} requests in {run.seconds:.1f} s = {done / run.seconds:.1f} requests/s")
    print("| kind | n | ok/s | p50 ms | p95 ms | p99 ms | failed |")
    print("|---|---|---|---|---|---|---|")
    for kind in KINDS:
        samples = [s for s in run.samples if s.kind == kind]
        ok = [s.ms for s in samples if s.ok]
        failed = len(samples) - len(ok)
        print(
            f"| {kind} | {len(samples)} | {len(ok) / run.seconds:.1f} | {percentile(ok, 0.5):.0f} | "
            f"{percentile(ok, 0.95):.0f} | {percentile(ok, 0.99):.0f} | {failed} |"
        )
    failures = [s for s in run.samples if not s.ok]
    if run.killed_at is not None:
        in_flight = [s for s in failures if s.started <= run.killed_at]
        after = [s for s in failures if s.started > run.killed_at]
        print(
            f"\nNode B killed at {run.killed_at:.1f} s. Failed: {len(failures)} "
            f"({len(in_flight)} started before the kill, {len(after)} after). Websocket answers cut off and "
            f"received after reconnecting: {run.recovered_answers}; lost: {run.lost_answers}."
        )
        for s in failures:
            print(f"  - {s.kind} started {s.started:.2f} s, {s.ms:.0f} ms: {s.detail}")
    elif failures:
        print(f"\nFailed: {len(failures)}: " + "; ".join(sorted({s.detail for s in failures})))


def session_for(env: dict[str, str], slug: str) -> str:
    """A signed-in session of the bench organisation's owner (websockets authenticate by session)."""
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "from chat2chart.accounts.models import User\n"
        "from enterprise.tenants.models import Organization\n"
        f"org = Organization.objects.get(slug={slug!r})\n"
        "client = Client(HTTP_HOST=org.host)\n"
        f"client.force_login(User.objects.get(email={slug + '@aiser.local'!r}))\n"
        "print(client.cookies['sessionid'].value)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per run")
    parser.add_argument("--seconds", type=float, default=90, help="a run stops after this many seconds")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per node")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the orders table")
    parser.add_argument("--runs", nargs="+", default=["one", "two", "kill"], choices=["one", "two", "kill"])
    return parser.parse_args()


def main() -> int:
    args = arguments()
    base_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not base_url or not redis_url:
        raise SystemExit(
            "Set DATABASE_URL (a PostgreSQL server) and REDIS_URL (a Redis database of its own)."
        )
    name, slug, load_before = f"aiser_cluster_{os.getpid()}", f"cluster{os.getpid()}", load()
    with tempfile.TemporaryDirectory(prefix="aiser-cluster-load-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": database_create(base_url, name),
            "DJANGO_SETTINGS_MODULE": "aiser.settings",
            "AISER_ENV": "development",
            "DEBUG": "0",
            "AISER_DATA_DIR": str(work / "data"),  # one disk for both nodes, as object storage would be
            "AISER_API_RATE": "100000000/m",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "AISER_LLM_MODEL": "",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
        servers: list[Server] = []
        nginx = None
        try:
            info = workspace_create(env, slug, [args.rows])
            info["sources"] = {str(k): v for k, v in info["sources"].items()}
            session = session_for(env, slug)
            for label in ("a", "b"):
                servers.append(Server("serve", free_port(), args.workers, env, work / f"node-{label}.log"))
                servers[-1].start(info["host"])
            port = free_port()
            nginx = start_nginx(port=port, upstream_ports=[s.port for s in servers], run_dir=work / "nginx")
            load_test = Load(info, session, args)
            load_test.prepare(servers[0].port)
            for run_name in args.runs:
                if run_name == "kill" and servers[1].process and servers[1].process.poll() is not None:
                    raise RuntimeError("node B is gone already")
                target = servers[0].port if run_name == "one" else port
                load_test.warm(target)
                run = Run(run_name)

                def kill_b() -> None:
                    assert servers[1].process is not None
                    os.killpg(servers[1].process.pid, signal.SIGKILL)

                drive(load_test, target, run, kill=kill_b if run_name == "kill" else None)
                report(run)
            errors = (work / "nginx" / "nginx-error.log").read_text(errors="replace").splitlines()
            # Refused connections to the dead node are expected (nginx tries the other node); the rest shown.
            other = [line for line in errors if "[error]" in line and "Connection refused" not in line]
            print(f"\nnginx error log: {len(errors)} lines, {len(other)} errors besides refused connections:")
            print(*other[-20:], sep="\n  ")
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait()
            for server in servers:
                server.stop()
            database_drop(base_url, name)
    after = load()
    averages = " before, ".join("/".join(f"{v:.2f}" for v in figures) for figures in (load_before, after))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(
        f"\n`bench/cluster_load.py {' '.join(sys.argv[1:])}`: {when}, {os.cpu_count()} cores, "
        f"load average (1/5/15 min) {averages} after; {args.clients} clients, "
        f"{args.workers} worker(s) per node, {args.rows:,} rows; latencies of the successful requests"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
