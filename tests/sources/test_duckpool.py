# SPDX-License-Identifier: MIT
"""Pooled DuckDB databases in the query workers: reused for one organisation's source version,
rebuilt for a new version, never shared between organisations, checked between queries, rebuilt
after a worker dies; answers equal pandas."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from chat2chart.sources.duck import run_duckdb
from chat2chart.sources.duckpool import DatabaseSpec, DuckPool, PoolScope
from chat2chart.sources.executor import QueryPool
from chat2chart.sources.query_worker import FilesJob, Reply

TOTALS = "SELECT region, sum(revenue) AS total, count(*) AS n FROM sales GROUP BY region ORDER BY region"
ALPHA = PoolScope(organisation="org_alpha", source="7", version=1)
BETA = PoolScope(organisation="org_beta", source="7", version=1)  # same source id, another schema


def _write_sales(path: Path, rows: int, seed: int) -> pd.DataFrame:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "region": [["North", "South", "East", "West"][(i * seed) % 4] for i in range(rows)],
            "revenue": [round(((i * 7919 + seed) % 10_000) / 100, 2) for i in range(rows)],
        }
    )
    frame.to_parquet(path, index=False)
    return frame


def _pandas_totals(frame: pd.DataFrame) -> list[list[Any]]:
    grouped = frame.groupby("region")["revenue"].agg(["sum", "count"]).sort_index()
    return [[region, round(float(row["sum"]), 2), int(row["count"])] for region, row in grouped.iterrows()]


def _rounded(rows: list[list[Any]]) -> list[list[Any]]:
    return [[region, round(total, 2), n] for region, total, n in rows]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two organisations' `sales` tables (different data, same name), and a second version of alpha's."""
    root = tmp_path_factory.mktemp("duckpool")
    alpha = _write_sales(root / "org_alpha" / "sources" / "a1" / "sales.parquet", 5_000, 3)
    alpha_v2 = _write_sales(root / "org_alpha" / "sources" / "a2" / "sales.parquet", 6_000, 5)
    beta = _write_sales(root / "org_beta" / "sources" / "b1" / "sales.parquet", 4_000, 7)
    return {
        "alpha": {"sales": str(root / "org_alpha" / "sources" / "a1" / "sales.parquet")},
        "alpha_v2": {"sales": str(root / "org_alpha" / "sources" / "a2" / "sales.parquet")},
        "beta": {"sales": str(root / "org_beta" / "sources" / "b1" / "sales.parquet")},
        "frames": {"alpha": alpha, "alpha_v2": alpha_v2, "beta": beta},
    }


@pytest.fixture(scope="module")
def one_worker() -> Any:
    """One query worker keeping up to four databases: every job lands in the same process."""
    pool = QueryPool(size=1, memory_mb=1024, max_jobs=1000, duckdb_pool_size=4)
    yield pool
    pool.close()


def _job(tables: dict[str, str], scope: PoolScope, sql: str = TOTALS, **fields: Any) -> FilesJob:
    values = {
        "sql": sql,
        "params": [],
        "tables": tables,
        "timeout_s": 10.0,
        "max_rows": 1000,
        "max_bytes": 1024 * 1024,
        "max_cell_bytes": 1024,
        "memory_limit": "256MB",
        "scope": scope,
        **fields,
    }
    return FilesJob(**values)


def _run(pool: QueryPool, job: FilesJob) -> Reply:
    reply = pool.run(job, timeout_s=job.timeout_s)
    assert not reply.error, reply.message
    return reply


def test_queries_of_one_source_version_reuse_its_database_and_match_pandas(one_worker, files):
    first = _run(one_worker, _job(files["alpha"], ALPHA))
    second = _run(one_worker, _job(files["alpha"], ALPHA))

    assert second.pid == first.pid
    assert second.reused_database is True
    expected = _pandas_totals(files["frames"]["alpha"])
    assert _rounded(first.result.rows) == expected
    assert _rounded(second.result.rows) == expected


def test_a_new_source_version_gets_a_new_database_and_evicts_the_old_one(one_worker, files):
    _run(one_worker, _job(files["alpha"], ALPHA))
    newer = PoolScope(organisation=ALPHA.organisation, source=ALPHA.source, version=2)

    v2 = _run(one_worker, _job(files["alpha_v2"], newer))
    v2_again = _run(one_worker, _job(files["alpha_v2"], newer))
    v1_again = _run(one_worker, _job(files["alpha"], ALPHA))

    assert v2.reused_database is False
    assert _rounded(v2.result.rows) == _pandas_totals(files["frames"]["alpha_v2"])
    assert v2_again.reused_database is True
    assert v1_again.reused_database is False  # evicted when version 2 appeared


