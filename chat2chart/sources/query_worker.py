# SPDX-License-Identifier: MIT
"""The query worker: a small process that runs one query job at a time under an address-space
limit, started by the executor as `python -m chat2chart.sources.query_worker MEMORY_MB [POOL_SIZE]`.

It imports DuckDB and the database drivers but never Django, so it starts fast and holds no
web-process state. Jobs and replies are pickles framed by an 8-byte length on stdin and on a
copy of stdout; the real stdout goes to stderr so a stray print cannot corrupt a reply. The
worker exits when its stdin closes, which is also what happens when the web process dies.
(No PR_SET_PDEATHSIG: it fires when the *thread* that started the worker ends, and requests
start workers from short-lived threads.) It keeps up to POOL_SIZE locked-down DuckDB databases
ready between jobs (see duckpool) and checks the one a job used after sending the reply.
"""

from __future__ import annotations

import os
import pickle
import resource
import struct
import sys
import traceback
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

import orjson

_FRAME = struct.Struct("!Q")
READY = "ready"  # the first frame a worker sends, once its imports are done and its limit set


@dataclass(frozen=True)
class FilesJob:
    """SQL over Parquet files in a locked-down DuckDB (see duck.run_duckdb)."""

    sql: str
    params: list[Any]
    tables: dict[str, str]  # table name -> Parquet path
    timeout_s: float
    max_rows: int
    max_bytes: int
    max_cell_bytes: int
    memory_limit: str  # DuckDB's own limit, below the process limit so it can fail cleanly first
    scope: Any = None  # duckpool.PoolScope: whose data (organisation, source, version); None: files only
    fresh: bool = False  # a single-use database instead of a pooled one (the path before pooling)
    place: Any = None  # objectstore.S3Place of the `s3://` tables (object storage); None: local files

    @property
    def affinity(self) -> str:
        """Jobs with the same affinity reuse the same pooled database, so go to the same worker."""
        return repr((self.scope, sorted(self.tables.items())))


@dataclass(frozen=True)
class DatabaseJob:
    """SQL through a database connector (PostgresConnector or MySQLConnector), read-only."""

    connector: Any
    sql: str
    params: list[Any]
    max_rows: int
    max_bytes: int
    max_cell_bytes: int

    @property
    def affinity(self) -> str:
        return ""  # connectors open a connection per job; any worker will do


@dataclass(frozen=True)
class Reply:
    """What a job came to: a result, or an error by kind with a message for the user."""

    result: Any = None
    error: str = ""  # "" | "QueryError" | "ConnectionFailed" | "out_of_memory" | "internal"
    message: str = ""
    code: str = ""  # a QueryError's own code (e.g. "connection_lost"), kept across the pipe
    retire: bool = False  # the worker stops after this reply; the pool starts a fresh one
    peak_rss_mb: float = 0.0  # the worker's peak resident memory so far (VmHWM), for logs and benches
    pid: int = 0  # the worker's process id
    reused_database: bool = False  # a files job ran on a pooled DuckDB database built by an earlier job
    # The result's rows as one orjson document (`result.rows` is then empty): for 100,000 rows
    # it crosses the pipe in half the time pickled rows take. See `packed` and `unpacked`.
    rows_json: bytes | None = None

    def packed(self) -> Reply:
        """This reply with its result's rows encoded into `rows_json`, for the pipe. The rows are
        JSON-friendly already (see rowcap), so they read back equal; a value orjson cannot encode
        (an integer past 64 bits) leaves them to pickle."""
        rows = getattr(self.result, "rows", None)
        if not rows or self.rows_json is not None:
            return self
        try:
            encoded = orjson.dumps(rows)
        except orjson.JSONEncodeError:
            return self
        return replace(self, result=replace(self.result, rows=[]), rows_json=encoded)

    def unpacked(self) -> Reply:
        """This reply as it was before `packed`: the result's rows back in `result.rows`."""
        if self.rows_json is None:
            return self
        return replace(self, result=replace(self.result, rows=orjson.loads(self.rows_json)), rows_json=None)


