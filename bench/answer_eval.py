# SPDX-License-Identifier: MIT
"""Ask business questions of real files and check every number against pandas.

    .venv/bin/python bench/answer_eval.py [--show-wrong] [--show-refused]

Five datasets: the three demo datasets, a European-format CSV (semicolons, decimal commas, dot thousands,
day-first dates) and an Excel workbook with several sheets. Each file goes through the product's ingest
(`ingest_file` to Parquet), each question through the offline planner (follow-ups with their history), the
query compiler and the locked-down DuckDB executor: the path an upload and a chat question take. The gold
answer of each question is computed here with pandas over the data that was written to the file, never
with Aiser's compiler. Prints three figures: fully right, correctly refused, wrong (a wrong number, a wrong
period, or a chart for another question); an answerable question that was refused is counted apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")

TODAY = dt.date(2025, 3, 15)
NOW = dt.datetime(2025, 3, 15, 12, 0)
Gold = Callable[[pd.DataFrame], Any]  # a scalar, or a pandas Series keyed by the answer's first column


@dataclass
class Question:
    steps: list[str]  # earlier steps are asked first, as a conversation; the last one is scored
    # None: the question must be refused (clarified or labelled "not yet"); a tuple (analysis, measure):
    # the question must go to the analytics engine for that measure.
    gold: Gold | tuple[str, str] | None
    kind: str


@dataclass
class Dataset:
    name: str
    file_name: str
    write: Callable[[Path], None]
    frame: pd.DataFrame  # the data as written, read by pandas for the gold answers
    table: str
    time: str
    measures: list[str]
    dims: list[str]
    noun: str
    # Measures read as an average when a question names them without saying how (a weight, a rate).
    averaged: frozenset[str] = frozenset()
    questions: list[Question] = field(default_factory=list)


# --- datasets ----------------------------------------------------------------------------------------


def _demo_datasets() -> list[Dataset]:
    from chat2chart.sources import demo

    sales = demo.sales_orders(TODAY, rows=6_000)
    traffic = demo.web_traffic(TODAY)
    people = demo.customers(TODAY)
    for frame, column in ((sales, "order_date"), (traffic, "date"), (people, "signup_date")):
        frame[column] = pd.to_datetime(frame[column])
    return [
        Dataset(
            "demo sales orders",
            "sales_orders.csv",
            lambda p: _csv(sales, p, "order_date"),
            sales,
            "sales_orders",
            "order_date",
            ["revenue", "cost", "quantity"],
            ["region", "category", "channel"],
            "order",
        ),
        Dataset(
            "demo web traffic",
            "web_traffic.csv",
            lambda p: _csv(traffic, p, "date"),
            traffic,
            "web_traffic",
            "date",
            ["visits", "signups"],
            [],
            "day",
        ),
        Dataset(
            "demo customers",
            "customers.csv",
            lambda p: _csv(people, p, "signup_date"),
            people,
            "customers",
            "signup_date",
            ["lifetime_value"],
            ["segment", "country"],
            "customer",
        ),
    ]


def _csv(frame: pd.DataFrame, path: Path, date_column: str) -> None:
    out = frame.copy()
    out[date_column] = out[date_column].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False)


def _european_dataset() -> Dataset:
    rows = []
    day = dt.date(2023, 6, 3)
    for n in range(900):
        revenue = round(80 + (n * 97) % 2400 + (n % 7) * 0.35, 2)
        cost = round(revenue * (0.5 + (n % 5) / 20), 2)
        rows.append(
            {
                "booked_on": pd.Timestamp(day),
                "region": ["Nord", "Süd", "West", "Ost"][n % 4],
                "product": ["Kaffee", "Tee", "Kakao"][n % 3],
                "revenue": revenue,
                "cost": cost,
            }
        )
        day += dt.timedelta(days=1 if n % 3 else 0)
    frame = pd.DataFrame(rows)

    def euro(value: float) -> str:
        whole, cents = f"{value:,.2f}".split(".")
        return f"{whole.replace(',', '.')},{cents}"

    def write(path: Path) -> None:
        lines = ["booked_on;region;product;revenue;cost"]
        for row in rows:
            lines.append(
                f"{row['booked_on']:%d.%m.%Y};{row['region']};{row['product']};{euro(row['revenue'])};{euro(row['cost'])}"
            )
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return Dataset(
        "European CSV",
        "umsatz_bookings.csv",
        write,
        frame,
        "umsatz_bookings",
        "booked_on",
        ["revenue", "cost"],
        ["region", "product"],
        "booking",
    )


def _excel_dataset() -> Dataset:
    rows = []
    for n in range(600):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=(n * 5) % 430)
        rows.append(
            {
                "shipped": pd.Timestamp(day),
                "warehouse": ["Lyon", "Porto", "Gdansk"][n % 3],
                "carrier": ["DHL", "UPS", "Local"][(n // 3) % 3],
                "parcels": 1 + n % 9,
                "weight_kg": round(0.5 + (n % 40) * 0.75 + (n % 3) * 0.4, 2),
            }
        )
    frame = pd.DataFrame(rows).sort_values("shipped").reset_index(drop=True)

    def write(path: Path) -> None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "shipments"
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append(
                [
                    record.shipped.to_pydatetime(),
                    record.warehouse,
                    record.carrier,
                    record.parcels,
                    record.weight_kg,
                ]
            )
        targets = book.create_sheet("targets")
        targets.append(["warehouse", "target"])
        for name, target in (("Lyon", 900), ("Porto", 700), ("Gdansk", 500)):
            targets.append([name, target])
        book.save(path)

    return Dataset(
        "Excel workbook (two sheets)",
        "logistics.xlsx",
        write,
        frame,
        "shipments",
        "shipped",
        ["parcels", "weight_kg"],
        ["warehouse", "carrier"],
        "shipment",
        averaged=frozenset({"weight_kg"}),
    )


# --- questions and their gold answers -------------------------------------------------------------------


def _month(frame: pd.DataFrame, time: str) -> pd.Series:
    return frame[time].dt.to_period("M").dt.to_timestamp()


def _between(time: str, start: str, end: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda f: f[
        (f[time] >= pd.Timestamp(start)) & (f[time] < pd.Timestamp(end) + pd.Timedelta(days=1))
    ]


def _latest_in_data(time: str, month: int, months: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A year-less period ("in March": month 3, 1 month; "in Q4": month 10, 3 months) as the latest such
    period begun by the data's last day or today, whichever is earlier."""

    def rows(f: pd.DataFrame) -> pd.DataFrame:
        reference = min(f[time].max().date(), TODAY)
        year = reference.year if dt.date(reference.year, month, 1) <= reference else reference.year - 1
        start = pd.Timestamp(year, month, 1)
        return f[(f[time] >= start) & (f[time] < start + pd.DateOffset(months=months))]

    return rows


