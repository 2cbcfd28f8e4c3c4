# SPDX-License-Identifier: MIT
"""Ingest one uploaded file in a bounded worker process, so the web process never holds a file.

Each ingestion runs in a fresh interpreter started as `python -m chat2chart.sources.ingest_worker`,
which imports pyarrow and DuckDB (never Django), caps its address space at what the imports
mapped plus the job's budget (RLIMIT_AS, as the query workers do), reads one job, streams progress
back, answers, and exits: whatever the file cost is returned to the system when it ends. To hide
the start-up (about 0.6 s of imports), each parent keeps one started worker waiting after its first
ingestion. A worker that dies, runs out of memory or outruns its time is reported as an
`IngestError` with a message for the user; nothing it wrote is published.

Frames are pickles with an 8-byte length in front, on the worker's stdin and on a copy of its
stdout (the real stdout goes to stderr so a stray print cannot corrupt a frame). The framing is a
copy of query_worker's (owned by the query pool), kept here so the two can change apart.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import resource
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

logger = logging.getLogger(__name__)

_FRAME = struct.Struct("!Q")
READY = "ready"
STARTUP_TIMEOUT_S = 60.0  # imports take ~0.6 s; far more on a machine busy with other work
PROGRESS_INTERVAL_S = 0.25
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class IngestJob:
    """One file to read: `kind` "ingest" writes tables to `out_dir`; "check" only counts the values a
    chosen type would empty and refuses as ingestion would (nothing is written)."""

    kind: Literal["ingest", "check"]
    path: str
    original_name: str
    out_dir: str
    options: dict[str, Any]  # keyword arguments of ingest_file / check_type_changes
    memory_mb: int  # address space the job may use on top of the worker's imports


@dataclass(frozen=True)
class Progress:
    rows: int
    fraction: float


@dataclass(frozen=True)
class IngestReply:
    """What a job came to: the IngestResult, or an error by kind with a message for the user."""

    result: Any = None
    error: str = ""  # "" | "IngestError" | "out_of_memory" | "internal"
    message: str = ""
    details: Any = None
    peak_rss_mb: float = 0.0  # the worker's peak resident memory (VmHWM), for logs and benches
    stats: dict[str, float] = field(default_factory=dict)


def write_frame(stream: IO[bytes], value: Any) -> None:
    """Pickle `value` and write it with its length in front."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next value written by `write_frame`; EOFError when the other side has gone."""
    header = _read_exactly(stream, _FRAME.size)
    # Only ever the other end of our own pipe: the parent and the worker it started.
    return pickle.loads(_read_exactly(stream, _FRAME.unpack(header)[0]))  # noqa: S301


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# --- The parent's side --------------------------------------------------------------------------------