def write_frame(stream: BinaryIO, value: Any) -> None:
    """Pickle `value` and write it with its length in front."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """The next value written by `write_frame`; EOFError when the other side has gone."""
    header = _read_exactly(stream, _FRAME.size)
    # Only ever the other end of our own pipe: the executor and the worker it started.
    return pickle.loads(_read_exactly(stream, _FRAME.unpack(header)[0]))  # noqa: S301


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def run_job(job: FilesJob | DatabaseJob) -> Reply:
    """Run one job and turn every outcome into a Reply (never raises for a job's own failure)."""
    from chat2chart.core.errors import ConnectionFailed, QueryError
    from chat2chart.sources.duck import run_duckdb
    from chat2chart.sources.duckpool import process_pool
    from chat2chart.sources.rowcap import ResultLimits

    hits = process_pool().hits
    try:
        if isinstance(job, FilesJob):
            result = run_duckdb(
                job.sql,
                job.params,
                job.tables,
                timeout_s=job.timeout_s,
                max_rows=job.max_rows,
                max_bytes=job.max_bytes,
                max_cell_bytes=job.max_cell_bytes,
                memory_limit=job.memory_limit,
                scope=job.scope,
                fresh=job.fresh,
                place=job.place,
            )
        else:
            limits = ResultLimits(job.max_rows, job.max_bytes, job.max_cell_bytes)
            result = job.connector.run(job.sql, job.params, limits=limits)
        return Reply(result=result, reused_database=process_pool().hits > hits)
    except MemoryError:
        return Reply(error="out_of_memory")
    except QueryError as exc:
        kind = "out_of_memory" if exc.code == "out_of_memory" else "QueryError"
        return Reply(error=kind, message=exc.message, code=exc.code)
    except ConnectionFailed as exc:
        return Reply(error="ConnectionFailed", message=exc.message)
    except Exception:  # a bug in Aiser, not in the user's query: the parent reports it as such
        return Reply(error="internal", message=traceback.format_exc())


def _status_bytes(field_name: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field_name + ":"))


def _address_space() -> int:
    return _status_bytes("VmSize")


def _limit_memory(memory_mb: int) -> int:
    """Cap the address space at what the imports already mapped plus `memory_mb`, so the limit
    measures what a query allocates, not how big Python and DuckDB are. Returns the baseline."""
    baseline = _address_space()
    limit = baseline + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return baseline


def main(argv: list[str]) -> int:
    memory_mb = int(argv[1])
    pool_size = int(argv[2]) if len(argv) > 2 else None
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    jobs = sys.stdin.buffer
    # DuckDB loads before the limit is measured; the database connectors (sqlglot, pydantic, the
    # drivers: twice DuckDB's import time) load with the first job that needs them.
    from chat2chart.sources.duck import close_spare_databases
    from chat2chart.sources.duckpool import process_pool

    if pool_size is not None:
        process_pool().resize(pool_size)
    baseline = _limit_memory(memory_mb)
    write_frame(replies, READY)
    try:
        while True:
            try:
                job = read_frame(jobs)
            except EOFError:
                return 0
            reply = run_job(job)
            # Allocators keep much of what a big query mapped; a worker holding over half its
            # budget would fail the next query early, so it hands over to a fresh one.
            grown = _address_space() - baseline > memory_mb * 1024 * 1024 // 2
            reply = replace(
                reply,
                retire=grown or reply.error == "out_of_memory",
                peak_rss_mb=round(_status_bytes("VmHWM") / 1024**2, 1),
                pid=os.getpid(),
            ).packed()
            write_frame(replies, reply)
            if reply.retire:
                return 0
            process_pool().tidy()  # after the reply: the caller does not wait for the check
    finally:
        close_spare_databases()


if __name__ == "__main__":
    # Run the imported module's main, so jobs unpickle to the same classes run_job checks.
    from chat2chart.sources.query_worker import main as module_main

    sys.exit(module_main(sys.argv))
