# SPDX-License-Identifier: MIT
"""Benchmark of rollups (pre-aggregations): a month-by-region query answered from a daily rollup
against the same model query on the raw table, the rollup's build time, the compile overhead of a
three-cube join query, and a check that both answers are identical; then an approximate count distinct
(distinct customers) stored as HyperLogLog sketches in a daily rollup and merged into months and years,
against the exact and the approximate count distinct on the raw table (time and relative error).

Run: `.venv/bin/python bench/rollup_bench.py [--rows 10000000] [--repeat 9]`. No database needed: the
table is generated to Parquet (as in bench/query_bench.py), the rollup is built by the same code the
Celery task runs (chat2chart.semantic.materialise), and both queries run in the locked-down DuckDB of
the query path (chat2chart.sources.duck.run_duckdb), so the figures compare like with like.
Prints min / median / max in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from chat2chart.semantic.compile import compile_model_query  # noqa: E402
from chat2chart.semantic.materialise import build_from_files  # noqa: E402
from chat2chart.semantic.query import ModelQuery  # noqa: E402
from chat2chart.semantic.rollups import RollupPlan, compile_build, compile_sketch_values, rollup_plans  # noqa: E402
from chat2chart.semantic.routing import ROLLUP_CUBE, Candidate, route_query  # noqa: E402
from chat2chart.semantic.sketch_answers import answer_from_sketches  # noqa: E402
from chat2chart.semantic.sketches import attach_sketches, relative_error  # noqa: E402
from chat2chart.semantic.yaml_io import load_model  # noqa: E402
from chat2chart.sources.duck import run_duckdb  # noqa: E402

MODEL = """\
cubes:
  - name: orders
    sql_table: orders
    joins:
      - {name: customers, relationship: many_to_one, sql: "{CUBE}.customer = {customers.name}"}
      - {name: products, relationship: many_to_one, sql: "{CUBE}.product = {products.name}"}
    measures:
      - {name: count, type: count}
      - {name: revenue, type: sum, sql: revenue}
      - {name: average_revenue, type: avg, sql: revenue}
      - {name: smallest, type: min, sql: quantity}
      - {name: largest, type: max, sql: quantity}
      - {name: customers_approx, type: count_distinct_approx, sql: customer}
      - {name: customers_exact, type: count_distinct, sql: customer}
    dimensions:
      - {name: order_id, type: number, primary_key: true}
      - {name: region, type: string}
      - {name: order_date, type: time}
    pre_aggregations:
      - name: by_day
        measures: [count, revenue, average_revenue, smallest, largest]
        dimensions: [region]
        time_dimension: order_date
        granularity: day
      - name: customers_by_day
        measures: [customers_approx]
        dimensions: [region]
        time_dimension: order_date
        granularity: day
  - name: customers
    sql_table: customers
    dimensions:
      - {name: name, type: string, primary_key: true}
      - {name: segment, type: string}
  - name: products
    sql_table: products
    dimensions:
      - {name: name, type: string, primary_key: true}
      - {name: category, type: string}
