# SPDX-License-Identifier: MIT
"""Run every query on a source in a bounded worker process, so a runaway query fails alone.

A small pool of long-lived workers (see query_worker) per web or Celery process: each worker
runs one job at a time under an address-space limit (AISER_QUERY_MEMORY_MB) and is killed and
replaced when a job outruns the wall clock, dies, runs out of memory or has served
AISER_QUERY_WORKER_MAX_JOBS jobs. Workers are fresh interpreters (no fork of a process holding
Django, DuckDB or psycopg state) that import only DuckDB and the drivers.

Each worker keeps up to AISER_DUCKDB_POOL_SIZE locked-down DuckDB databases, one per organisation,
source version and set of files (see duckpool). A files job goes to an idle worker that ran the
same source version last when there is one (soft affinity: it never waits for that worker, so
one busy source cannot hold up another), otherwise to the idle worker that has served fewest.
"""

from __future__ import annotations

import atexit
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from chat2chart.core import hooks
from chat2chart.core.errors import ConnectionFailed, QueryError
from chat2chart.sources.duckpool import PoolScope
from chat2chart.sources.objectstore import S3Place
from chat2chart.sources.query_worker import READY, DatabaseJob, FilesJob, Reply, read_frame, write_frame
from chat2chart.sources.results import QueryResult
from chat2chart.sources.rowcap import memory_message, timeout_message

logger = logging.getLogger(__name__)

# The worker's own timeouts (DuckDB interrupt, statement_timeout) fire first and give the exact
# message; the parent's kill is the backstop for a worker that does not answer at all.
KILL_GRACE_S = 5.0
QUEUE_SLACK_S = 10.0
STARTUP_TIMEOUT_S = 60.0  # a fresh worker imports DuckDB and the drivers: ~0.6 s, more on a busy machine
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class _Worker:
    """One worker process and the pipes to it."""

    def __init__(self, memory_mb: int, duckdb_pool_size: int = 0) -> None:
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONPATH": _python_path()}
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line, no user input
            [sys.executable, "-m", "chat2chart.sources.query_worker", str(memory_mb), str(duckdb_pool_size)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=_PROJECT_ROOT,
            close_fds=True,
        )
        self.ready = False
        self.jobs_done = 0
        # The affinities of the jobs it ran last, most recent last: what its DuckDB pool may hold.
        self.recent: OrderedDict[str, None] = OrderedDict()
        self.recent_size = max(duckdb_pool_size, 0)

    def alive(self) -> bool:
        """Whether the process still runs. A killed process's main thread is a zombie while its
        other threads (DuckDB's) are still being torn down, and `poll()` cannot tell yet."""
        if self.process.poll() is not None:
            return False
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                state = stat.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            return True  # no /proc (not Linux): poll() is all there is
        return state not in ("Z", "X")

    def served(self, affinity: str) -> None:
        """Note that the worker ran a job of `affinity` (so its pool holds that database now)."""
        if not affinity or not self.recent_size:
            return
        self.recent.pop(affinity, None)
        self.recent[affinity] = None
        while len(self.recent) > self.recent_size:
            self.recent.popitem(last=False)

    def wait_ready(self, *, deadline: float) -> bool:
        """Wait until the worker has imported its drivers and set its limit; False if it died."""
        if not self.ready:
            try:
                self.ready = self._receive(deadline) == READY
            except TimeoutError:
                return False
        return self.ready

    def ask(self, job: FilesJob | DatabaseJob, *, deadline: float) -> Reply | None:
        """Send `job` and wait for the reply until `deadline` (time.monotonic()).

        None when the worker died first; TimeoutError when the deadline passed.
        """
        assert self.process.stdin is not None
        try:
            write_frame(self.process.stdin, job)
        except OSError:
            return None
        reply = self._receive(deadline)
        self.jobs_done += 1
        return reply.unpacked() if isinstance(reply, Reply) else reply

    def _receive(self, deadline: float) -> Any:
        assert self.process.stdout is not None
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select([self.process.stdout], [], [], max(remaining, 0))
        if not readable:
            raise TimeoutError
        try:
            return read_frame(self.process.stdout)
        except (EOFError, OSError):
            return None

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        elif self.process.stdin is not None:
            try:
                self.process.stdin.close()  # the worker exits at the end of its input
            except OSError:
                self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except OSError:
                    continue  # a job still buffered for a worker that died: nothing to deliver


