# SPDX-License-Identifier: MIT
"""The web server side by side: daphne (one process) against `python -m aiser.serve` (gunicorn with
N uvicorn workers): /healthz latency and throughput, and the peak memory of every server process
around oversized and accepted request bodies.

    .venv/bin/python bench/serving.py healthz --rounds 3 [--workers 2 4] [--daphne-code /work/main]
    .venv/bin/python bench/serving.py memory --key ak_... [--daphne-code /work/main]

Needs DATABASE_URL (a migrated database with the demo organisation: `make seed`) and REDIS_URL
(more than one worker shares cache and channel layer through it). `--daphne-code` runs daphne from
another checkout (e.g. the commit before this change, with its daphne patch), for a before/after.
Latency: 300 sequential GETs on one keep-alive connection, median/p90/max. Throughput: `wrk`
(16 connections, 2 threads, a fixed duration); configurations interleaved round by round, so
load from other processes on the machine falls on all of them. Memory: VmHWM (peak resident set)
of each server process from /proc, idle and after each request.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
HOST_HEADER = "demo.localhost"


@contextmanager
def server(kind: str, port: int, *, workers: int = 1, code: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """Start daphne or aiser.serve on 127.0.0.1:`port` from checkout `code`; stop it afterwards."""
    if kind == "daphne":
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "aiser.asgi:application",
        ]
    else:
        command = [sys.executable, "-m", "aiser.serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "AISER_PORT": str(port), "AISER_WEB_WORKERS": str(workers), "DEBUG": "false"}
    log = Path(tempfile.mkdtemp(prefix="serving-")) / f"{kind}.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=code, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{kind} did not start; see {log}")
        for _ in range(50 * workers):  # first-request work (imports, URLconf) in every worker
            get(port, "/healthz")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # daphne can hang on open keep-alive connections
            print(f"  ({kind} did not stop within 30 s of SIGTERM; killed)", flush=True)
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": HOST_HEADER})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def latency_ms(port: int, count: int = 300) -> list[float]:
    """Milliseconds per GET /healthz, one client, one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    figures = []
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", "/healthz", headers={"Host": HOST_HEADER})
        response = conn.getresponse()
        response.read()
        figures.append((time.perf_counter() - start) * 1000)
        assert response.status == 200
    conn.close()
    return figures


def throughput(port: int, seconds: int) -> tuple[float, int]:
    """wrk's requests per second with 16 connections, and its count of non-2xx/socket errors."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "-H",
            f"Host: {HOST_HEADER}",
            f"http://127.0.0.1:{port}/healthz",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(
        int(n)
        for n in re.findall(r"(?:Non-2xx or 3xx responses|errors: connect \d+, read|timeout): ?(\d+)", out)
    )
    return rate, errors


def peaks(process: subprocess.Popen[bytes]) -> dict[int, tuple[int, int]]:
    """(VmHWM, VmRSS) in MB of the server and every process under it."""
    root = psutil.Process(process.pid)
    figures = {}
    for proc in [root, *root.children(recursive=True)]:
        values = {}
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in {"VmHWM", "VmRSS"}:
                values[name] = int(value.split()[0]) // 1024
        figures[proc.pid] = (values["VmHWM"], values["VmRSS"])
    return figures


def post(port: int, path: str, size_mb: int, *, chunked: bool, key: str = "", csv: Path | None = None) -> int:
    """POST `size_mb` MB in 1 MB pieces (a multipart CSV file when `csv` is given); the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    boundary = "aiser-bench"
    head = tail = b""
    if csv is not None:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nBench upload\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        total = len(head) + csv.stat().st_size + len(tail)
    else:
        total = size_mb * 1024 * 1024
    conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", HOST_HEADER)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    if key:
        conn.putheader("Authorization", f"Bearer {key}")
    conn.putheader(*(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(total))))
    conn.endheaders()

    def pieces() -> Iterator[bytes]:
        yield head
        if csv is not None:
            with csv.open("rb") as file:
                while piece := file.read(1024 * 1024):
                    yield piece
        else:
            for _ in range(size_mb):
                yield b"a,b\n" * (256 * 1024)
        yield tail

    try:
        for piece in pieces():
            if piece:
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed; its answer is still to be read
    response = conn.getresponse()
    response.read()
    return response.status


