# SPDX-License-Identifier: MIT
"""Ready, locked-down DuckDB databases over one source version's Parquet files, kept per process.

Building a database per query cost ~35 ms around ~30-60 ms of execution (start, eleven SETs,
views, close) and threw away DuckDB's Parquet metadata cache every time. A `DuckPool` keeps up
to `size` of them, least recently used first out, each made for exactly one
(organisation, source, version) *and* one set of table files: a database is only ever handed to a
query whose scope and files are the very ones it was built for, so an organisation's query cannot
be given another's database, and even if it were, its `allowed_paths` would not let it read a file
it was not built for. A new version of a source evicts the databases of its older versions.

Each database is locked once when it is built (see `open_locked_database`) and checked after every
query: a catalogue that gained anything (a table, view, sequence, type, variable or attached
database) sends it to be closed instead of reused. Runs inside the query worker; no Django here.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from chat2chart.core.errors import QueryError
from chat2chart.sources.objectstore import S3_SCHEME, S3Place, split_uri

DEFAULT_POOL_SIZE = 4
SPARE_DATABASES = 2
# DuckDB starts 8 I/O threads per database by default, each reserving an 8 MB stack: ~70 MB of
# address space per pooled database against the worker's RLIMIT_AS. Local Parquet needs none.
CONNECT_CONFIG: dict[str, str | bool | int | float | list[str]] = {"async_threads": 0}
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# What a query could add to the catalogue if it ever got past the single-SELECT check. Macros are
# not counted (listing functions takes ~25 ms); only CREATE makes one, and CREATE never runs.
_CATALOGUE_STATE = """
SELECT (SELECT count(*) FROM duckdb_tables()),
       (SELECT count(*) FROM duckdb_views() WHERE NOT internal),
       (SELECT count(*) FROM duckdb_sequences()),
       (SELECT count(*) FROM duckdb_types() WHERE NOT internal),
       (SELECT count(*) FROM duckdb_variables()),
       (SELECT count(*) FROM duckdb_indexes()),
       (SELECT count(*) FROM duckdb_databases() WHERE NOT internal)