def questions_for(d: Dataset) -> list[Question]:  # noqa: C901 - one template list
    t, noun = d.time, d.noun
    qs: list[Question] = []

    def add(text: str | list[str], gold: Gold | None, kind: str) -> None:
        qs.append(Question([text] if isinstance(text, str) else text, gold, kind))

    periods = [
        ("in January 2025", "2025-01-01", "2025-01-31"),
        ("in February 2024", "2024-02-01", "2024-02-29"),
        ("in Q4 2024", "2024-10-01", "2024-12-31"),
        ("in 2024", "2024-01-01", "2024-12-31"),
        ("last month", "2025-02-01", "2025-02-28"),
        ("last quarter", "2024-10-01", "2024-12-31"),
        ("year to date", "2025-01-01", "2025-03-15"),
        ("since May 2024", "2024-05-01", "2025-03-15"),
        ("in the last 12 months", "2024-03-01", "2025-02-28"),
        ("between March and June 2024", "2024-03-01", "2024-06-30"),
        ("in H2 2024", "2024-07-01", "2024-12-31"),
    ]

    def bare(m: str) -> str:
        # How a question that names the measure without saying how aggregates it.
        return "mean" if m in d.averaged else "sum"

    for m in d.measures[:2]:
        add(f"total {m}", lambda f, m=m: f[m].sum(), "total")
        add(f"{m} by month", lambda f, m=m: f.groupby(_month(f, t))[m].agg(bare(m)), "by month")
        for phrase, start, end in periods:
            add(f"total {m} {phrase}", lambda f, m=m, s=start, e=end: _between(t, s, e)(f)[m].sum(), "period")
        for phrase, month, months in (("in March", 3, 1), ("in Q4", 10, 3)):
            add(
                f"total {m} {phrase}",
                lambda f, m=m, mo=month, n=months: _latest_in_data(t, mo, n)(f)[m].sum(),
                "period",
            )
        add(
            f"month over month growth of {m}",
            lambda f, m=m: f.set_index(t)[m].resample("MS").agg(bare(m)).pct_change(),
            "growth",
        )
        add(
            f"cumulative {m} in 2024",
            lambda f, m=m: (
                _between(t, "2024-01-01", "2024-12-31")(f).set_index(t)[m].resample("MS").sum().cumsum()
            ),
            "running total",
        )
        for dim in d.dims[:2]:
            add(f"total {m} by {dim}", lambda f, m=m, dim=dim: f.groupby(dim)[m].sum(), "grouped sum")
            left_out = str(sorted(d.frame[dim].dropna().astype(str).unique())[0])
            for wording in ("excluding", "except", "other than"):
                add(
                    f"total {m} by {dim} {wording} {left_out}",
                    lambda f, m=m, dim=dim, v=left_out: f[f[dim].astype(str) != v].groupby(dim)[m].sum(),
                    "left out",
                )
            add(f"average {m} by {dim}", lambda f, m=m, dim=dim: f.groupby(dim)[m].mean(), "grouped average")
            if m not in d.averaged:  # a share of an average means nothing
                add(
                    f"share of {m} by {dim}",
                    lambda f, m=m, dim=dim: f.groupby(dim)[m].sum() / f[m].sum(),
                    "share",
                )
            add(
                f"highest {m} of a single {noun} in each {dim}",
                lambda f, m=m, dim=dim: f.groupby(dim)[m].max(),
                "max",
            )
            add(
                f"{m} per {noun} by {dim}",
                lambda f, m=m, dim=dim: f.groupby(dim)[m].sum() / f.groupby(dim).size(),
                "ratio",
            )
            add(
                [f"total {m} by {dim}", "only 2024"],
                lambda f, m=m, dim=dim: _between(t, "2024-01-01", "2024-12-31")(f).groupby(dim)[m].sum(),
                "follow-up",
            )
            add(
                f"top 2 {dim} by {m}",
                lambda f, m=m, dim=dim: f.groupby(dim)[m].agg(bare(m)).sort_values(ascending=False).head(2),
                "top n",
            )
    for dim in d.dims[:2]:
        add(f"how many {noun}s by {dim}", lambda f, dim=dim: f.groupby(dim).size(), "count")
    if len(d.measures) >= 2 and d.dims:
        first, second, dim = d.measures[0], d.measures[1], d.dims[0]
        add(
            [f"total {first} by {dim}", f"what about {second}?"],
            lambda f, dim=dim, second=second: f.groupby(dim)[second].agg(bare(second)),
            "follow-up",
        )
        add(
            [f"{first} by month", f"margin by {dim}" if "cost" in d.measures else f"total {second} by {dim}"],
            (
                lambda f, dim=dim: (
                    (f.groupby(dim).revenue.sum() - f.groupby(dim).cost.sum()) / f.groupby(dim).revenue.sum()
                )
            )
            if "cost" in d.measures
            else (lambda f, dim=dim, second=second: f.groupby(dim)[second].sum()),
            "fresh question",
        )
    if {"revenue", "cost"} <= set(d.measures):
        for dim in d.dims[:2]:
            add(
                f"profit by {dim}",
                lambda f, dim=dim: f.groupby(dim).revenue.sum() - f.groupby(dim).cost.sum(),
                "profit",
            )
    add("which supplier has the best delivery times?", None, "refusal")
    add("what is the average rating by store", None, "refusal")
    add(f"total {d.measures[0]} for refunded {d.noun}", None, "refusal")
    add(f"forecast {d.measures[0]} for next quarter", ("forecast", d.measures[0]), "analysis")
    add(f"why did {d.measures[0]} drop in March", ("drivers", d.measures[0]), "analysis")
    return qs