class QueryPool:
    """At most `size` workers; a query waits for a free one up to its own wall-clock limit.

    A worker that retires is replaced at once, so the next query finds a warm one.
    """

    def __init__(
        self,
        *,
        size: int,
        memory_mb: int,
        max_jobs: int,
        grace_s: float = KILL_GRACE_S,
        duckdb_pool_size: int = 0,
    ) -> None:
        self.size = size
        self.memory_mb = memory_mb
        self.max_jobs = max_jobs
        self.grace_s = grace_s
        self.duckdb_pool_size = duckdb_pool_size
        self.database_reuses = 0  # files jobs answered on a pooled DuckDB database, for tests and benches
        self._idle: list[_Worker] = []
        self._busy = 0
        self._free = threading.Condition()
        self._closed = False

    def run(self, job: FilesJob | DatabaseJob, *, timeout_s: float) -> Reply:
        """Run `job` on a worker; the worker is killed if it has not answered `timeout_s` plus a
        grace period after it got the job. Raises QueryError on time-out, on a worker that died
        (most often out of memory) and when every worker stays busy for `timeout_s`."""
        affinity = job.affinity
        worker = self._take(timeout_s, affinity)
        if not worker.wait_ready(deadline=time.monotonic() + STARTUP_TIMEOUT_S):
            self._retire(worker, kill=True)
            raise QueryError("The query worker could not start; try again in a moment.")
        try:
            reply = worker.ask(job, deadline=time.monotonic() + timeout_s + self.grace_s)
        except TimeoutError:
            self._retire(worker, kill=True)
            raise QueryError(timeout_message(timeout_s), code="query_timeout") from None
        except BaseException:
            self._retire(worker, kill=True)
            raise
        if reply is not None and not reply.error:
            worker.served(affinity)
            with self._free:
                self.database_reuses += reply.reused_database
        if reply is None or reply.retire or worker.jobs_done >= self.max_jobs:
            self._retire(worker, kill=reply is None)
        else:
            self._give_back(worker)
        if reply is None:
            code = worker.process.returncode
            logger.warning("query worker %s ended with code %s", worker.process.pid, code)
            raise QueryError(memory_message(self.memory_mb), code="out_of_memory")
        return reply

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their query ends."""
        with self._free:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop(kill=False)

    def _take(self, timeout_s: float, affinity: str = "") -> _Worker:
        # Every busy worker answers or is killed within timeout_s + grace; a little more covers
        # starting its replacement on a busy machine.
        give_up = time.monotonic() + timeout_s + self.grace_s + QUEUE_SLACK_S
        with self._free:
            while True:
                while self._idle:
                    worker = self._idle.pop(self._best_idle(affinity))
                    if worker.alive():
                        self._busy += 1
                        return worker
                    worker.stop(kill=True)  # died while idle (killed from outside): start another
                if self._busy < self.size:
                    worker = self._start()
                    self._busy += 1
                    # First use: start the rest of the pool too, so concurrent queries find it warm.
                    while self._busy + len(self._idle) < self.size:
                        self._idle.append(self._start())
                    return worker
                if not self._free.wait(timeout=max(give_up - time.monotonic(), 0)):
                    raise QueryError("Every query worker stayed busy; try again in a moment.")

    def _give_back(self, worker: _Worker) -> None:
        with self._free:
            self._busy -= 1
            if self._closed:
                worker.stop(kill=False)
            else:
                self._idle.append(worker)
            self._free.notify()

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        worker.stop(kill=kill)
        with self._free:
            self._busy -= 1
            if not self._closed and self._busy + len(self._idle) < self.size:
                self._idle.append(self._start())  # starts importing now, ready when needed
            self._free.notify()

    def _start(self) -> _Worker:
        return _Worker(self.memory_mb, self.duckdb_pool_size)

    def _best_idle(self, affinity: str) -> int:
        """Which idle worker gets a job: the one that ran `affinity` most recently, else the one
        holding the fewest databases (the pool fills evenly), ties to the longest idle."""
        best, best_rank = 0, None
        for position, worker in enumerate(self._idle):
            if affinity and affinity in worker.recent:
                rank: tuple[int, int] = (0, -list(worker.recent).index(affinity))
            else:
                rank = (1, len(worker.recent))
            if best_rank is None or rank < best_rank:
                best, best_rank = position, rank
        return best


def run_on_files(
    sql: str,
    params: list[Any],
    tables: dict[str, str],
    *,
    source_id: int | None = None,
    version: int = 0,
    fresh: bool | None = None,
    place: S3Place | None = None,
) -> QueryResult:
    """Run one SELECT over Parquet `tables` (name -> path) in a locked-down DuckDB in a worker.

    A table's path may be an `s3://` URI in `place`'s bucket (object storage): the worker then
    reads exactly that object through a pyarrow dataset (see duckpool).
    `source_id` and `version` name the source version the tables belong to: with the workspace in
    scope they key the worker's pooled database, and a new version evicts the old one's. `fresh`
    forces a single-use database (default: only when AISER_DUCKDB_POOL_SIZE is 0).
    Raises QueryError for the query's own errors, its time, memory and size limits.
    """
    memory_mb = settings.AISER_QUERY_MEMORY_MB
    scope = PoolScope(
        organisation=hooks.current_workspace() or "",
        source="" if source_id is None else str(source_id),
        version=version,
    )
    job = FilesJob(
        sql=sql,
        params=list(params),
        tables=dict(tables),
        timeout_s=settings.AISER_QUERY_TIMEOUT_S,
        max_rows=settings.AISER_QUERY_MAX_ROWS,
        max_bytes=settings.AISER_QUERY_MAX_BYTES,
        max_cell_bytes=settings.AISER_QUERY_MAX_CELL_BYTES,
        # DuckDB's own accounting misses some allocations; half leaves room for them and Python.
        memory_limit=f"{max(memory_mb // 2, 64)}MB",
        scope=scope,
        fresh=_duckdb_pool_size() == 0 if fresh is None else fresh,
        place=place,
    )
    return _result(current_pool().run(job, timeout_s=settings.AISER_QUERY_TIMEOUT_S))


def run_on_database(connector: Any, sql: str, params: list[Any]) -> QueryResult:
    """Run one read-only query through `connector` (PostgresConnector or MySQLConnector) in a worker.

    Raises QueryError for the query's own errors and its limits, ConnectionFailed when the
    database cannot be reached.
    """
    job = DatabaseJob(
        connector=connector,
        sql=sql,
        params=list(params),
        max_rows=settings.AISER_QUERY_MAX_ROWS,
        max_bytes=settings.AISER_QUERY_MAX_BYTES,
        max_cell_bytes=settings.AISER_QUERY_MAX_CELL_BYTES,
    )
    return _result(current_pool().run(job, timeout_s=settings.AISER_QUERY_TIMEOUT_S))


def _result(reply: Reply) -> QueryResult:
    if not reply.error:
        return reply.result
    if reply.error == "out_of_memory":
        raise QueryError(memory_message(settings.AISER_QUERY_MEMORY_MB), code="out_of_memory")
    if reply.error == "ConnectionFailed":
        raise ConnectionFailed(reply.message)
    if reply.error == "QueryError":
        raise QueryError(reply.message, code=reply.code or None)
    raise RuntimeError(f"the query worker failed:\n{reply.message}")


def _duckdb_pool_size() -> int:
    return max(settings.AISER_DUCKDB_POOL_SIZE, 0)


def current_pool() -> QueryPool:
    """This process's pool of query workers for the current settings (one per configuration)."""
    return _pool_for(
        settings.AISER_QUERY_WORKERS,
        settings.AISER_QUERY_MEMORY_MB,
        settings.AISER_QUERY_WORKER_MAX_JOBS,
        _duckdb_pool_size(),
    )


@lru_cache(maxsize=4)
def _pool_for(size: int, memory_mb: int, max_jobs: int, duckdb_pool_size: int) -> QueryPool:
    # One pool per process and configuration: a test that changes a setting gets its own.
    pool = QueryPool(size=size, memory_mb=memory_mb, max_jobs=max_jobs, duckdb_pool_size=duckdb_pool_size)
    atexit.register(pool.close)
    return pool


def _python_path() -> str:
    existing = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(part for part in (str(_PROJECT_ROOT), existing) if part)
