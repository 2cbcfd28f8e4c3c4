# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/metrics` for a host that runs only Celery workers (no web server to scrape).

With `AISER_CELERY_METRICS_PORT` set, a Celery worker's main process starts a small HTTP server when the
worker is ready (Celery's `worker_ready` signal) on `AISER_CELERY_METRICS_ADDRESS:port`. It answers
`GET /metrics` with the same exposition as the web app's (every pool process's values through
PROMETHEUS_MULTIPROC_DIR, plus queue lengths) and the same access rule (bearer token or allowed address).
Uses the standard library's `ThreadingHTTPServer`: prometheus_client's own `start_http_server` has no
access check.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings

from chat2chart.core.logs import get_logger
from enterprise.monitoring.exposition import AccessRefused, access_check, metrics_text

log = get_logger(__name__)
_server: ThreadingHTTPServer | None = None
_lock = threading.Lock()


class _MetricsHandler(BaseHTTPRequestHandler):
    server_version = "aiser-worker-metrics"

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        if self.path.split("?", 1)[0] != "/metrics":
            self._answer(404, b"Only /metrics is served here.\\n", "text/plain; charset=utf-8")
            return
        try:
            access_check(authorization=self.headers.get("Authorization", ""), address=self.client_address[0])
        except AccessRefused as refused:
            self._answer(refused.status, f"{refused.message}\\n".encode(), "text/plain; charset=utf-8")
            return
        try:
            body, content_type = metrics_text()
        except Exception:  # noqa: BLE001 - a scrape must never take the worker down
            log.exception("worker_metrics_failed")
            self._answer(500, b"Collecting the metrics failed; see the worker's log.\\n", "text/plain")
            return
        self._answer(200, body, content_type)

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        return  # scrapes every 15 s would flood the worker's log


def worker_metrics_start(**_: Any) -> int | None:
    """Start the server once per process (the `worker_ready` handler); returns the port it listens on,
    or None when `AISER_CELERY_METRICS_PORT` is unset. A port already in use is logged, not raised: the
    worker's tasks matter more than its metrics."""
    global _server
    port = settings.AISER_CELERY_METRICS_PORT
    if not port:
        return None
    with _lock:
        if _server is not None:
            return _server.server_address[1]
        try:
            _server = ThreadingHTTPServer((settings.AISER_CELERY_METRICS_ADDRESS, port), _MetricsHandler)
        except OSError as error:
            log.error("worker_metrics_unavailable", port=port, error=str(error))
            return None
        _server.daemon_threads = True
        threading.Thread(target=_server.serve_forever, name="worker-metrics", daemon=True).start()
        log.info("worker_metrics_listening", address=settings.AISER_CELERY_METRICS_ADDRESS, port=port)
        return _server.server_address[1]
