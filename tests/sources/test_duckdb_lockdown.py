# SPDX-License-Identifier: MIT
"""The DuckDB executor answers questions over registered tables and can reach nothing else."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chat2chart.core.errors import QueryError
from chat2chart.sources.drivervalues import duckdb_column_type, json_value
from chat2chart.sources.duck import run_duckdb
from chat2chart.sources.results import QueryResult


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, str]:
    """Two tables of one organisation, and a file of another one lying next to them on disk."""
    sales = tmp_path / "org_a" / "sales-1.parquet"
    sales.parent.mkdir()
    pq.write_table(
        pa.table(
            {
                "region": ["North", "South", "North"],
                "amount": [10.5, float("nan"), 4.5],
                "day": [dt.date(2024, 1, 31), dt.date(2024, 2, 1), None],
                "at": pa.array([dt.datetime(2024, 1, 31, 8, 0)] * 3, pa.timestamp("us", tz="UTC")),
            }
        ),
        sales,
    )
    targets = tmp_path / "org_a" / "targets-1.parquet"
    pq.write_table(pa.table({"region": ["North"], "target": [12]}), targets)
    other = tmp_path / "org_b" / "secret-1.parquet"
    other.parent.mkdir()
    pq.write_table(pa.table({"salary": [250_000]}), other)
    return {"sales": str(sales), "targets": str(targets), "_other_org_file": str(other)}


def _run(sql: str, tables: dict[str, str], params: list | None = None, **kwargs) -> QueryResult:
    registered = {name: path for name, path in tables.items() if not name.startswith("_")}
    kwargs.setdefault("timeout_s", 10)
    kwargs.setdefault("max_rows", 100)
    return run_duckdb(sql, params or [], registered, **kwargs)


def test_query_reads_registered_tables_with_json_friendly_values(tables):
    result = _run(
        "SELECT s.region, s.amount, s.day, s.at, t.target, 1.25::DECIMAL(5,2) AS d "
        "FROM sales s LEFT JOIN targets t USING (region) WHERE s.region = ? ORDER BY s.day",
        tables,
        ["North"],
    )

    assert result.columns == [
        {"name": "region", "type": "text"},
        {"name": "amount", "type": "decimal"},
        {"name": "day", "type": "date"},
        {"name": "at", "type": "datetime"},
        {"name": "target", "type": "integer"},
        {"name": "d", "type": "decimal"},
    ]
    assert result.rows == [
        ["North", 10.5, "2024-01-31", "2024-01-31T08:00:00+00:00", 12, 1.25],
        ["North", 4.5, None, "2024-01-31T08:00:00+00:00", 12, 1.25],
    ]
    assert result.truncated is False
    assert result.elapsed_ms >= 0
    assert json.dumps(result.to_dict())


def test_nan_becomes_null(tables):
    assert _run("SELECT amount FROM sales WHERE region = 'South'", tables).rows == [[None]]


def test_row_cap_truncates_and_says_so(tables):
    result = _run("SELECT * FROM range(10)", tables, max_rows=3)

    assert result.rows == [[0], [1], [2]]
    assert result.truncated is True


def test_long_query_is_stopped_at_the_timeout(tables):
    with pytest.raises(QueryError, match=r"longer than 0\.2 s"):
        _run("SELECT count(*) FROM range(100000000000) a, range(10) b", tables, timeout_s=0.2)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/hostname')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/passwd')",
        "SELECT * FROM read_json('/etc/passwd')",
        "SELECT * FROM glob('/*')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM 'https://example.com/data.csv'",
        "SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM '{other}'",
        "SELECT * FROM parquet_metadata('{other}')",
        "COPY (SELECT 1) TO '{out}/escape.csv'",
        "COPY sales TO '{out}/escape.parquet'",
        "ATTACH '{out}/escape.db' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "PRAGMA enable_profiling",
        "CREATE TABLE x AS SELECT 1",
        "EXPORT DATABASE '{out}/escape'",
        "CALL pragma_version()",
        "SELECT 1; SELECT * FROM read_csv('/etc/passwd')",
        "SELECT getenv('HOME')",
    ],
)
def test_user_sql_cannot_reach_files_network_extensions_or_settings(tables, sql, tmp_path):
    with pytest.raises(QueryError):
        _run(sql.format(other=tables["_other_org_file"], out=tmp_path), tables)
    assert not list(tmp_path.glob("escape*"))


def test_error_messages_do_not_reveal_where_tables_are_stored(tables):
    with pytest.raises(QueryError) as caught:
        _run(f"SELECT * FROM read_parquet('{tables['sales']}') WHERE nope = 1", tables)

    assert str(Path(tables["sales"]).parent) not in caught.value.message
    assert "nope" in caught.value.message


def test_invalid_sql_gives_a_readable_error(tables):
    with pytest.raises(QueryError) as caught:
        _run("SELEC region FROM sales", tables)

    assert "syntax error" in caught.value.message
    assert "Traceback" not in caught.value.message


def test_unsafe_table_names_are_refused(tables):
    with pytest.raises(QueryError, match="not a usable table name"):
        run_duckdb("SELECT 1", [], {'x"; DROP': tables["sales"]}, timeout_s=5, max_rows=5)


def test_missing_table_file_is_reported(tmp_path):
    with pytest.raises(QueryError, match="upload the file again"):
        run_duckdb("SELECT 1", [], {"gone": str(tmp_path / "gone.parquet")}, timeout_s=5, max_rows=5)


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("BIGINT", "integer"),
        ("UBIGINT", "integer"),
        ("HUGEINT", "integer"),
        ("DECIMAL(18,3)", "decimal"),
        ("DOUBLE", "decimal"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP WITH TIME ZONE", "datetime"),
        ("TIMESTAMP_NS", "datetime"),
        ("VARCHAR", "text"),
        ("INTERVAL", "text"),
        ("INTEGER[]", "text"),
    ],
)
def test_duckdb_types_map_to_catalogue_types(type_name, expected):
    assert duckdb_column_type(type_name) == expected


def test_json_value_makes_driver_values_json_friendly():
    values = [Decimal("1.50"), float("inf"), dt.datetime(2024, 1, 1, 9, 30), dt.date(2024, 1, 1), b"\x00\x01"]

    assert [json_value(v) for v in values] == [1.5, None, "2024-01-01T09:30:00", "2024-01-01", "AAE="]


def test_sums_of_many_decimals_come_back_without_binary_noise():
    from chat2chart.sources.drivervalues import json_value

    total = sum([0.1] * 10)  # 0.9999999999999999 in binary floating point
    assert json_value(total) == 1.0
    assert json_value(11362085.839999894) == 11362085.84


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT current_setting('allowed_paths')",
        "SELECT value FROM duckdb_settings() WHERE name = 'allowed_paths'",
        "SELECT sql FROM duckdb_views()",
        "SELECT view_definition FROM information_schema.views",
        "SELECT sql FROM sqlite_master",
        "SELECT * FROM query('SELECT * FROM duckdb_settings()')",
        "SELECT * FROM pragma_database_list",
        "SELECT upper(current_setting('allowed_paths')::VARCHAR) FROM sales",
    ],
)
def test_settings_and_view_definitions_that_name_server_paths_are_refused(tables, sql):
    with pytest.raises(QueryError) as caught:
        _run(sql, tables)

    assert str(Path(tables["sales"]).parent) not in caught.value.message


def test_ctes_and_registered_tables_still_read_normally(tables):
    result = _run(
        "WITH north AS (SELECT * FROM sales WHERE region = 'North') SELECT count(*) FROM north", tables
    )

    assert result.rows == [[2]]


def test_results_are_cut_by_bytes_and_say_so(tables):
    result = _run("SELECT repeat('x', 1000) AS text FROM range(100)", tables, max_bytes=10_000)

    assert 0 < len(result.rows) < 10
    assert result.truncated is True
    assert "MB" in result.truncated_reason


def test_long_values_are_shortened_and_say_so(tables):
    result = _run("SELECT repeat('ab', 50) AS text", tables, max_cell_bytes=10)

    assert result.rows == [["ababababab…"]]
    assert result.truncated is True
    assert "shortened" in result.truncated_reason


def test_a_process_that_used_duckdb_exits_cleanly(tables):
    # The spare-database thread used to hold a connection at interpreter exit: abort, exit code 134.
    script = (
        "import sys; from chat2chart.sources.duck import run_duckdb; "
        "tables = {'sales': sys.argv[1]}; "
        "print(run_duckdb('SELECT count(*) FROM sales', [], tables, timeout_s=5, max_rows=5).rows)"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, tables["sales"]],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[3]]"
