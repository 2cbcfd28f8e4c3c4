# SPDX-License-Identifier: MIT
"""Run Aiser as a small cluster on one machine, without Docker: `make cluster`.

    python -m aiser.cluster [--port 8000] [--nodes 2] [--workers 1] [--run-dir DIR] [--no-seed]

Starts, on loopback: moto's S3 server (object storage, unless AISER_S3_ENDPOINT_URL names one), the
migrations and the demo organisation, `--nodes` web nodes (`python -m aiser.serve`, gunicorn with uvicorn
workers) on consecutive ports after `--port`, nginx (deploy/nginx.conf, a non-daemon with every path in
the run directory) on `--port` in front of them, a Celery worker and Celery beat. The machine's
PostgreSQL and Redis are shared by all: DATABASE_URL and REDIS_URL are required. Ctrl-C (or SIGTERM)
stops everything, nginx first, then the nodes, worker and beat (SIGTERM, then SIGKILL after 30 s).

The same code and settings as a deployment with several machines (deploy/compose.yaml): the nodes hold
no state of their own (sessions, cache, channel layer, broker in Redis; files in object storage).
`start_nginx` and `nginx_config` are used by the tests and bench/cluster_load.py too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STOP_TIMEOUT_S = 30
START_TIMEOUT_S = 120


class ClusterError(Exception):
    """The cluster cannot start: a setting is missing or a component did not come up."""


def nginx_config(*, listen: str, upstreams: Sequence[str], run_dir: Path) -> str:
    """deploy/nginx.conf filled in: nginx on `listen` ("127.0.0.1:8000") in front of `upstreams`
    ("127.0.0.1:8001", ...), with its pid, logs and temporary files under `run_dir`."""
    servers = "\n        ".join(f"server {address} max_fails=3 fail_timeout=5s;" for address in upstreams)
    template = Template(NGINX_TEMPLATE.read_text())
    return template.safe_substitute(LISTEN=listen, UPSTREAM_SERVERS=servers, RUN_DIR=str(run_dir))


def start_nginx(*, port: int, upstream_ports: Sequence[int], run_dir: Path) -> subprocess.Popen[bytes]:
    """nginx in the foreground on 127.0.0.1:`port` in front of the nodes on `upstream_ports`; returns once
    it accepts connections. Raises ClusterError when it exits or does not listen within 10 s."""
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "nginx.conf"
    upstreams = [f"127.0.0.1:{p}" for p in upstream_ports]
    config.write_text(nginx_config(listen=f"127.0.0.1:{port}", upstreams=upstreams, run_dir=run_dir))
    process = subprocess.Popen(
        [
            NGINX,
            "-c",
            str(config),
            "-p",
            str(run_dir),
            "-e",
            str(run_dir / "nginx-error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(run_dir / "nginx.out").open("wb"),
        start_new_session=True,
    )
    _wait_for_port(port, process, "nginx", run_dir / "nginx-error.log", timeout_s=10)
    return process


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(
    port: int, process: subprocess.Popen[bytes], name: str, log: Path, *, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise ClusterError(f"{name} exited with code {process.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{name} did not listen on {port} within {timeout_s} s: {_tail(log)}"
                ) from None
            time.sleep(0.1)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@dataclass
class Cluster:
    """The processes of one cluster, in the order they were started (stopped in reverse)."""

    run_dir: Path
    env: dict[str, str]
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def spawn(
        self, name: str, command: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start one component in its own session (Ctrl-C reaches only this launcher, which stops each in
        turn), its output in `<run_dir>/<name>.log`."""
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=(self.run_dir / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        """SIGTERM each process, newest first (nginx before the nodes), SIGKILL after STOP_TIMEOUT_S."""
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(
                    f"aiser.cluster: {name} did not stop within {STOP_TIMEOUT_S} s; killed", file=sys.stderr
                )
                process.kill()
                process.wait()

    def exited(self) -> tuple[str, int] | None:
        """The first component that has exited, with its code."""
        for name, process in self.processes:
            if process.poll() is not None:
                return name, process.returncode
        return None


def cluster_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment every component shares. Raises ClusterError without DATABASE_URL or REDIS_URL:
    nodes on their own database or in-memory cache would not be one product."""
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not environ.get(name)]
    if missing:
        raise ClusterError(
            f"{' and '.join(missing)} must be set for cluster mode: every node shares one PostgreSQL "
            "(DATABASE_URL=postgres://user@host:5432/aiser) and one Redis for sessions, cache, the "
            "websocket channel layer and the Celery broker (REDIS_URL=redis://host:6379/0)."
        )
    return {**environ, "PYTHONUNBUFFERED": "1"}


def start_object_storage(cluster: Cluster) -> dict[str, str]:
    """moto's S3 server on a free loopback port with the bucket made, unless AISER_S3_ENDPOINT_URL already
    names a store; the settings that point the nodes at it (AISER_OBJECT_STORAGE, AISER_S3_* and the
    AWS_* credentials moto accepts)."""
    if cluster.env.get("AISER_S3_ENDPOINT_URL"):
        return {}
    port = free_port()
    process = cluster.spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
    _wait_for_port(port, process, "moto S3 server", cluster.run_dir / "s3.log", timeout_s=60)
    storage = {
        "AISER_OBJECT_STORAGE": "s3",
        "AISER_S3_BUCKET": cluster.env.get("AISER_S3_BUCKET", "aiser"),
        "AISER_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "cluster",
        "AWS_SECRET_ACCESS_KEY": "cluster",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    request = urllib.request.Request(f"http://127.0.0.1:{port}/{storage['AISER_S3_BUCKET']}", method="PUT")
    urllib.request.urlopen(request, timeout=10).close()  # moto accepts an unsigned CreateBucket
    return storage


def _wait_healthy(port: int, process: subprocess.Popen[bytes], name: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise ClusterError(f"{name} exited with code {process.returncode}: {_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ClusterError(f"{name} did not answer /healthz within {START_TIMEOUT_S} s: {_tail(log)}")
        time.sleep(0.3)


def seed_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for `seed_demo`: `env` with Celery tasks run in-process. The worker starts after the
    seeding, so queued sample ingests would still be pending when the seed builds the demo charts and
    dashboard on them (and skip them all, leaving a demo with no charts)."""
    return {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}


def run(args: argparse.Namespace) -> Cluster:
    """Start every component (see the module docstring); returns the running cluster."""
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="aiser-cluster-")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(run_dir=run_dir, env=cluster_env(os.environ))
    try:
        cluster.env |= start_object_storage(cluster)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=cluster.env, check=True)
        if not args.no_seed:
            subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=seed_env(cluster.env), check=True)
        ports = [args.port + 1 + n for n in range(args.nodes)]
        nodes = []
        for n, port in enumerate(ports, start=1):
            serve = [sys.executable, "-m", "aiser.serve", "--host", "127.0.0.1", "--port", str(port)]
            # AISER_PORT is the public port (nginx's), which links to organisations carry.
            node = cluster.spawn(
                f"web{n}", [*serve, "--workers", str(args.workers)], env={"AISER_PORT": str(args.port)}
            )
            nodes.append(node)
        celery = [str(Path(sys.executable).parent / "celery"), "-A", "aiser"]
        cluster.spawn("worker", [*celery, "worker", "-l", "warning", "--concurrency", str(args.concurrency)])
        cluster.spawn("beat", [*celery, "beat", "-l", "warning", "-s", str(run_dir / "celerybeat-schedule")])
        for n, (port, node) in enumerate(zip(ports, nodes, strict=True), start=1):
            _wait_healthy(port, node, f"web node {n}", run_dir / f"web{n}.log")
        cluster.processes.append(
            ("nginx", start_nginx(port=args.port, upstream_ports=ports, run_dir=run_dir))
        )
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    """Start the cluster and keep it running until Ctrl-C, SIGTERM or a component exits."""
    parser = argparse.ArgumentParser(prog="python -m aiser.cluster", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("AISER_PORT") or 8000), help="nginx's port"
    )
    parser.add_argument("--nodes", type=int, default=2, help="web nodes (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per node (default 1)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--run-dir", help="configuration, logs and pid files (default: a new temporary dir)")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo organisation")
    args = parser.parse_args(argv)
    # SIGTERM is handled as Ctrl-C is, so a process manager stops the components in order too.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster = run(args)
    except ClusterError as error:
        sys.exit(f"aiser.cluster: {error}")
    except KeyboardInterrupt:
        sys.exit(130)
    print(
        f"\n  Aiser cluster: http://demo.localhost:{args.port}  ({args.nodes} nodes behind nginx; "
        f"logs in {cluster.run_dir})\n  Ctrl-C stops it.\n",
        flush=True,
    )
    try:
        while (ended := cluster.exited()) is None:
            time.sleep(1)
        print(f"aiser.cluster: {ended[0]} exited with code {ended[1]}; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        print("aiser.cluster: stopping", file=sys.stderr)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
