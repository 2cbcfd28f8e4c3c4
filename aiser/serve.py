# SPDX-License-Identifier: MIT
"""Serve Aiser: gunicorn running several uvicorn worker processes on `aiser.asgi:application`.

    python -m aiser.serve [--host HOST] [--port PORT] [--workers N]

HTTP and websockets (Channels) alike. The figures come from the Django settings
(aiser/settings/serving.py): HOST, AISER_PORT (else 8000), AISER_WEB_WORKERS, the graceful timeout,
max-requests with jitter, the access log (off by default). `make run` uses it; so does
`gunicorn -c python:aiser.gunicorn_conf aiser.asgi:application` for a process manager of one's own.

uvicorn hands a request body to the application piece by piece as it arrives, and stops reading the
socket while the application has not taken the last 64 KB, so the server never holds a body whole.
The size limit is the ASGI guard's (chat2chart/core/body_limit.py); Django spools what it accepts to
a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

DEFAULT_PORT = 8000
APPLICATION = "aiser.asgi:application"


class AiserUvicornWorker(UvicornWorker):
    """uvicorn's gunicorn worker without the ASGI lifespan protocol: Channels' router has no
    lifespan application, and nothing in Aiser runs at startup or shutdown through it."""

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "lifespan": "off"}

    def init_signals(self) -> None:
        """SIGTERM and SIGINT end the worker with exit code 0, through the interpreter's normal exit.

        uvicorn catches them to shut down gracefully, then restores the previous handler and raises
        the signal again. uvicorn-worker leaves that handler at the default, so the worker was killed
        by the signal: its exit handlers (atexit) never ran, so DuckDB's spare-database thread and
        the query worker pool were never stopped, and the master logged the worker as killed. Here
        the re-raised signal becomes `SystemExit(0)`, and the exit handlers run
        (tests/serving/test_shutdown.py)."""
        super().init_signals()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_cleanly)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def options(
    *, host: str | None = None, port: int | None = None, workers: int | None = None
) -> dict[str, Any]:
    """gunicorn settings by name (as in `gunicorn.config`) for serving Aiser.

    `host`, `port` and `workers` override the settings (HOST, AISER_PORT or 8000, AISER_WEB_WORKERS).
    `max_requests` restarts a worker after that many requests plus a random jitter of up to 10 %,
    so workers do not all restart at once; `graceful_timeout` and `timeout` are in seconds.
    Raises ValueError for more than one worker without Redis (see `default_web_workers`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
    from django.conf import settings

    count = workers or settings.AISER_WEB_WORKERS
    if count > 1 and not settings.REDIS_URL:
        raise ValueError(
            f"{count} web workers need REDIS_URL: without Redis the cache and the websocket channel "
            "layer live in each process's memory, so workers would not see each other's sign-outs, "
            "limits or events. Set REDIS_URL or AISER_WEB_WORKERS=1."
        )
    max_requests = settings.AISER_WEB_MAX_REQUESTS
    return {
        "bind": [f"{host or settings.AISER_WEB_HOST}:{port or settings.AISER_PORT or DEFAULT_PORT}"],
        "workers": count,
        "worker_class": f"{__name__}.AiserUvicornWorker",
        "graceful_timeout": settings.AISER_WEB_GRACEFUL_TIMEOUT_S,
        "timeout": settings.AISER_WEB_TIMEOUT_S,
        "max_requests": max_requests,
        "max_requests_jitter": max_requests // 10,
        "accesslog": "-" if settings.AISER_WEB_ACCESS_LOG else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "aiser",
        # gunicorn's runtime control socket sits at one path per user: two servers on one machine
        # would fight over it, and nothing here manages workers through it.
        "control_socket_disable": True,
        # The application is imported in each worker after the fork, never in the master: threads
        # (DuckDB's spare databases, the database pool's workers) and open sockets do not survive a fork.
        "preload_app": False,
        **metrics_hooks(settings.AISER_METRICS_MULTIPROC_DIR or ""),
    }


def metrics_hooks(directory: str) -> dict[str, Any]:
    """gunicorn server hooks for prometheus_client's multiprocess mode (docs/operations.md), when
    PROMETHEUS_MULTIPROC_DIR is set: the master empties the directory before the first worker starts
    (values of an earlier run would be added in), and a worker that exits stops counting in live gauges
    (open websockets); its counters stay, as a restarted counter must not go back."""
    if not directory:
        return {}

    def on_starting(server: Any) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()

    def child_exit(server: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, directory)

    return {"on_starting": on_starting, "child_exit": child_exit}


class AiserApplication(BaseApplication):
    """gunicorn's application object, configured from `options()` instead of a command line."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from gunicorn.util import import_app

        return import_app(APPLICATION)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until gunicorn is told to stop (SIGTERM, SIGINT)."""
    parser = argparse.ArgumentParser(prog="python -m aiser.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: AISER_PORT or 8000)")
    parser.add_argument("--workers", type=int, help="worker processes (default: AISER_WEB_WORKERS)")
    args = parser.parse_args(argv)
    try:
        settings = options(host=args.host, port=args.port, workers=args.workers)
    except ValueError as error:
        sys.exit(f"aiser.serve: {error}")
    AiserApplication(settings).run()


if __name__ == "__main__":
    main()
