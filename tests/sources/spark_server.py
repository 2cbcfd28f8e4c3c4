# SPDX-License-Identifier: MIT
"""A real Spark Connect server on loopback for the Spark source tests: the Spark distribution that
ships in the pyspark package, started with spark-submit on a free port in its own process group and
killed with that group at the end. Imported by test modules."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_S = 240  # a JVM on a loaded 2-core machine takes a while; it usually starts in ~20 s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def spark_connect_server(workdir: Path) -> Iterator[int]:
    """Start a Spark Connect server (local[2], 1 GB driver) bound to 127.0.0.1 and yield its port.

    Skips the test when no Java runtime is installed; fails, with the server's log, when it does not
    start within START_TIMEOUT_S seconds."""
    if shutil.which("java") is None:
        pytest.skip("Spark Connect needs a Java 17+ runtime (`java` is not on PATH)")
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    port = _free_port()
    log_path = workdir / "spark-connect.log"
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOG_DIR": str(workdir)}
    command = [
        str(spark_home / "bin" / "spark-submit"),
        "--class", SERVER_CLASS,
        "--name", "aiser-test-spark-connect",
        "--master", "local[2]",
        "--driver-memory", "1g",
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=4",
        "--conf", f"spark.sql.warehouse.dir={workdir / 'warehouse'}",
        "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={workdir}",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text()[-3000:]
                raise RuntimeError(f"the Spark Connect server did not start; its log ends:\n{tail}")
            time.sleep(0.5)
        yield port
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[Any]) -> None:
    # The group holds the JVM (spark-submit execs it); SIGTERM lets Spark clean up its temp dirs.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def spark_sql(port: int, *statements: str) -> list[list[Any]]:
    """Run `statements` in a plain Spark Connect session (the test's own setup, not Aiser's path);
    the rows of the last one."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql.connect.session import SparkSession

        spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
    try:
        rows: list[list[Any]] = []
        for statement in statements:
            rows = [list(row) for row in spark.sql(statement).collect()]
        return rows
    finally:
        spark.stop()