def write_csv(size_mb: int) -> Path:
    """A CSV of about `size_mb` MB (order rows), written once to a temporary file."""
    path = Path(tempfile.gettempdir()) / f"serving-bench-{size_mb}mb.csv"
    if not path.exists() or path.stat().st_size < size_mb * 1024 * 1024:
        with path.open("w") as file:
            file.write("order_id,region,amount,order_date\n")
            row, written = 0, 0
            while written < size_mb * 1024 * 1024:
                line = f"{row},region-{row % 7},{row % 1000}.25,2024-{row % 12 + 1:02d}-{row % 28 + 1:02d}\n"
                written += file.write(line)
                row += 1
    return path


def configurations(args: argparse.Namespace) -> list[tuple[str, str, int, Path]]:
    daphne_code = Path(args.daphne_code) if args.daphne_code else ROOT
    return [("daphne", "daphne", 1, daphne_code)] + [
        (f"aiser.serve x{n}", "serve", n, ROOT) for n in args.workers
    ]


def run_healthz(args: argparse.Namespace) -> None:
    results: dict[str, dict[str, list[float]]] = {}
    for round_number in range(1, args.rounds + 1):
        for label, kind, workers, code in configurations(args):
            with server(kind, args.port, workers=workers, code=code):
                figures = latency_ms(args.port)
                rate, errors = throughput(args.port, args.seconds)
            entry = results.setdefault(label, {"median": [], "p90": [], "rate": []})
            entry["median"].append(statistics.median(figures))
            entry["p90"].append(statistics.quantiles(figures, n=10)[-1])
            entry["rate"].append(rate)
            print(
                f"round {round_number} {label:16} latency median {statistics.median(figures):6.2f} ms "
                f"p90 {entry['p90'][-1]:6.2f} ms  throughput {rate:8.0f} req/s  errors {errors}  "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    print("\nconfiguration     latency median ms (min/median/max)   req/s, 16 clients (min/median/max)")
    for label, entry in results.items():
        lat, rate = entry["median"], entry["rate"]
        print(
            f"{label:16}  {min(lat):6.2f} / {statistics.median(lat):6.2f} / {max(lat):6.2f}"
            f"            {min(rate):7.0f} / {statistics.median(rate):7.0f} / {max(rate):7.0f}"
        )


def run_memory(args: argparse.Namespace) -> None:
    csv = write_csv(args.accepted_mb)
    cases = [
        ("oversized anonymous, Content-Length", dict(size_mb=args.oversized_mb, chunked=False)),
        ("oversized anonymous, chunked", dict(size_mb=args.oversized_mb, chunked=True)),
        ("oversized with API key, chunked", dict(size_mb=args.oversized_mb, chunked=True, key=args.key)),
        (
            f"accepted {args.accepted_mb} MB CSV upload, API key",
            dict(size_mb=0, chunked=False, key=args.key, csv=csv),
        ),
    ]
    for label, kind, workers, code in configurations(args):
        with server(kind, args.port, workers=workers, code=code) as process:
            idle = peaks(process)
            print(f"\n{label}: idle VmHWM per process (MB) {[hwm for hwm, _ in idle.values()]}", flush=True)
            for case, request in cases:
                status = post(args.port, "/api/v1/sources/", **request)  # type: ignore[arg-type]
                now = peaks(process)
                growth = max(now[pid][0] - idle[pid][0] for pid in idle if pid in now)
                print(
                    f"  {case:44} -> {status}  peak VmHWM per process {[hwm for hwm, _ in now.values()]}"
                    f"  largest growth over idle {growth} MB",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["healthz", "memory"])
    parser.add_argument("--port", type=int, default=8177)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--daphne-code", help="checkout to run daphne from (default: this one)")
    parser.add_argument("--key", default="", help="an owner's API key in the demo organisation")
    parser.add_argument("--oversized-mb", type=int, default=765)
    parser.add_argument("--accepted-mb", type=int, default=100)
    args = parser.parse_args()
    run_healthz(args) if args.what == "healthz" else run_memory(args)


if __name__ == "__main__":
    main()