class _Worker:
    def __init__(self) -> None:
        # Arrow allocates through malloc, so RLIMIT_AS sees every buffer (mimalloc and jemalloc reserve
        # address space up front and would make the limit meaningless).
        env = {
            **os.environ,
            "MALLOC_ARENA_MAX": "2",
            "ARROW_DEFAULT_MEMORY_POOL": "system",
            "PYTHONPATH": _python_path(),
        }
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line, no user input
            [sys.executable, "-m", "chat2chart.sources.ingest_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=_PROJECT_ROOT,
            close_fds=True,
        )

    def receive(self, deadline: float) -> Any:
        """The next frame; TimeoutError past `deadline`, EOFError when the worker has gone."""
        assert self.process.stdout is not None
        readable, _, _ = select.select([self.process.stdout], [], [], max(deadline - time.monotonic(), 0))
        if not readable:
            raise TimeoutError
        return read_frame(self.process.stdout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except OSError:
                    continue  # a job still buffered for a worker that died: nothing to deliver


class IngestWorkers:
    """Runs jobs in single-use workers, at most `size` at once, keeping one started worker spare."""

    def __init__(self, *, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._spare: _Worker | None = None

    def run(self, job: IngestJob, *, timeout_s: float, on_progress: Any = None) -> IngestReply:
        """Run `job` and return the worker's reply; an unanswered job is killed after `timeout_s`.

        A worker that dies without answering (most often the kernel or its own limit ending it
        for memory) gives `IngestReply(error="out_of_memory")`; one that times out, `"timeout"`.
        """
        deadline = time.monotonic() + timeout_s
        if not self._slots.acquire(timeout=timeout_s):
            return IngestReply(error="busy")
        try:
            worker = self._take()
            try:
                return self._ask(worker, job, deadline, on_progress)
            finally:
                worker.stop()
                self._replace_spare()
        finally:
            self._slots.release()

    def close(self) -> None:
        """Stop the spare worker (a running job's worker stops when its job ends)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.stop()

    def _take(self) -> _Worker:
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.process.poll() is None:
            return spare
        if spare is not None:
            spare.stop()
        return _Worker()

    def _replace_spare(self) -> None:
        with self._lock:
            if self._spare is None:
                self._spare = _Worker()

    def _ask(self, worker: _Worker, job: IngestJob, deadline: float, on_progress: Any) -> IngestReply:
        assert worker.process.stdin is not None
        try:
            if worker.receive(min(deadline, time.monotonic() + STARTUP_TIMEOUT_S)) != READY:
                return IngestReply(error="internal", message="the ingest worker did not start")
            write_frame(worker.process.stdin, job)
            while True:
                frame = worker.receive(deadline)
                if isinstance(frame, Progress):
                    if on_progress is not None:
                        on_progress(frame.rows, frame.fraction)
                    continue
                return frame
        except TimeoutError:
            return IngestReply(error="timeout")
        except (EOFError, OSError):
            worker.stop()
            code = worker.process.returncode
            logger.warning("ingest worker %s ended with code %s", worker.process.pid, code)
            return IngestReply(error="out_of_memory")


def ingest_in_worker(
    path: Path, original_name: str, out_dir: Path, *, on_progress: Any = None, **options: Any
) -> Any:
    """`ingest_file(path, original_name, out_dir, **options)` in a worker; returns its IngestResult.

    Limits come from settings (AISER_INGEST_MEMORY_MB, AISER_INGEST_TIMEOUT_S). Raises IngestError
    for the file's own problems and for a worker that ran out of memory or time.
    """
    from chat2chart.core import hooks  # here: the worker process itself imports this module without Django

    job = _job("ingest", path, original_name, out_dir, options)
    with hooks.timed("ingest_seconds"):
        return _answer(job, on_progress)


def check_in_worker(path: Path, original_name: str, **options: Any) -> None:
    """`check_type_changes(path, original_name, **options)` in a worker: raises its IngestError."""
    _answer(_job("check", path, original_name, path.parent, options), None)


def _job(kind: Literal["ingest", "check"], path: Path, name: str, out_dir: Path, options: Any) -> IngestJob:
    from django.conf import settings

    return IngestJob(kind, str(path), name, str(out_dir), dict(options), settings.AISER_INGEST_MEMORY_MB)


def _answer(job: IngestJob, on_progress: Any) -> Any:
    from django.conf import settings

    from chat2chart.core.errors import IngestError

    reply = _pool(settings.AISER_INGEST_WORKERS).run(
        job, timeout_s=settings.AISER_INGEST_TIMEOUT_S, on_progress=on_progress
    )
    if reply.error == "IngestError":
        raise IngestError(reply.message, details=reply.details)
    if reply.error == "out_of_memory":
        raise IngestError(
            f"Reading this file needed more than the {settings.AISER_INGEST_MEMORY_MB:,} MB of memory an "
            "upload may use. Split the file, or remove columns you do not need, and upload it again.",
            code="out_of_memory",
        )
    if reply.error == "timeout":
        raise IngestError(
            f"Reading this file took longer than {settings.AISER_INGEST_TIMEOUT_S:,.0f} s and was stopped. "
            "Split the file and upload the parts.",
            code="timeout",
        )
    if reply.error == "busy":
        raise IngestError("Aiser is reading other files; upload this one again in a moment.", code="busy")
    if reply.error:
        raise RuntimeError(f"the ingest worker failed:\n{reply.message}")
    logger.info(
        "ingested %s in %.2f s, worker peak %.0f MB",
        job.original_name,
        reply.stats.get("seconds", 0.0),
        reply.peak_rss_mb,
    )
    return reply.result


@lru_cache(maxsize=4)
def _pool(size: int) -> IngestWorkers:
    # One pool per process and size: a test that changes the setting gets its own.
    pool = IngestWorkers(size=size)
    atexit.register(pool.close)
    return pool


def _python_path() -> str:
    existing = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(part for part in (str(_PROJECT_ROOT), existing) if part)


# --- The worker's side --------------------------------------------------------------------------------


def _status_bytes(field_name: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field_name + ":"))


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the imports already mapped plus `memory_mb`, so the limit
    measures what reading the file allocates, not how big Python, pyarrow and DuckDB are."""
    limit = _status_bytes("VmSize") + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _start_arrow_threads() -> None:
    """Start Arrow's I/O threads before the limit is set: a thread that cannot start under it makes
    the streaming CSV reader wait forever instead of failing."""
    import io

    import pyarrow.csv as pacsv

    for _ in pacsv.open_csv(io.BytesIO(b"a,b\n1,2\n")):
        pass


def run_job(job: IngestJob, send: Any) -> IngestReply:
    """Run one job, sending Progress frames through `send`; every outcome becomes a reply."""
    import duckdb
    import pyarrow as pa

    from chat2chart.core.errors import IngestError
    from chat2chart.sources.ingest import check_type_changes, ingest_file

    last = [0.0]

    def progress(rows: int, fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL_S or fraction >= 1.0:
            last[0] = now
            send(Progress(rows, fraction))

    started = time.perf_counter()
    try:
        if job.kind == "check":
            check_type_changes(Path(job.path), job.original_name, **job.options)
            result: Any = None
        else:
            options = {**job.options, "on_progress": progress}
            result = ingest_file(Path(job.path), job.original_name, Path(job.out_dir), **options)
        return IngestReply(result=result, stats={"seconds": time.perf_counter() - started})
    except IngestError as exc:
        return IngestReply(error="IngestError", message=exc.message, details=exc.details)
    except (MemoryError, pa.ArrowMemoryError, duckdb.OutOfMemoryException):
        return IngestReply(error="out_of_memory")
    except RuntimeError as exc:
        if "can't start new thread" in str(exc):  # a thread's stack did not fit under the limit
            return IngestReply(error="out_of_memory")
        return IngestReply(error="internal", message=traceback.format_exc())
    except Exception:  # a bug in Aiser, not in the file: the parent logs it as such
        return IngestReply(error="internal", message=traceback.format_exc())


def main() -> int:
    """Serve exactly one job from stdin, then exit."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import chat2chart.sources.ingest  # noqa: F401 - the imports the limit leaves out

    _start_arrow_threads()

    try:
        write_frame(replies, READY)
        job = read_frame(sys.stdin.buffer)
    except (EOFError, BrokenPipeError):
        return 0  # a spare the parent no longer needs
    _limit_memory(job.memory_mb)
    reply = run_job(job, lambda frame: write_frame(replies, frame))
    reply = IngestReply(
        result=reply.result,
        error=reply.error,
        message=reply.message,
        details=reply.details,
        peak_rss_mb=round(_status_bytes("VmHWM") / 1024**2, 1),
        stats=reply.stats,
    )
    write_frame(replies, reply)
    return 0


if __name__ == "__main__":
    # Run the imported module's main, so jobs unpickle to the same classes the parent sent.
    from chat2chart.sources.ingest_worker import main as module_main

    sys.exit(module_main())
