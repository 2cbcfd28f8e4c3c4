# SPDX-License-Identifier: MIT
"""The parts of `bench/compare.py` that are not measures: a throwaway database and workspace, the
server as a real process tree with its memory sampled from /proc, a loopback load test, statistics.

`python bench/_harness.py setup` (run by compare.py with the throwaway DATABASE_URL) migrates,
creates an organisation, an admin API key and a Parquet file source through `bench/query_bench.py`,
and prints them as one JSON line; `python bench/_harness.py duck-csv IN OUT` converts a CSV to Parquet
with DuckDB alone and prints its time and peak memory. Nothing else here imports Django.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


# --- statistics ------------------------------------------------------------------------------------


def spread(values: list[float]) -> dict[str, float]:
    """min / median / max of `values` (milliseconds or whatever unit they come in); empty → NaN."""
    if not values:
        return {"min": float("nan"), "median": float("nan"), "max": float("nan"), "n": 0}
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def load() -> tuple[float, float, float]:
    """The machine's 1, 5 and 15 minute load averages (runnable processes; 2 cores = 2.0 is full)."""
    return os.getloadavg()


# --- database ------------------------------------------------------------------------------------


def database_create(base_url: str, name: str) -> str:
    """CREATE DATABASE `name` on the server of `base_url` (a postgres:// URL); its URL is returned."""
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(base_url)._replace(path=f"/{name}").geturl()


def database_drop(base_url: str, name: str) -> None:
    """DROP DATABASE `name`, closing whatever connections the servers left."""
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def workspace_create(env: dict[str, str], slug: str, sizes: list[int]) -> dict[str, Any]:
    """Run `_harness.py setup` in a process with `env` (its DATABASE_URL the throwaway database):
    {"host", "schema", "key", "sources": {rows: {"id", "parquet"}}} of organisation `slug`."""
    command = [sys.executable, str(ROOT / "bench" / "_harness.py"), "setup", slug, *map(str, sizes)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"setup failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the server as a process tree ------------------------------------------------------------------


def _status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of one process in KiB (empty when it has gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, v in re.findall(r"^(VmHWM|VmRSS):\s+(.+)$", text, re.M)}


def descendants(root: int) -> list[int]:
    """`root` and every process below it, found by walking /proc/*/stat parent ids."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


@dataclass
class ProcessMemory:
    """One process of a server's tree, as last read from /proc/<pid>/status."""

    pid: int
    command: str
    peak_kib: int = 0  # the highest VmHWM seen (the kernel's own peak, so short spikes count)
    window_kib: int = 0  # the same since the last `Server.reset_peaks`
    rss_kib: int = 0  # the last VmRSS seen


@dataclass
class Server:
    """A server (`daphne`, `serve` = `python -m aiser.serve`) on 127.0.0.1:`port`, or a Celery worker
    (`celery`), started as a real process in its own process group."""

    kind: str
    port: int
    workers: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    memory: dict[int, ProcessMemory] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        host, port, python = "127.0.0.1", str(self.port), [sys.executable, "-m"]
        if self.kind == "serve":
            return [*python, "aiser.serve", "--host", host, "--port", port]
        if self.kind == "daphne":
            return [*python, "daphne", "-b", host, "-p", port, "aiser.asgi:application"]
        return [*python, "celery", "-A", "aiser", "worker", "-l", "warning", "-c", "1"]

    def start(self, host: str, timeout_s: float = 120) -> None:
        """Start the process, wait until /healthz answers 200 (a server), sample its memory from then on."""
        import httpx

        env = {**self.env, "AISER_WEB_WORKERS": str(self.workers), "AISER_PORT": str(self.port)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout_s
        while self.kind != "celery" and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", headers={"Host": host}, timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            if self.kind != "celery":
                raise RuntimeError(f"{self.kind} did not answer /healthz within {timeout_s:.0f} s")
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.snapshot()

    def snapshot(self) -> list[ProcessMemory]:
        """Read VmHWM/VmRSS of every process of the tree now; remembers processes that have gone."""
        alive = []
        for pid in descendants(self.process.pid) if self.process else []:
            status = _status(pid)
            if not status:
                continue
            entry = self.memory.get(pid)
            if entry is None:
                try:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                    root = Path(f"/proc/{self.process.pid}/cmdline").read_bytes()
                except OSError:
                    continue
                entry = self.memory[pid] = ProcessMemory(pid, _label(raw, root, pid == self.process.pid))
            entry.peak_kib = max(entry.peak_kib, status.get("VmHWM", 0))
            entry.window_kib = max(entry.window_kib, status.get("VmHWM", 0))
            entry.rss_kib = status.get("VmRSS", 0)
            alive.append(entry)
        return alive

    def reset_peaks(self) -> None:
        """Make every live process's VmHWM start again from its current RSS (`clear_refs` 5), so
        `window_kib` is the peak of what runs next; `peak_kib` keeps the whole run's."""
        self.snapshot()
        for pid in descendants(self.process.pid) if self.process else []:
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        for entry in self.memory.values():
            entry.window_kib = 0

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 20 s."""
        self._stop.set()
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _label(cmdline: bytes, root_cmdline: bytes, is_root: bool) -> str:
    """What a process of the tree is: the main process, a forked web worker, a query worker, other."""
    if is_root:
        return "main"
    if b"query_worker" in cmdline:
        return "query worker"
    if cmdline == root_cmdline:
        return "worker"
    return cmdline.replace(b"\0", b" ").decode(errors="replace")[-40:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_available() -> bool:
    """Whether `aiser.serve` (the multi-worker entry point) exists in this checkout."""
    return (ROOT / "aiser" / "serve.py").exists() or (ROOT / "aiser" / "serve" / "__init__.py").exists()


# --- loopback load test ------------------------------------------------------------------------


def load_test(
    url: str, headers: dict[str, str], body: bytes | None, clients: int, seconds: float, tool: str = "auto"
) -> dict:
    """`clients` keep-alive connections sending requests for `seconds`: req/s, p50, p99 (ms), errors.

    `tool` "auto" takes wrk when it is installed (it costs the 2 cores far less than a Python client),
    else asyncio + httpx ("httpx")."""
    if tool == "wrk" or (tool == "auto" and shutil.which("wrk")):
        return _wrk(url, headers, body, clients, seconds)
    return asyncio.run(_httpx_load(url, headers, body, clients, seconds))


_WRK_LUA = """
wrk.method = "{method}"
wrk.body = {body}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %f %f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def _wrk(url: str, headers: dict[str, str], body: bytes | None, clients: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _WRK_LUA.format(
                method="POST" if body else "GET", body=json.dumps(body.decode()) if body else "nil"
            )
        )
    command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:.0f}s", "-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    found = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    if not found:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration_us, p50, p99, bad_status, socket_errors = found.groups()
    return {
        "tool": "wrk",
        "rps": int(requests) / (int(duration_us) / 1e6),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "errors": int(bad_status) + int(socket_errors),
    }


async def _httpx_load(
    url: str, headers: dict[str, str], body: bytes | None, clients: int, seconds: float
) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await (client.post(url, content=body) if body else client.get(url))
                    ok = response.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "tool": "httpx",
        "rps": len(latencies) / elapsed,
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": errors,
    }


