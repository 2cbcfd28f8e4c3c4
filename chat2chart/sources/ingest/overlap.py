# SPDX-License-Identifier: MIT
"""Overlap reading, converting and writing, so ingestion uses a second core.

pyarrow releases the GIL while it parses CSV and writes Parquet, so a reader thread and a writer
thread run truly alongside the conversion on the calling thread. Queues are short, which keeps
memory at a few chunks whatever the file size.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Yield from `items`, producing the next ones in a background thread; errors surface here."""
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put((_DONE, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                buffer.get_nowait()  # unblock a producer waiting on a full queue
            thread.join(timeout=0.05)


class BackgroundWriter:
    """A ParquetWriter fed from a single worker thread, at most `depth` batches behind."""

    def __init__(self, writer: pq.ParquetWriter, depth: int = 2) -> None:
        self._writer = writer
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._pending: list[Future[Any]] = []
        self._depth = depth

    def write(self, batch: pa.RecordBatch) -> None:
        self._pending.append(self._executor.submit(self._writer.write_batch, batch))
        while len(self._pending) > self._depth:
            self._pending.pop(0).result()

    def close(self) -> None:
        """Wait for every batch, then close the file; raises the first write error."""
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pending.clear()
            self._executor.shutdown(wait=True)
            self._writer.close()
