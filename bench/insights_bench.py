# SPDX-License-Identifier: MIT
"""Speed of the analytics answers: the insights feed ("what is interesting in this table?") on the 1 M-row
benchmark table of `query_bench.py`, through the same code as chat (grouping in SQL, the engine on the
groups), cold (result cache cleared) and warm; and the trend, anomaly and forecast answers (engine and chart
option, as chat runs them) on series of 1 000 to 10 000 points. Prints min / median / max per case.

Run with a database:
`DATABASE_URL=postgres://... .venv/bin/python bench/insights_bench.py [--rows 1000000] [--repeat 5]`.
Pin it to 2 cores to match the target: `taskset -c 0,1 .venv/bin/python bench/insights_bench.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import query_bench  # noqa: E402 - sets up Django and the bench workspace, generates the 1 M-row table
from django.core.cache import cache  # noqa: E402

from chat2chart.conversations.analysis import analyse  # noqa: E402
from chat2chart.conversations.analysis_feed import insights_feed  # noqa: E402
from chat2chart.conversations.planner import Plan, plan_question  # noqa: E402
from chat2chart.core.principal import Principal  # noqa: E402
from chat2chart.sources.catalogue import TableInfo  # noqa: E402
from chat2chart.sources.querying import query_run  # noqa: E402
from chat2chart.sources.results import ResultSet  # noqa: E402
from chat2chart.sources.semantic import Dimension, Measure, SemanticQuery  # noqa: E402

TODAY = date(2025, 6, 1)


def timed(run: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None) -> list[float]:
    """Milliseconds of each of `repeat` runs (`before` runs untimed before each)."""
    times = []
    for _ in range(repeat):
        before()
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(name: str, times: list[float], extra: str = "") -> None:
    print(
        f"{name:<44} {min(times):>9.1f} {statistics.median(times):>9.1f} {max(times):>9.1f}  {extra}",
        flush=True,
    )


def feed(rows: int, repeat: int, user: Any) -> None:
    source, parquet = query_bench.register(rows, user)
    principal = Principal.for_user(user)
    table = TableInfo.from_dict(source.tables.get().catalogue)
    plan = plan_question("what is interesting in this table?", table, source_id=source.pk, now=TODAY)
    assert isinstance(plan, Plan), plan
    assert plan.analysis == "insights", plan
    found: list[str] = []

    def run() -> None:
        answer = insights_feed(plan, today=TODAY, run=lambda q: query_run(query=q, principal=principal))
        found[:] = answer.sentence.splitlines()[1:]

    run()  # warm imports once
    line(
        f"insights feed, {rows:,} rows, cold",
        timed(run, repeat, before=cache.clear),
        f"{len(found)} findings",
    )
    line(f"insights feed, {rows:,} rows, cached queries", timed(run, repeat))
    for sentence in found:
        print(f"    {sentence}")
    source.delete()
    parquet.unlink(missing_ok=True)


def series_answers(points: int, repeat: int) -> None:
    start = date(2000, 1, 1)
    days = [start + timedelta(days=i) for i in range(points)]
    values = [100 + 0.05 * i + 15 * ((i % 7) in (5, 6)) + (i * 7919 % 13) for i in range(points)]
    values[points // 2] *= 4  # one unusual day
    result = ResultSet.from_rows(
        [{"name": "order_date", "type": "date"}, {"name": "revenue", "type": "float", "role": "measure"}],
        [[d.isoformat(), v] for d, v in zip(days, values, strict=True)],
    )
    query = SemanticQuery(
        source=1,
        table="orders",
        measures=[Measure(field="revenue", agg="sum")],
        dimensions=[Dimension(field="order_date", granularity="day")],
    )
    today = days[-1] + timedelta(days=1)
    for kind in ("trend", "anomalies", "forecast"):
        plan = Plan(intent="trend", query=query, chart_type="line", explanation="", analysis=kind)  # type: ignore[arg-type]
        line(
            f"{kind} answer, {points:,} daily points",
            timed(lambda p=plan: analyse(p, result, today=today), repeat),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, nargs="+", default=[1_000, 5_000, 10_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'case':<44} {'min ms':>9} {'median ms':>9} {'max ms':>9}")
    for points in args.points:
        series_answers(points, args.repeat)
    _host, enter, user = query_bench.workspace()
    with enter():
        feed(args.rows, args.repeat, user)
    return 0


if __name__ == "__main__":
    sys.exit(main())