def test_two_organisations_in_one_worker_never_share_a_database(one_worker, files):
    alpha = _run(one_worker, _job(files["alpha"], ALPHA))
    beta = _run(one_worker, _job(files["beta"], BETA))
    alpha_again = _run(one_worker, _job(files["alpha"], ALPHA))
    beta_again = _run(one_worker, _job(files["beta"], BETA))

    assert alpha.pid == beta.pid == alpha_again.pid == beta_again.pid
    assert beta.reused_database is False
    assert _rounded(beta.result.rows) == _pandas_totals(files["frames"]["beta"])
    assert _rounded(beta_again.result.rows) == _pandas_totals(files["frames"]["beta"])
    assert _rounded(alpha_again.result.rows) == _pandas_totals(files["frames"]["alpha"])
    # Beta naming alpha's scope does not get alpha's database: the files are part of the key too.
    posing = _run(one_worker, _job(files["beta"], ALPHA))
    assert posing.reused_database is False
    assert _rounded(posing.result.rows) == _pandas_totals(files["frames"]["beta"])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM '{other}'",
        "SELECT count(*) FROM sales, read_parquet('{other}')",
    ],
)
def test_an_organisation_cannot_read_the_other_ones_file_on_a_warm_database(one_worker, files, sql):
    _run(one_worker, _job(files["beta"], BETA))  # beta's database is warm in this worker

    reply = one_worker.run(_job(files["beta"], BETA, sql.format(other=files["alpha"]["sales"])), timeout_s=10)

    assert reply.error == "QueryError"
    assert reply.result is None
    assert str(Path(files["beta"]["sales"]).parent) not in reply.message  # nor where beta's own data lives


def test_allowed_paths_of_a_pooled_database_block_another_organisations_file(files):
    pool = DuckPool(size=2)
    database, _ = pool.take(DatabaseSpec.of(BETA, files["beta"], memory_limit="256MB", threads=1))
    try:
        with pytest.raises(duckdb.PermissionException):
            database.conn.execute(
                "SELECT count(*) FROM read_parquet(?)", [files["alpha"]["sales"]]
            ).fetchall()
        with pytest.raises(duckdb.Error):
            database.conn.execute("SET enable_external_access = true")
        assert database.conn.execute("SELECT count(*) FROM sales").fetchone() == (4_000,)
    finally:
        pool.discard(database)
        pool.close()


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TEMP TABLE leftover AS SELECT 1 AS x",
        "CREATE TEMP MACRO leftover(x) AS x + 1",
        "CREATE TEMP VIEW leftover AS SELECT 1 AS x",
        "SET VARIABLE leftover = 42",
        "SET threads = 1",
        "SET memory_limit = '64GB'",
        "RESET allowed_paths",
        "PRAGMA threads = 1",
    ],
)
def test_statements_that_would_leave_state_are_refused_and_leave_none(one_worker, files, sql):
    refused = one_worker.run(_job(files["alpha"], ALPHA, sql), timeout_s=10)
    after = _run(one_worker, _job(files["alpha"], ALPHA, "SELECT getvariable('leftover') AS v"))
    threads = _run(
        one_worker,
        _job(files["alpha"], ALPHA, "SELECT count(*) AS n FROM sales WHERE region = 'North'"),
    )

    assert refused.error == "QueryError"
    assert after.result.rows == [[None]]
    missing = one_worker.run(_job(files["alpha"], ALPHA, "SELECT * FROM leftover"), timeout_s=10)
    assert missing.error == "QueryError"
    north = int((files["frames"]["alpha"]["region"] == "North").sum())
    assert threads.result.rows == [[north]]


def test_a_database_whose_catalogue_changed_is_not_handed_out_again(files):
    pool = DuckPool(size=2)
    spec = DatabaseSpec.of(ALPHA, files["alpha"], memory_limit="256MB", threads=1)
    database, _ = pool.take(spec)
    # Only our own code can do this (the user's SQL is one SELECT); the check must still catch it.
    database.conn.execute("CREATE TEMP TABLE leftover AS SELECT 1 AS x")
    pool.give_back(database)

    again, reused = pool.take(spec)
    try:
        assert reused is False
        assert again is not database
        with pytest.raises(duckdb.CatalogException):
            again.conn.execute("SELECT * FROM leftover")
    finally:
        pool.discard(again)
        pool.close()