def _percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank `q` quantile of an ascending list (NaN when empty)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- subcommands run in their own processes ------------------------------------------------------


def _setup(slug: str, rows: list[int]) -> None:
    """Migrate, create organisation `slug` with an owner, an admin API key and one source per size."""
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
    django.setup()
    with contextlib.redirect_stdout(sys.stderr):
        call_command("migrate", interactive=False, verbosity=0)
    import query_bench  # the benchmark's own 12-column orders generator and file-source registration
    from django_tenants.utils import tenant_context

    from chat2chart.accounts.services import user_ensure_verified
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create
    from enterprise.tenants.services import organization_create

    owner = user_ensure_verified(
        email=f"{slug}@aiser.local", password=secrets.token_urlsafe(16), name="Bench"
    )
    organization = organization_create(name="Bench", slug=slug, owner=owner)
    sources = {}
    with tenant_context(organization):
        key = api_key_create(
            organization=organization, principal=Principal.for_user(owner), name="bench", role="admin"
        )
        for count in rows:
            source, parquet = query_bench.register(count, owner)
            sources[count] = {"id": source.pk, "parquet": str(parquet)}
    info = {"host": organization.host, "schema": organization.schema_name, "key": key.raw_key}
    print(json.dumps({**info, "sources": sources}))


def _duck_csv(csv_path: str, out_path: str) -> None:
    """DuckDB alone: read_csv (type sniffing included) → Parquet; wall time and peak RSS of this process."""
    import duckdb

    started = time.perf_counter()
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}')) TO '{out_path}' (FORMAT parquet)")
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kib / 1024}))


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        _setup(sys.argv[2], [int(n) for n in sys.argv[3:]])
    elif sys.argv[1] == "duck-csv":
        _duck_csv(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown subcommand {sys.argv[1]}")
