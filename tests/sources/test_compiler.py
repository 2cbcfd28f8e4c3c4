# SPDX-License-Identifier: MIT
"""The query compiler: the same semantic queries compiled and run on DuckDB, PostgreSQL and MariaDB
give the same rows; bad questions fail with messages naming the field; values are never SQL text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.compiler import compile_query, explain_sql
from chat2chart.sources.semantic import SemanticQuery
from tests.sources.engines import Runner, duck_engine, mysql_engine, normal, pg_engine, run_on

TEST_DB = "aiser_src_test_compiler"
NOW = datetime(2024, 5, 15, 12, 0)  # a Wednesday
INJECTION = "x'; drop table sales; --"

TABLE = TableInfo(
    name="sales",
    columns=[
        ColumnInfo("id", "integer"),
        ColumnInfo("region", "text"),
        ColumnInfo("amount", "decimal"),
        ColumnInfo("qty", "integer"),
        ColumnInfo("active", "boolean"),
        ColumnInfo("sold_on", "date"),
        ColumnInfo("sold_at", "datetime"),
    ],
)
ROWS = [
    (1, "North", Decimal("10.50"), 1, True, date(2024, 5, 13), datetime(2024, 5, 13, 9, 15)),
    (2, "North", Decimal("20.00"), 2, False, date(2024, 5, 14), datetime(2024, 5, 14, 18, 40)),
    (3, "South", Decimal("5.25"), 3, True, date(2024, 4, 30), datetime(2024, 4, 30, 23, 59)),
    (4, "South", Decimal("100.00"), 4, True, date(2024, 2, 10), datetime(2024, 2, 10, 8, 0)),
    (5, "East", Decimal("7.75"), 5, False, date(2023, 12, 31), datetime(2023, 12, 31, 12, 0)),
    (6, "50% off_", Decimal("1.00"), 6, True, date(2024, 5, 15), datetime(2024, 5, 15, 11, 0)),
    (7, INJECTION, Decimal("2.00"), 7, None, date(2024, 5, 1), datetime(2024, 5, 1, 0, 0)),
    (8, None, None, None, None, None, None),
    (9, "Northeast", Decimal("3.00"), 8, True, date(2024, 3, 20), datetime(2024, 3, 20, 14, 30)),
]
SALES_DDL = {
    "duckdb": "id INTEGER, region VARCHAR, amount DECIMAL(10,2), qty INTEGER, active BOOLEAN, sold_on DATE, "
    "sold_at TIMESTAMP",
    "postgres": "id integer, region text, amount numeric(10,2), qty integer, active boolean, sold_on date, "
    "sold_at timestamp",
    "mysql": "id INT, region VARCHAR(100), amount DECIMAL(10,2), qty INT, active BOOLEAN, sold_on DATE, "
    "sold_at DATETIME",
}
TABLES = {"sales": (SALES_DDL, ROWS)}


# --- three real engines ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duck() -> Iterator[Runner]:
    with duck_engine(TABLES) as run:
        yield run


@pytest.fixture(scope="module")
def pg() -> Iterator[Runner]:
    with pg_engine(TEST_DB, TABLES) as run:
        yield run


@pytest.fixture(scope="module")
def my() -> Iterator[Runner]:
    with mysql_engine(TEST_DB, TABLES) as run:
        yield run


@pytest.fixture(scope="module")
def engines(duck: Runner, pg: Runner, my: Runner) -> dict[str, Runner]:
    return {"duckdb": duck, "postgres": pg, "mysql": my}


def query(**fields: Any) -> SemanticQuery:
    return SemanticQuery.parse({"source": 1, "table": "sales", **fields})


def run_everywhere(engines: dict[str, Runner], q: SemanticQuery, *, max_rows: int = 1000) -> list[list[Any]]:
    """Run `q` on all three engines, check they agree, and return the rows."""
    return run_on(engines, q, TABLE, now=NOW, max_rows=max_rows)


# --- aggregations, granularities, ordering -----------------------------------------------------


def test_every_aggregation_agrees_across_engines(engines: dict[str, Runner]) -> None:
    q = query(
        dimensions=[{"field": "region"}],
        measures=[
            {"agg": "count"},
            {"field": "amount", "agg": "count"},
            {"field": "qty", "agg": "count_distinct"},
            {"field": "qty", "agg": "sum"},
            {"field": "amount", "agg": "sum"},
            {"field": "amount", "agg": "avg"},
            {"field": "amount", "agg": "min"},
            {"field": "amount", "agg": "max"},
            {"field": "sold_on", "agg": "max"},
        ],
        order=[{"field": "region"}],
    )
    rows = run_everywhere(engines, q)
    assert rows[:2] == [
        ["50% off_", 1, 1, 1, 6, 1.0, 1.0, 1.0, 1.0, date(2024, 5, 15)],
        ["East", 1, 1, 1, 5, 7.75, 7.75, 7.75, 7.75, date(2023, 12, 31)],
    ]
    north = next(r for r in rows if r[0] == "North")
    assert north == ["North", 2, 2, 2, 3, 30.5, 15.25, 10.5, 20.0, date(2024, 5, 14)]
    assert rows[-1] == [None, 1, 0, 0, None, None, None, None, None, None]  # nulls sort last everywhere


def test_median_agrees_on_duckdb_and_postgres_and_is_refused_on_mysql(engines: dict[str, Runner]) -> None:
    q = query(measures=[{"field": "amount", "agg": "median"}, {"field": "qty", "agg": "median"}])
    for dialect in ("duckdb", "postgres"):
        compiled = compile_query(q, TABLE, dialect, now=NOW, max_rows=10)
        assert [normal(v) for v in engines[dialect](compiled)[0]] == [6.5, 4.5]
    with pytest.raises(QueryError, match="median is not supported on MySQL"):
        compile_query(q, TABLE, "mysql", max_rows=10)


@pytest.mark.parametrize(
    ("field", "granularity", "expected"),
    [
        ("sold_at", "hour", [datetime(2023, 12, 31, 12), datetime(2024, 2, 10, 8)]),
        ("sold_at", "day", [date(2023, 12, 31), date(2024, 2, 10)]),
        ("sold_at", "week", [date(2023, 12, 25), date(2024, 2, 5)]),
        ("sold_on", "week", [date(2023, 12, 25), date(2024, 2, 5)]),
        ("sold_at", "month", [date(2023, 12, 1), date(2024, 2, 1)]),
        ("sold_on", "quarter", [date(2023, 10, 1), date(2024, 1, 1)]),
        ("sold_at", "quarter", [date(2023, 10, 1), date(2024, 1, 1)]),
        ("sold_on", "year", [date(2023, 1, 1), date(2024, 1, 1)]),
        ("sold_at", "weekday", [1, 2]),  # Monday is 1 on every engine
        ("sold_on", "month_of_year", [2, 3]),
        ("sold_at", "hour_of_day", [0, 8]),
    ],
)
def test_time_granularities_agree_across_engines(
    engines: dict[str, Runner], field: str, granularity: str, expected: list[Any]
) -> None:
    q = query(dimensions=[{"field": field, "granularity": granularity}], measures=[{"agg": "count"}])
    rows = run_everywhere(engines, q)
    assert [r[0] for r in rows[:2]] == expected
    assert sum(r[1] for r in rows) == len(ROWS)


def test_weekday_counts_every_day_of_the_week_the_same_way(engines: dict[str, Runner]) -> None:
    q = query(dimensions=[{"field": "sold_on", "granularity": "weekday"}], measures=[{"agg": "count"}])
    rows = run_everywhere(engines, q)
    expected: dict[Any, int] = {}
    for row in ROWS:
        key = row[5].isoweekday() if row[5] else None
        expected[key] = expected.get(key, 0) + 1
    assert {r[0]: r[1] for r in rows} == expected


def test_order_limit_and_offset_pick_the_same_page(engines: dict[str, Runner]) -> None:
    q = query(
        dimensions=[{"field": "region"}],
        measures=[{"field": "amount", "agg": "sum", "alias": "revenue"}],
        order=[{"field": "revenue", "dir": "desc"}],
        limit=2,
        offset=1,
    )
    assert run_everywhere(engines, q) == [["North", 30.5], ["East", 7.75]]


def test_the_row_cap_returns_one_extra_row_to_signal_truncation(engines: dict[str, Runner]) -> None:
    rows = run_everywhere(engines, query(dimensions=[{"field": "id"}]), max_rows=3)
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    compiled = compile_query(query(dimensions=[{"field": "id"}], limit=2), TABLE, "duckdb", max_rows=3)
    assert compiled.sql.endswith("LIMIT 2")


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "ids"),
    [
        ({"field": "region", "op": "eq", "value": "North"}, [1, 2]),
        ({"field": "region", "op": "neq", "value": "North"}, [3, 4, 5, 6, 7, 9]),
        ({"field": "qty", "op": "in", "value": [1, 3, 5]}, [1, 3, 5]),
        ({"field": "region", "op": "not_in", "value": ["North", "South"]}, [5, 6, 7, 9]),
        ({"field": "amount", "op": "gt", "value": 10}, [1, 2, 4]),
        ({"field": "amount", "op": "gte", "value": 10.5}, [1, 2, 4]),
        ({"field": "qty", "op": "lt", "value": 3}, [1, 2]),
        ({"field": "qty", "op": "lte", "value": 3}, [1, 2, 3]),
        ({"field": "sold_on", "op": "between", "value": ["2024-05-01", "2024-05-14"]}, [1, 2, 7]),
        ({"field": "sold_at", "op": "gt", "value": "2024-05-01T00:00:00"}, [1, 2, 6]),
        ({"field": "region", "op": "contains", "value": "NORTH"}, [1, 2, 9]),
        ({"field": "region", "op": "contains", "value": "%"}, [6]),
        ({"field": "region", "op": "contains", "value": "_"}, [6]),
        ({"field": "region", "op": "starts_with", "value": "x'"}, [7]),
        ({"field": "region", "op": "starts_with", "value": "n"}, [1, 2, 9]),
        ({"field": "amount", "op": "is_null"}, [8]),
        ({"field": "active", "op": "not_null"}, [1, 2, 3, 4, 5, 6, 9]),
        ({"field": "active", "op": "eq", "value": True}, [1, 3, 4, 6, 9]),
        ({"field": "sold_on", "op": "last_n", "value": 7, "unit": "day"}, [1, 2, 6]),
        ({"field": "sold_at", "op": "last_n", "value": 1, "unit": "month"}, [1, 2, 3, 6, 7]),
        ({"field": "sold_at", "op": "this_period", "unit": "week"}, [1, 2, 6]),
        ({"field": "sold_at", "op": "this_period", "unit": "month"}, [1, 2, 6, 7]),
        ({"field": "sold_on", "op": "previous_period", "unit": "month"}, [3]),
        ({"field": "sold_on", "op": "this_period", "unit": "quarter"}, [1, 2, 3, 6, 7]),
        ({"field": "sold_at", "op": "previous_period", "unit": "year"}, [5]),
    ],
)
def test_every_filter_op_selects_the_same_rows(engines: dict[str, Runner], flt: dict, ids: list[int]) -> None:
    rows = run_everywhere(engines, query(dimensions=[{"field": "id"}], filters=[flt]))
    assert [r[0] for r in rows] == ids


def test_a_hostile_filter_value_is_data_not_sql(engines: dict[str, Runner]) -> None:
    q = query(dimensions=[{"field": "id"}], filters=[{"field": "region", "op": "eq", "value": INJECTION}])
    for dialect in ("duckdb", "postgres", "mysql"):
        compiled = compile_query(q, TABLE, dialect, max_rows=10)  # type: ignore[arg-type]
        assert "drop table" not in compiled.sql
        assert compiled.params == [INJECTION]
    assert run_everywhere(engines, q) == [[7]]
    assert len(run_everywhere(engines, query(measures=[{"agg": "count"}]))) == 1  # the table survived


def test_a_percent_sign_in_a_column_name_survives_pyformat(engines: dict[str, Runner]) -> None:
    q = query(
        dimensions=[{"field": "region", "alias": "share %"}],
        filters=[{"field": "qty", "op": "eq", "value": 6}],
    )
    assert run_everywhere(engines, q) == [["50% off_"]]


def test_explain_sql_shows_values_inline_for_reading() -> None:
    q = query(dimensions=[{"field": "id"}], filters=[{"field": "region", "op": "eq", "value": INJECTION}])
    compiled = compile_query(q, TABLE, "postgres", max_rows=10)
    shown = explain_sql(compiled)
    assert "'x''; drop table sales; --'" in shown
    assert "%s" not in shown
    assert compiled.columns == [{"name": "id", "type": "integer"}]


# --- output column types -------------------------------------------------------------------------


def test_output_column_types_follow_the_aggregation_and_granularity() -> None:
    q = query(
        dimensions=[
            {"field": "sold_at", "granularity": "hour"},
            {"field": "sold_at", "granularity": "month"},
            {"field": "sold_on", "granularity": "weekday"},
        ],
        measures=[
            {"agg": "count"},
            {"field": "qty", "agg": "sum"},
            {"field": "amount", "agg": "sum"},
            {"field": "qty", "agg": "avg"},
            {"field": "sold_on", "agg": "min"},
            {"field": "region", "agg": "count_distinct"},
        ],
    )
    compiled = compile_query(q, TABLE, "duckdb", max_rows=10)
    assert [c["type"] for c in compiled.columns] == [
        "datetime", "date", "integer", "integer", "integer", "decimal", "decimal", "date", "integer",
    ]  # fmt: skip


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"measures": [{"field": "regoin", "agg": "count"}]}, r"unknown field 'regoin'.*'region'"),
        ({"measures": [{"field": "region", "agg": "sum"}]}, "cannot sum text column 'region'"),
        ({"measures": [{"field": "active", "agg": "avg"}]}, "boolean column 'active'"),
        ({"measures": [{"field": "sold_on", "agg": "median"}]}, "date column 'sold_on'"),
        ({"dimensions": [{"field": "region", "granularity": "month"}]}, "text column 'region' by month"),
        ({"dimensions": [{"field": "sold_on", "granularity": "hour"}]}, "'sold_on' holds dates"),
        (
            {"dimensions": [{"field": "id"}], "filters": [{"field": "qty", "op": "gt", "value": "5"}]},
            "'qty' must be a number",
        ),
        (
            {
                "dimensions": [{"field": "id"}],
                "filters": [{"field": "sold_on", "op": "eq", "value": "yesterday"}],
            },
            "'sold_on' must be an ISO date",
        ),
        (
            {"dimensions": [{"field": "id"}], "filters": [{"field": "qty", "op": "between", "value": [1]}]},
            "between filter on 'qty'",
        ),
        (
            {"dimensions": [{"field": "id"}], "filters": [{"field": "sold_on", "op": "this_period"}]},
            "'sold_on' needs a unit",
        ),
        (
            {"dimensions": [{"field": "id"}], "filters": [{"field": "qty", "op": "contains", "value": "1"}]},
            "'qty' holds integer values",
        ),
        ({"dimensions": [{"field": "id"}], "order": [{"field": "revenue"}]}, "cannot order by 'revenue'"),
        ({}, "at least one measure or dimension"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(fields: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        compile_query(query(**fields), TABLE, "postgres", max_rows=10)