def test_a_query_that_sets_the_random_seed_does_not_pass_it_on(one_worker, files):
    seeded = _run(
        one_worker, _job(files["alpha"], ALPHA, "SELECT setseed(0.5) AS s, count(*) AS n FROM sales")
    )
    after = _run(one_worker, _job(files["alpha"], ALPHA))

    assert seeded.result.rows == [[None, 5_000]]
    assert after.reused_database is False


def test_the_pool_keeps_at_most_its_size_least_recently_used_out(files, tmp_path):
    pool = DuckPool(size=2)
    specs = []
    for index in range(3):
        path = tmp_path / f"t{index}.parquet"
        _write_sales(path, 10, index + 1)
        specs.append(
            DatabaseSpec.of(
                PoolScope("org", str(index), 1), {"sales": str(path)}, memory_limit="64MB", threads=1
            )
        )
    try:
        for spec in specs:
            database, _ = pool.take(spec)
            pool.give_back(database)
        assert pool.specs() == specs[1:]
        _, reused = pool.take(specs[0])
        assert reused is False
    finally:
        pool.close()


def test_a_killed_worker_is_replaced_and_its_databases_rebuilt(files):
    pool = QueryPool(size=1, memory_mb=1024, max_jobs=1000, duckdb_pool_size=4)
    try:
        first = _run(pool, _job(files["alpha"], ALPHA))
        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(first.pid):
            time.sleep(0.05)

        after = _run(pool, _job(files["alpha"], ALPHA))
        again = _run(pool, _job(files["alpha"], ALPHA))
    finally:
        pool.close()

    assert after.pid != first.pid
    assert after.reused_database is False
    assert again.reused_database is True
    assert _rounded(after.result.rows) == _pandas_totals(files["frames"]["alpha"])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_the_old_single_use_path_still_answers_on_request(one_worker, files):
    fresh = [_run(one_worker, _job(files["alpha"], ALPHA, fresh=True)) for _ in range(2)]

    assert [reply.reused_database for reply in fresh] == [False, False]
    assert _rounded(fresh[1].result.rows) == _pandas_totals(files["frames"]["alpha"])


def test_in_process_callers_get_the_same_answers_pooled_or_fresh(files):
    kwargs = {"timeout_s": 10, "max_rows": 100, "scope": ALPHA}
    pooled = [run_duckdb(TOTALS, [], files["alpha"], **kwargs).rows for _ in range(2)]
    fresh = run_duckdb(TOTALS, [], files["alpha"], fresh=True, **kwargs).rows

    assert (
        _rounded(pooled[0])
        == _rounded(pooled[1])
        == _rounded(fresh)
        == _pandas_totals(files["frames"]["alpha"])
    )


# --- affinity -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_workers() -> Any:
    pool = QueryPool(size=2, memory_mb=1024, max_jobs=1000, duckdb_pool_size=4)
    yield pool
    pool.close()


def test_jobs_of_one_source_go_back_to_the_worker_holding_its_database(two_workers, files):
    replies = [
        _run(two_workers, _job(files[name], scope)) for name, scope in [("alpha", ALPHA), ("beta", BETA)] * 3
    ]

    alpha_pids = {reply.pid for reply in replies[0::2]}
    assert len(alpha_pids) == 1
    assert [reply.reused_database for reply in replies[2:]] == [True] * 4


def test_a_busy_worker_does_not_hold_up_its_source_on_another_worker(two_workers, files):
    _run(two_workers, _job(files["alpha"], ALPHA))
    endless = "SELECT count(*) FROM sales a, sales b, sales c WHERE a.revenue + b.revenue + c.revenue > 0"
    finished: dict[str, float] = {}

    def timed(name: str, job: FilesJob) -> Reply:
        reply = two_workers.run(job, timeout_s=job.timeout_s)
        finished[name] = time.monotonic()
        return reply

    gate = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as threads:
        slow = threads.submit(
            lambda: (gate.set(), timed("slow", _job(files["alpha"], ALPHA, endless, timeout_s=3.0)))[1]
        )
        gate.wait(5)
        time.sleep(0.3)  # the slow job has its worker by now
        quick = threads.submit(timed, "quick", _job(files["alpha"], ALPHA))
        quick_reply, slow_reply = quick.result(timeout=60), slow.result(timeout=60)

    assert slow_reply.error == "QueryError"
    assert "longer than 3 s" in slow_reply.message
    assert not quick_reply.error
    assert quick_reply.pid != slow_reply.pid
    assert finished["quick"] < finished["slow"]
