# SPDX-License-Identifier: MIT
"""A Spark source through Spark Connect: connection test, catalogue and read-only queries.

Spark has no read-only session, so every statement is checked by `sqlguard.require_read_only`
(one SELECT, no writes, no reflect()/java_method(), no file paths as tables) right before it is
sent. Each job opens its own Spark Connect session to the vetted IP (`sc://ip:port`, TLS still
checks the host name), tags nothing else, and is interrupted (`interruptAll`) when it outruns the
query timeout. Rows stream back in Arrow batches under the cap on rows and bytes; the session is
released at the end. Aggregation happens in Spark: the SQL is the compiler's, in Spark's dialect.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from chat2chart.core.errors import ConnectionFailed, QueryError
from chat2chart.sources.catalogue import ColumnInfo, ColumnType, TableInfo
from chat2chart.sources.connectors.params import SparkParams
from chat2chart.sources.connectors.sampling import (
    MAX_TABLES,
    SAMPLE_ROWS,
    SAMPLE_VALUES,
    lost_connection_message,
    refused_message,
    sample_value,
    scrub,
    share,
    slow_query_message,
    timed_out_message,
)
from chat2chart.sources.netsafety import resolve_public_address
from chat2chart.sources.results import QueryResult
from chat2chart.sources.rowcap import ResultLimits, fetch_capped
from chat2chart.sources.sqlguard import require_read_only

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

Resolver = Callable[..., str]

_INTEGER_TYPES = frozenset({"tinyint", "smallint", "int", "integer", "bigint", "byte", "short", "long"})
_DECIMAL_TYPES = frozenset({"float", "double", "real"})


def column_type(type_name: str) -> ColumnType:
    """Our column type for a Spark SQL type name (`int`, `decimal(10,2)`, `timestamp_ntz`...)."""
    name = type_name.strip().lower()
    if name in _INTEGER_TYPES:
        return "integer"
    if name in _DECIMAL_TYPES or name.startswith(("decimal", "numeric", "dec(")):
        return "decimal"
    if name in ("boolean", "bool"):
        return "boolean"
    if name == "date":
        return "date"
    if name.startswith("timestamp"):
        return "datetime"
    return "text"


class SparkConnector:
    def __init__(
        self,
        params: SparkParams,
        *,
        allow_private: bool,
        timeout_s: float,
        max_rows: int,
        resolve: Resolver = resolve_public_address,
    ) -> None:
        self.params = params
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._resolve = resolve

    @property
    def where(self) -> str:
        return f"sc://{self.params.host}:{self.params.port}"

    def test(self) -> None:
        """Open a session and run a trivial query; raises ConnectionFailed with what to fix."""
        with self._session() as spark:
            self._collect(spark, "SELECT 1", [])

    def list_tables(self) -> list[TableInfo]:
        """Tables and views of the Spark database (not session-local temporary views), with column
        types, row counts and sample values read from at most SAMPLE_ROWS rows."""
        with self._session() as spark:
            database = self.params.database
            try:
                tables = [t for t in spark.catalog.listTables(database) if not t.isTemporary][:MAX_TABLES]
            except Exception as exc:  # noqa: BLE001 - pyspark raises many classes; all become QueryError
                raise self._query_error(exc) from None
            return [self._describe(spark, table.name) for table in sorted(tables, key=lambda t: t.name)]

    def run(self, sql: str, params: list[Any], *, limits: ResultLimits | None = None) -> QueryResult:
        """Run one SELECT (`?` placeholders bound to `params` in order) in Spark, fetching rows
        under `limits` (by default at most max_rows rows and ResultLimits' byte caps).

        Refuses anything but one read-only SELECT (QueryError). The SQL should carry its own LIMIT
        (compile_query and check_select add one); rows past the cap are never pulled.
        """
        require_read_only(sql, "spark")
        limits = limits or ResultLimits(max_rows=self.max_rows)
        started = time.perf_counter()
        with self._session() as spark, self._deadline(spark) as timed_out:
            try:
                frame = spark.sql(sql, args=list(params))
                schema = frame.schema
                rows = frame.toLocalIterator()
                capped = fetch_capped(
                    lambda n: [tuple(r) for _, r in zip(range(n), rows, strict=False)], limits
                )
            except Exception as exc:  # noqa: BLE001 - pyspark raises many classes; all become QueryError
                raise self._query_error(exc, timed_out=timed_out.is_set()) from None
        columns = [{"name": f.name, "type": column_type(f.dataType.simpleString())} for f in schema.fields]
        return QueryResult(
            columns=columns,
            rows=capped.rows,
            truncated=capped.truncated,
            truncated_reason=capped.reason,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def explain(self, sql: str, params: list[Any]) -> list[str]:
        """Spark's own physical plan for one SELECT (analysed, not run), a line per plan line."""
        require_read_only(sql, "spark")
        with self._session() as spark, self._deadline(spark) as timed_out:
            try:
                text = spark.sql(sql, args=list(params))._explain_string(mode="formatted")  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - pyspark raises many classes; all become QueryError
                raise self._query_error(exc, timed_out=timed_out.is_set()) from None
        return [line for line in text.splitlines() if line.strip()]

    # --- sessions ------------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[SparkSession]:
        """A fresh Spark Connect session to the vetted address, released on the way out."""
        with warnings.catch_warnings():
            # pyspark warns that it is not yet tested with pandas 3; Aiser uses Arrow rows only.
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql.connect.client.core import DefaultChannelBuilder
            from pyspark.sql.connect.client.retries import DefaultPolicy
            from pyspark.sql.connect.session import SparkSession
        p = self.params
        address = self._resolve(p.host, p.port, allow_private=self.allow_private)
        self._probe(address)
        url = f"sc://{_bracketed(address)}:{p.port}/;user_agent=aiser"
        if p.user:
            url += f";user_id={urllib.parse.quote(p.user, safe='')}"
        if p.ssl:
            url += ";use_ssl=true"
        if p.password:
            url += f";token={urllib.parse.quote(p.password, safe='')}"
        # The socket goes to the vetted IP; TLS still checks the certificate against the host name.
        options = [("grpc.ssl_target_name_override", p.host)] if p.ssl else None
        try:
            # A server that goes away: retry a couple of times, not for the client's default ten minutes.
            spark = SparkSession.builder.channelBuilder(DefaultChannelBuilder(url, options)).create()
            retries = DefaultPolicy(max_retries=2, initial_backoff=100, max_backoff=1000)
            spark.client.set_retry_policies([retries])
        except Exception as exc:  # noqa: BLE001 - pyspark raises many classes; all become ConnectionFailed
            raise ConnectionFailed(
                f"could not open a Spark Connect session on {self.where}: {self._scrub(exc)}"
            ) from None
        try:
            yield spark
        finally:
            _release(spark)

    def _probe(self, address: str) -> None:
        # gRPC would retry a closed port for minutes; a plain TCP connect says what is wrong at once.
        try:
            socket.create_connection(
                (address, self.params.port), timeout=max(1.0, min(self.timeout_s, 10.0))
            ).close()
        except ConnectionRefusedError:
            raise ConnectionFailed(refused_message(self.where)) from None
        except TimeoutError:
            raise ConnectionFailed(timed_out_message(self.where)) from None
        except OSError as exc:
            raise ConnectionFailed(f"host {self.where} is unreachable from Aiser ({exc.strerror})") from None

    @contextmanager
    def _deadline(self, spark: SparkSession) -> Iterator[threading.Event]:
        """Interrupt every operation of `spark` once timeout_s has passed; the event says it fired."""
        fired = threading.Event()

        def interrupt() -> None:
            fired.set()
            # The query may have ended meanwhile: then there is nothing to stop.
            with contextlib.suppress(Exception):
                spark.interruptAll()

        timer = threading.Timer(self.timeout_s, interrupt)
        timer.daemon = True
        timer.start()
        try:
            yield fired
        finally:
            timer.cancel()

    def _collect(self, spark: SparkSession, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
        with self._deadline(spark) as timed_out:
            try:
                return [tuple(row) for row in spark.sql(sql, args=args).collect()]
            except Exception as exc:  # noqa: BLE001 - pyspark raises many classes; all become QueryError
                raise self._query_error(exc, timed_out=timed_out.is_set()) from None

    def _scrub(self, exc: BaseException) -> str:
        return scrub(str(exc), self.params.password)

    def _query_error(self, exc: BaseException, *, timed_out: bool = False) -> QueryError:
        if isinstance(exc, QueryError):
            return exc
        text = str(exc)
        if timed_out or "OPERATION_CANCELED" in text:
            return QueryError(slow_query_message(self.timeout_s), code="query_timeout")
        if "UNAVAILABLE" in text or "Connection reset" in text or "Socket closed" in text:
            return QueryError(lost_connection_message(self.where), code="connection_lost")
        if "OutOfMemory" in text or "java.lang.OutOfMemoryError" in text:
            return QueryError(
                "Spark ran out of memory for this query; add filters or aggregate more", code="out_of_memory"
            )
        return QueryError(f"Spark refused the query: {self._scrub(exc)}")

    # --- introspection -------------------------------------------------------------------------

    def _describe(self, spark: SparkSession, name: str) -> TableInfo:
        table = _quote(self.params.database, name)
        try:
            columns = [(c.name, column_type(c.dataType)) for c in spark.catalog.listColumns(table)]
        except Exception as exc:  # noqa: BLE001 - pyspark raises many classes; all become QueryError
            raise self._query_error(exc) from None
        counted = self._quietly(spark, f"SELECT COUNT(*) FROM {table}")
        row_count = int(counted[0][0]) if counted else None
        stats = self._sample(spark, table, columns)
        infos = []
        for index, (column, kind) in enumerate(columns):
            info = ColumnInfo(name=column, type=kind)
            if stats is not None:
                total = int(stats[0])
                non_null, distinct, samples = stats[1 + 3 * index : 4 + 3 * index]
                info.null_share = share(total - int(non_null), total)
                info.distinct_count = int(distinct)
                info.samples = [sample_value(v) for v in (samples or [])]
            infos.append(info)
        return TableInfo(
            name=name, columns=infos, row_count=row_count, row_count_is_estimate=row_count is None
        )

    def _sample(
        self, spark: SparkSession, table: str, columns: list[tuple[str, ColumnType]]
    ) -> tuple[Any, ...] | None:
        """Null and distinct counts and sorted example values of every column, in one Spark job
        over the first SAMPLE_ROWS rows (one job per column would cost a scheduling round each)."""
        if not columns:
            return None
        parts = ["COUNT(*)"]
        for column, kind in columns:
            ref = _quote(column)
            value = f"CAST({ref} AS STRING)" if kind == "text" else ref
            parts += [
                f"COUNT({ref})",
                f"COUNT(DISTINCT {value})",
                f"SLICE(ARRAY_SORT(COLLECT_SET({value})), 1, {SAMPLE_VALUES})",
            ]
        rows = self._quietly(
            spark, f"SELECT {', '.join(parts)} FROM (SELECT * FROM {table} LIMIT {SAMPLE_ROWS}) AS sample"
        )
        return rows[0] if rows else None

    def _quietly(self, spark: SparkSession, sql: str) -> list[tuple[Any, ...]]:
        # Statistics are a nicety: a slow or failing one leaves the table usable without them.
        try:
            return self._collect(spark, sql, [])
        except QueryError:
            return []


def _quote(*parts: str) -> str:
    return ".".join(exp.to_identifier(part, quoted=True).sql(dialect="spark") for part in parts)


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _release(spark: SparkSession) -> None:
    # Ends the session on the server (its state, cached plans) and closes the channel; best effort.
    spark.stop()