"""


@dataclass(frozen=True)
class PoolScope:
    """Whose data a database holds: the organisation's schema, the source's id and its version.

    The empty scope is for callers that know only the files (benchmarks, evaluation scripts)."""

    organisation: str = ""
    source: str = ""
    version: int = 0


@dataclass(frozen=True)
class DatabaseSpec:
    """Everything a locked database is built from; equal specs may share a database, others never."""

    scope: PoolScope
    tables: tuple[tuple[str, str], ...]  # (table name, Parquet path or s3:// URI), sorted by name
    memory_limit: str
    threads: int
    place: S3Place | None = None  # the bucket of the s3:// tables (object storage)

    @classmethod
    def of(
        cls,
        scope: PoolScope | None,
        tables: dict[str, str],
        *,
        memory_limit: str,
        threads: int,
        place: S3Place | None = None,
    ) -> DatabaseSpec:
        """The spec for `tables` (name -> Parquet path) in `scope` (None: the empty scope)."""
        return cls(
            scope or PoolScope(), tuple(sorted(tables.items())), memory_limit.strip(), int(threads), place
        )


@dataclass(eq=False)
class LockedDatabase:
    """One locked-down in-memory DuckDB database with one view per table of `spec`."""

    spec: DatabaseSpec
    conn: duckdb.DuckDBPyConnection
    catalogue: tuple = ()  # _CATALOGUE_STATE right after it was built
    uses: int = 0
    checked: bool = True  # False from the end of a query until its catalogue was compared again
    pooled: bool = field(default=True)  # False for a single-use database (the old path, on request)

    def unchanged(self) -> bool:
        """Whether the catalogue is exactly as built (running this also drops an unread result)."""
        try:
            return self.conn.execute(_CATALOGUE_STATE).fetchone() == self.catalogue
        except duckdb.Error:
            return False

    def close(self) -> None:
        try:
            self.conn.close()
        except duckdb.Error:
            return  # already unusable; nothing left to free


class DuckPool:
    """At most `size` ready databases per process, by spec, least recently used evicted first.

    `take` hands a database out exclusively (a worker runs one query at a time; threads of one
    process each get their own), `give_back` returns it after a query, `discard` closes it.
    Thread-safe. Size 0 keeps nothing: every query gets a fresh database, closed afterwards.
    """

    def __init__(self, size: int = DEFAULT_POOL_SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._ready: OrderedDict[DatabaseSpec, LockedDatabase] = OrderedDict()
        self._pid = os.getpid()
        self.hits = 0
        self.misses = 0

    def take(self, spec: DatabaseSpec, *, fresh: bool = False) -> tuple[LockedDatabase, bool]:
        """A locked database built for exactly `spec`, and whether it was reused (a pool hit).

        `fresh` builds a single-use one (closed by `give_back`) and leaves the pool as it is.
        Raises QueryError when a table name is unusable or its file is missing."""
        if fresh:
            built = open_locked_database(spec)
            built.pooled = False
            return built, False
        with self._lock:
            self._forget_after_fork()
            stale = [other for other in self._ready if _older_version(other, spec)]
            for other in stale:
                self._ready.pop(other).close()
            database = self._ready.pop(spec, None)
        if database is not None and (database.checked or database.unchanged()):
            database.checked = True
            self.hits += 1
            return database, True
        if database is not None:
            database.close()
        self.misses += 1
        built = open_locked_database(spec)
        built.pooled = self.size > 0
        return built, False

    def give_back(self, database: LockedDatabase) -> None:
        """Keep `database` for the next query of its spec; its catalogue is compared with how it
        was built by `tidy` (or by the next `take`) before anyone uses it again."""
        database.uses += 1
        if not database.pooled:
            database.close()
            return
        database.checked = False
        evicted: list[LockedDatabase] = []
        with self._lock:
            self._forget_after_fork()
            previous = self._ready.pop(database.spec, None)
            if previous is not None:
                evicted.append(previous)  # two threads built the same spec at once: keep one
            self._ready[database.spec] = database
            while len(self._ready) > self.size:
                evicted.append(self._ready.popitem(last=False)[1])
        for old in evicted:
            old.close()

    def discard(self, database: LockedDatabase) -> None:
        """Close `database` instead of keeping it (after a time-out, an error or a stateful query)."""
        database.close()

    def tidy(self) -> None:
        """Compare the catalogue of every database used since the last tidy with how it was built,
        closing any that changed; the worker calls this after sending its reply."""
        with self._lock:
            unchecked = [database for database in self._ready.values() if not database.checked]
        for database in unchecked:
            if database.unchanged():
                database.checked = True
                continue
            with self._lock:
                if self._ready.get(database.spec) is database:
                    del self._ready[database.spec]
            database.close()

    def resize(self, size: int) -> None:
        """Keep at most `size` databases from now on (0: none)."""
        with self._lock:
            self.size = size
            evicted = []
            while len(self._ready) > size:
                evicted.append(self._ready.popitem(last=False)[1])
        for old in evicted:
            old.close()

    def specs(self) -> list[DatabaseSpec]:
        """The specs of the databases kept, least recently used first."""
        with self._lock:
            return list(self._ready)

    def close(self) -> None:
        """Close every database kept; the pool stays usable."""
        with self._lock:
            kept, self._ready = list(self._ready.values()), OrderedDict()
        for database in kept:
            database.close()

    def _forget_after_fork(self) -> None:
        # A forked child must not touch its parent's databases (their threads are not in it).
        if self._pid != os.getpid():
            _ABANDONED.extend(self._ready.values())
            self._ready = OrderedDict()
            self._pid = os.getpid()


_ABANDONED: list[LockedDatabase] = []


def _older_version(kept: DatabaseSpec, wanted: DatabaseSpec) -> bool:
    old, new = kept.scope, wanted.scope
    same_source = old.organisation == new.organisation and old.source == new.source
    return bool(new.source) and same_source and old.version != new.version


def open_locked_database(spec: DatabaseSpec) -> LockedDatabase:
    """A new in-memory database with one view per table of `spec`, then locked down.

    The lock-down, once: UTC; DuckDB's memory limit and threads; no spilling to disk; no extension
    installs or loads; no persistent secrets; no external access except `allowed_paths`, exactly
    the spec's files (views are bound again at query time, so their files must stay readable);
    Parquet metadata cached across queries; and `lock_configuration` last, so the user's SQL can
    undo none of it. Raises QueryError for an unusable table name or a missing file.
    """
    conn = _spare_databases.take()
    try:
        _create_views(conn, spec.tables, spec.place)
        local = [path for _, path in spec.tables if not path.startswith(S3_SCHEME)]
        conn.execute("SET allowed_paths = ?", [local])
        for statement in (
            "SET TimeZone = 'UTC'",
            f"SET memory_limit = '{checked_size(spec.memory_limit)}'",
            f"SET threads = {int(spec.threads)}",
            "SET temp_directory = ''",  # no spilling into whatever the working directory is
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET allow_community_extensions = false",
            "SET allow_persistent_secrets = false",
            "SET parquet_metadata_cache = true",  # footers read once per database, not per query
            "SET enable_external_access = false",
            "SET lock_configuration = true",  # last: nothing above can be undone by the user's SQL
        ):
            conn.execute(statement)
        catalogue = conn.execute(_CATALOGUE_STATE).fetchone()
    except BaseException:
        conn.close()
        raise
    return LockedDatabase(spec=spec, conn=conn, catalogue=tuple(catalogue or ()))


def _create_views(
    conn: duckdb.DuckDBPyConnection, tables: tuple[tuple[str, str], ...], place: S3Place | None
) -> None:
    for name, path in tables:
        if not _TABLE_NAME.match(name):
            raise QueryError(f"'{name}' is not a usable table name; use letters, digits and underscores.")
        if path.startswith(S3_SCHEME):
            conn.register(name, object_dataset(name, path, place))
            continue
        if not Path(path).is_file():
            raise QueryError(f"The data of table '{name}' is missing; upload the file again.")
        # A view cannot take bound parameters, so the path goes in as an escaped string literal.
        literal = "'" + str(path).replace("'", "''") + "'"
        conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')


def object_dataset(name: str, uri: str, place: S3Place | None) -> Any:
    """A pyarrow dataset over exactly the one Parquet object at `uri` (object storage).

    DuckDB's httpfs is not used (it would need a download and external access): Aiser opens the
    object through pyarrow's S3 filesystem and DuckDB scans the dataset through Arrow, with
    projection and filter pushdown. The dataset names one object, so a query can read nothing else
    of the bucket; `enable_external_access` stays off."""
    import pyarrow.dataset as ds  # here, not at the top: only object storage needs it in the worker

    bucket, key = split_uri(uri)
    if place is None or bucket != place.bucket or not key:
        raise QueryError(f"The data of table '{name}' is not in the configured bucket.")
    try:
        return ds.dataset(f"{bucket}/{key}", filesystem=place.filesystem(), format="parquet")
    except FileNotFoundError:
        raise QueryError(f"The data of table '{name}' is missing; upload the file again.") from None
    except OSError as error:
        raise QueryError(
            f"The data of table '{name}' could not be read from object storage: {error}"
        ) from None


def checked_size(size: str) -> str:
    """`size` ("1GB", "512 MiB") stripped, or ValueError when DuckDB would not read it as a size."""
    if not re.fullmatch(r"\d+(\.\d+)?\s?[KMGT]?i?B", size.strip(), flags=re.IGNORECASE):
        raise ValueError(f"memory_limit must look like '1GB', not {size!r}")
    return size.strip()


class _SpareDatabases:
    """Brand-new in-memory databases made ahead of time by a background thread.

    Starting a DuckDB database takes ~15-20 ms; a pool miss (or the single-use path) takes a spare
    so that cost is off the request. Per process: a forked worker starts its own. At interpreter
    exit the thread is stopped and every spare closed before DuckDB is torn down: a thread still
    holding a connection then made the process abort (exit code 134).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._spares: queue.Queue[duckdb.DuckDBPyConnection] = queue.Queue(maxsize=size)

    def take(self) -> duckdb.DuckDBPyConnection:
        self._start_once()
        try:
            return self._spares.get_nowait()
        except queue.Empty:
            return duckdb.connect(":memory:", config=CONNECT_CONFIG)

    def close(self) -> None:
        """Stop the filling thread and close the spares; `take` still works, without spares."""
        self._stop.set()
        thread = self._thread
        while thread is not None and thread.is_alive():
            self._drain()  # frees a slot, so a thread blocked in put() can see the stop
            thread.join(timeout=0.05)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._spares.get_nowait().close()
            except queue.Empty:
                return

    def _start_once(self) -> None:
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            first = self._pid is None
            self._pid = os.getpid()
            # Never hand out a parent process's databases after a fork: start a queue of our own.
            spares: queue.Queue[duckdb.DuckDBPyConnection] = queue.Queue(maxsize=self._size)
            self._spares = spares
            self._thread = threading.Thread(
                target=self._fill, args=(spares, self._stop), name="duckdb-spares", daemon=True
            )
            self._thread.start()
            if first:
                atexit.register(close_databases)

    @staticmethod
    def _fill(spares: queue.Queue[duckdb.DuckDBPyConnection], stop: threading.Event) -> None:
        while not stop.is_set():
            conn = duckdb.connect(":memory:", config=CONNECT_CONFIG)
            while not stop.is_set():
                try:
                    spares.put(conn, timeout=0.5)
                    break
                except queue.Full:
                    continue
            else:
                conn.close()


_spare_databases = _SpareDatabases(SPARE_DATABASES)
_pool = DuckPool(DEFAULT_POOL_SIZE)


def process_pool() -> DuckPool:
    """This process's pool (the query worker sizes it from AISER_DUCKDB_POOL_SIZE at start)."""
    return _pool


def close_databases() -> None:
    """Close every pooled database, stop making spares and close those made; for a process about
    to exit (DuckDB aborts the process when a database is still open in another thread then)."""
    _pool.close()
    _spare_databases.close()