"""
MONTH_BY_REGION = ModelQuery.model_validate(
    {
        "measures": [
            "orders.count",
            "orders.revenue",
            "orders.average_revenue",
            "orders.smallest",
            "orders.largest",
        ],
        "dimensions": [{"member": "orders.order_date", "granularity": "month"}, "orders.region"],
    }
)
THREE_CUBES = ModelQuery.model_validate(
    {
        "measures": ["orders.revenue", "orders.count"],
        "dimensions": [
            "customers.segment",
            "products.category",
            {"member": "orders.order_date", "granularity": "month"},
        ],
        "filters": [{"field": "orders.region", "op": "in", "value": ["North", "East"]}],
    }
)
LIMITS = {"timeout_s": 600.0, "max_rows": 100_000}


def generate(path: Path, rows: int) -> None:
    """Orders over two years (the generator of bench/query_bench.py, fewer columns)."""
    duckdb.sql(f"""
        COPY (
          SELECT
            i AS order_id,
            DATE '2023-01-01' + CAST(i % 730 AS INTEGER) AS order_date,
            ['North', 'South', 'East', 'West', 'Central'][1 + (i * 7) % 5] AS region,
            'Product ' || ((i * 31) % 50) AS product,
            'Customer ' || ((i * 37) % 5000) AS customer,
            1 + (i * 19) % 9 AS quantity,
            CAST(round(10 + ((i * 7919) % 100000) / 100.0, 2) AS DECIMAL(12, 2)) AS revenue
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)
    """)


def timed(run: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def largest_difference(left: list[list[object]], right: list[list[object]]) -> float:
    """The largest relative difference between numbers in the same place (inf when shapes differ)."""
    if len(left) != len(right):
        return float("inf")
    worst = 0.0
    for a_row, b_row in zip(left, right, strict=True):
        for a, b in zip(a_row, b_row, strict=True):
            if isinstance(a, int | float) and isinstance(b, int | float) and a != b:
                worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
            elif a != b and not isinstance(a, int | float):
                return float("inf")
    return worst


def line(label: str, times: list[float]) -> str:
    return (
        f"{label:<46} min {min(times):9.2f}  median {statistics.median(times):9.2f}  max {max(times):9.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--builds", type=int, default=3)
    args = parser.parse_args()

    model = load_model(MODEL)
    plan, sketched = rollup_plans(model)
    with tempfile.TemporaryDirectory(prefix="rollup-bench-") as folder:
        table, rollup = Path(folder) / "orders.parquet", Path(folder) / "rollup.parquet"
        started = time.perf_counter()
        generate(table, args.rows)
        print(
            f"rows {args.rows:,}; load average {os.getloadavg()[0]:.1f}; "
            f"table generated in {time.perf_counter() - started:.1f} s"
        )

        build = compile_build(plan, "duckdb")
        columns = [c.column for c in plan.columns]
        build_times, stored = timed(
            lambda: build_from_files(
                build.sql,
                build.params,
                {"orders": str(table)},
                columns,
                rollup,
                timeout_s=600,
                memory_limit="2GB",
            ),
            args.builds,
        )
        size_kb = rollup.stat().st_size / 1024
        print(line(f"rollup build ({stored:,} rows, {size_kb:,.0f} KB)", build_times))

        def raw() -> object:
            compiled = compile_model_query(model, MONTH_BY_REGION, "duckdb", max_rows=100_000)
            return run_duckdb(compiled.sql, compiled.params, {"orders": str(table)}, **LIMITS).rows

        def routed() -> object:
            route = route_query(model, MONTH_BY_REGION, [Candidate(plan, int(stored))])
            assert route.model is not None
            assert route.query is not None
            compiled = compile_model_query(route.model, route.query, "duckdb", max_rows=100_000)
            return run_duckdb(compiled.sql, compiled.params, {ROLLUP_CUBE: str(rollup)}, **LIMITS).rows

        raw_times, raw_rows = timed(raw, args.repeat)
        rollup_times, rollup_rows = timed(routed, args.repeat)
        print(line("month x region, raw table", raw_times))
        print(line("month x region, from the rollup (routing incl.)", rollup_times))
        ratio = statistics.median(raw_times) / statistics.median(rollup_times)
        print(f"speed-up (median raw / median rollup): {ratio:.1f}x")
        print(f"identical answers: {raw_rows == rollup_rows} ({len(raw_rows)} rows)")  # type: ignore[arg-type]
        if raw_rows != rollup_rows:
            print(f"largest relative difference: {largest_difference(raw_rows, rollup_rows):.3g}")  # type: ignore[arg-type]

        compile_times, _ = timed(
            lambda: compile_model_query(model, THREE_CUBES, "duckdb", max_rows=100_000), 500
        )
        print(line("compile, three-cube join query", compile_times))
        cpu = time.process_time()
        for _ in range(500):
            compile_model_query(model, THREE_CUBES, "duckdb", max_rows=100_000)
        each = (time.process_time() - cpu) / 500 * 1000
        print(f"compile, three-cube join query: {each:.2f} ms of CPU time each (mean of 500)")
        route_times, _ = timed(lambda: route_query(model, THREE_CUBES, [Candidate(plan, int(stored))]), 500)
        print(line("routing decision (refused: joined dimensions)", route_times))
        hll(model, sketched, table, Path(folder), args)


def build_sketched(plan: RollupPlan, table: Path, out: Path) -> int:
    """The rollup with its HLL sketches, as rollup_services builds it: rows, then each sketch column."""
    files = {"orders": str(table)}
    build = compile_build(plan, "duckdb")
    build_from_files(
        build.sql, build.params, files, [c.column for c in plan.built_columns], out, timeout_s=600
    )
    values = {}
    for column, _ in plan.sketch_queries:
        compiled = compile_sketch_values(plan, column, "duckdb")
        path = out.with_name(f"{column}.values.parquet")
        build_from_files(compiled.sql, compiled.params, files, [*plan.key_columns, "v"], path, timeout_s=600)
        values[column] = path
    return attach_sketches(out, plan.key_columns, values, [c.column for c in plan.columns])


def hll(model: object, plan: RollupPlan, table: Path, folder: Path, args: argparse.Namespace) -> None:
    """Distinct customers by month x region and by year from HLL sketches, against the raw table."""
    rollup = folder / "sketches.parquet"
    build_times, stored = timed(lambda: build_sketched(plan, table, rollup), args.builds)
    size_kb = rollup.stat().st_size / 1024
    print(line(f"HLL rollup build ({stored:,} rows, {size_kb:,.0f} KB)", build_times))
    print(f"HLL error bound (2 standard deviations, merged sketches): {100 * relative_error():.2f} %")
    for grain, dims in (("month", ["orders.region"]), ("year", [])):
        shape = {"dimensions": [{"member": "orders.order_date", "granularity": grain}, *dims]}
        exact_query = ModelQuery.model_validate({**shape, "measures": ["orders.customers_exact"]})
        approx_query = ModelQuery.model_validate({**shape, "measures": ["orders.customers_approx"]})

        def raw(query: ModelQuery = exact_query) -> list[list[object]]:
            compiled = compile_model_query(model, query, "duckdb", max_rows=100_000)  # type: ignore[arg-type]
            rows = run_duckdb(compiled.sql, compiled.params, {"orders": str(table)}, **LIMITS).rows
            return sorted(rows, key=str)

        def merged(query: ModelQuery = approx_query) -> list[list[object]]:
            route = route_query(model, query, [Candidate(plan, int(stored))])  # type: ignore[arg-type]
            assert route.rollup is not None, route.explain()
            columns = compile_model_query(model, query, "duckdb", max_rows=100_000).columns  # type: ignore[arg-type]
            rows, _ = answer_from_sketches(query, route, columns, rollup, max_rows=100_000, timeout_s=600)
            return sorted(rows, key=str)

        exact_times, exact_rows = timed(raw, args.repeat)
        approx_times, approx_rows = timed(lambda query=approx_query: raw(query), args.repeat)
        merged_times, merged_rows = timed(merged, args.repeat)
        label = f"distinct customers by {grain}{' x region' if dims else ''}"
        print(line(f"{label}, exact, raw table", exact_times))
        print(line(f"{label}, approx_count_distinct, raw table", approx_times))
        print(line(f"{label}, merged HLL sketches", merged_times))
        for name, rows in (("approx_count_distinct", approx_rows), ("merged HLL sketches", merged_rows)):
            errors = [abs(a[-1] - e[-1]) / e[-1] for a, e in zip(rows, exact_rows, strict=True)]
            print(f"  {name}: {len(rows)} groups, largest relative error {100 * max(errors):.2f} %")


if __name__ == "__main__":
    main()