# --- running ----------------------------------------------------------------------------------------


def ask(question: Question, table: Any, parquet: Path) -> tuple[str, Any, str]:
    """(outcome, answer, note): outcome is answered, clarified or not_yet; answer {key: value} or a number."""
    from chat2chart.conversations.planner import Plan, PlanTurn, plan_question
    from chat2chart.core.errors import QueryError
    from chat2chart.sources.compiler import compile_query
    from chat2chart.sources.duck import run_duckdb

    def last_date(column: str) -> dt.date | None:
        # As the product does: one max() query on the ingested file, asked only for a year-less period.
        found = run_duckdb(
            f'SELECT max("{column}") FROM "{table.name}"',
            [],
            {table.name: str(parquet)},
            timeout_s=30,
            max_rows=1,
        )
        value = found.rows[0][0] if found.rows else None
        return dt.date.fromisoformat(str(value)[:10]) if value is not None else None

    history: list[PlanTurn] = []
    plan: Any = None
    for step in question.steps:
        plan = plan_question(step, table, source_id=1, history=history, now=TODAY, last_date=last_date)
        if isinstance(plan, Plan):
            history.append(PlanTurn(question=step, plan=plan))
    if not isinstance(plan, Plan):
        return "clarified", None, plan.message
    if plan.explanation.startswith("Not yet:"):
        return "not_yet", None, plan.explanation
    if plan.analysis:
        # Handed to the analytics engine: right when it analyses the measure the question named.
        fields = [m.field for m in plan.query.measures]
        return "answered", (plan.analysis, fields[0] if fields else None), plan.explanation
    try:
        compiled = compile_query(plan.query, table, "duckdb", now=NOW, max_rows=100_000)
        result = run_duckdb(
            compiled.sql, compiled.params, {table.name: str(parquet)}, timeout_s=30, max_rows=100_000
        )
    except QueryError as error:  # an error message is shown: no number, so not a wrong one
        return "error", None, error.message
    names = [c["name"] for c in result.columns]
    value_column = len(names) - 1
    rows = result.rows
    if len(plan.query.dimensions) == 0:
        return "answered", rows[0][value_column] if rows else None, plan.explanation
    if len(plan.query.dimensions) > 1:
        return "answered", {tuple(r[:-1]): r[value_column] for r in rows}, plan.explanation
    return "answered", {r[0]: r[value_column] for r in rows}, plan.explanation


def matches(answer: Any, gold: Any) -> bool:
    if isinstance(gold, tuple):
        return answer == gold
    if isinstance(gold, pd.Series):
        if not isinstance(answer, dict):
            return False
        expected = {_key(k): v for k, v in gold.items()}
        got = {_key(k): v for k, v in answer.items()}
        if set(got) != set(expected):
            return False
        return all(_same(got[k], expected[k]) for k in expected)
    if isinstance(answer, dict):
        return False
    return _same(answer, gold)


def _key(key: Any) -> Any:
    if isinstance(key, pd.Timestamp | dt.datetime | dt.date):
        return str(pd.Timestamp(key).date())
    if isinstance(key, str) and len(key) >= 10 and key[4] == "-":
        return key[:10]
    return key


def _same(got: Any, want: Any) -> bool:
    if got is None and isinstance(want, int | float) and want == 0:
        return True  # a total over no rows: pandas says 0, Aiser says there is no value; both are right
    want_missing = want is None or (isinstance(want, float) and math.isnan(want))
    if want_missing or got is None:
        return want_missing and got is None
    try:
        return math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError):
        return got == want


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--show-wrong", action="store_true")
    parser.add_argument("--show-refused", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused")  # settings need one
    import django

    django.setup()
    from chat2chart.sources.ingest import ingest_file

    datasets = [*_demo_datasets(), _european_dataset(), _excel_dataset()]
    totals = {"right": 0, "refused_ok": 0, "wrong": 0, "refused_answerable": 0}
    by_kind: dict[str, list[int]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for d in datasets:
            upload = Path(tmp) / d.file_name
            d.write(upload)
            try:
                ingested = ingest_file(upload, d.file_name, Path(tmp) / f"out-{d.table}")
            except Exception as error:  # noqa: BLE001 - a file Aiser cannot read fails every question of it
                print(f"{d.name}: could not ingest: {error}")
                totals["wrong"] += len(questions_for(d))
                continue
            table = next(t for t in ingested.tables if t.name == d.table)
            for q in questions_for(d):
                outcome, answer, note = ask(q, table.table_info, table.parquet_path)
                refused = outcome in ("clarified", "not_yet", "error")
                if q.gold is None:
                    verdict = "refused_ok" if refused else "wrong"
                elif refused:
                    verdict = "refused_answerable"
                else:
                    expected = q.gold if isinstance(q.gold, tuple) else q.gold(d.frame)
                    verdict = "right" if matches(answer, expected) else "wrong"
                totals[verdict] += 1
                by_kind.setdefault(q.kind, [0, 0])[0 if verdict in ("right", "refused_ok") else 1] += 1
                if (verdict == "wrong" and args.show_wrong) or (
                    verdict == "refused_answerable" and args.show_refused
                ):
                    print(f"[{verdict}] {d.name}: {' >> '.join(q.steps)}\n    {note}")
    n = sum(totals.values())
    print(f"\n{n} questions over {len(datasets)} datasets in {time.perf_counter() - started:.1f} s")
    print(f"{'kind':18} {'ok':>5} {'not':>5}")
    for kind, (ok, bad) in sorted(by_kind.items()):
        print(f"{kind:18} {ok:5} {bad:5}")
    for label, key in (
        ("fully right", "right"),
        ("correctly refused", "refused_ok"),
        ("wrong", "wrong"),
        ("refused but answerable", "refused_answerable"),
    ):
        print(f"{label:24} {totals[key]:4}  {100 * totals[key] / n:5.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
