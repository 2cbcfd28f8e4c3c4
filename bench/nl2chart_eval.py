# SPDX-License-Identifier: MIT
"""Score the chat2chart planner on the NLV corpus (Cars dev split): partial and exact match as defined
in the data set's README, by chart kind, plus planning latency.

    .venv/bin/python bench/nl2chart_eval.py [--data PATH] [--show-misses] [--rename "MPG=Fuel Efficiency,..."]

--rename asks the same questions of a copy of the table whose columns carry other names (gold fields renamed
alike): a check that grounding generalises beyond the column names the planner was developed on.

Sequences (`sequential: true`) are asked as follow-ups in one conversation; the last step is scored. The CSV
is read by the product's own ingest, and each plan's query is run on the ingested Parquet with the compiler
and the locked-down DuckDB executor: a plan whose query fails counts as a miss.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chat2chart.conversations.planner import Plan, PlanTurn, plan_question  # noqa: E402
from chat2chart.conversations.planner.charting import BAR_FAMILY, LINE_FAMILY, SCATTER_FAMILY  # noqa: E402
from chat2chart.core.errors import QueryError  # noqa: E402
from chat2chart.sources.catalogue import TableInfo  # noqa: E402
from chat2chart.sources.compiler import compile_query  # noqa: E402
from chat2chart.sources.duck import run_duckdb  # noqa: E402
from chat2chart.sources.ingest import ingest_file  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "nlv-dev" / "utterances.jsonl"
_AGG_NAMES = {"avg": "mean", "sum": "sum", "count": "count", "count_distinct": "count"}


@dataclass
class IngestedTable:
    info: TableInfo
    parquet: Path


def ingest(path: Path, workdir: Path) -> IngestedTable:
    """The CSV read by the product's own ingest (encoding, delimiter and types decided as for an upload)."""
    result = ingest_file(path, path.name, workdir / f"ingest-{len(list(workdir.iterdir()))}")
    table = result.tables[0]
    return IngestedTable(table.table_info, table.parquet_path)


def runs(plan: Plan, table: IngestedTable) -> str | None:
    """None when the plan's query runs on the ingested table, else the error a user would see."""
    try:
        compiled = compile_query(plan.query, table.info, "duckdb", max_rows=10_000)
        run_duckdb(
            compiled.sql,
            compiled.params,
            {table.info.name: str(table.parquet)},
            timeout_s=30,
            max_rows=10_000,
        )
    except QueryError as error:
        return error.message
    return None


def _family(chart_type: str) -> str:
    if chart_type == "histogram":
        return "histogram"
    if chart_type in BAR_FAMILY:
        return "bar"
    if chart_type in LINE_FAMILY:
        return "line"
    if chart_type in SCATTER_FAMILY:
        return "point"
    return chart_type


def _plan_view(plan: Plan) -> dict[str, Any]:
    query = plan.query
    fields = {d.field for d in query.dimensions}
    fields |= {m.field for m in query.measures if m.field and m.agg != "count"}
    aggs = [_AGG_NAMES.get(m.agg, m.agg) for m in query.measures]
    return {
        "family": _family(plan.chart_type),
        "fields": fields,
        "x": query.dimensions[0].field if query.dimensions else None,
        "aggs": aggs,
    }


def score(plan: Plan | None, gold: dict[str, Any]) -> tuple[bool, bool]:
    """(partial, exact) for one plan against one gold chart, as the README defines them."""
    if plan is None:
        return False, False
    view = _plan_view(plan)
    encoding = gold["encoding"]
    gold_fields = {e["field"] for e in encoding.values() if e.get("field")}
    binned = bool(encoding.get("x", {}).get("bin"))
    mark = gold["mark"]
    if mark == "bar":
        family_ok = view["family"] in ({"bar", "histogram"} if binned else {"bar"})
    else:
        family_ok = view["family"] == mark
    partial = family_ok and view["fields"] == gold_fields
    if not partial:
        return False, False
    if mark == "point":
        return True, not view["aggs"]
    if binned and view["family"] != "histogram":
        return True, False
    gold_agg = next((e["aggregate"] for e in encoding.values() if e.get("aggregate")), None)
    agg_ok = (gold_agg in view["aggs"]) if gold_agg else not [a for a in view["aggs"] if a != "count"]
    return True, agg_ok and view["x"] == encoding.get("x", {}).get("field")


def run(data: Path, show_misses: bool, renames: dict[str, str] | None = None) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        return _run(data, show_misses, Path(workdir), renames or {})


def _renamed_copy(table_file: Path, renames: dict[str, str], workdir: Path) -> Path:
    """The table with its header renamed (a CSV's first line), written under workdir."""
    lines = table_file.read_text().splitlines(keepends=True)
    header = [renames.get(name, name) for name in lines[0].rstrip("\r\n").split(",")]
    copy = workdir / f"renamed-{table_file.name}"
    copy.write_text(",".join(header) + "\n" + "".join(lines[1:]))
    return copy


def _rename_gold(gold: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    encoding = {
        channel: {**spec, "field": renames.get(spec["field"], spec["field"])} if spec.get("field") else spec
        for channel, spec in gold["encoding"].items()
    }
    return {**gold, "encoding": encoding}


def _run(data: Path, show_misses: bool, workdir: Path, renames: dict[str, str]) -> int:
    items = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
    tables: dict[str, IngestedTable] = {}
    failures = 0
    latencies: list[float] = []
    by_vis: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    clarifications = 0
    for item in items:
        table_file = data.parent / item["table_file"]
        if str(table_file) not in tables:
            source = _renamed_copy(table_file, renames, workdir) if renames else table_file
            tables[str(table_file)] = ingest(source, workdir)
        ingested = tables[str(table_file)]
        table = ingested.info
        history: list[PlanTurn] = []
        result: Any = None
        for utterance in item["utterances"]:
            started = time.perf_counter()
            result = plan_question(utterance, table, source_id=1, history=history)
            latencies.append((time.perf_counter() - started) * 1000)
            if isinstance(result, Plan):
                history.append(PlanTurn(question=utterance, plan=result))
        plan = result if isinstance(result, Plan) else None
        clarifications += plan is None
        error = runs(plan, ingested) if plan is not None else None
        failures += error is not None
        gold = _rename_gold(item["gold"], renames) if renames else item["gold"]
        partial, exact = score(plan, gold) if error is None else (False, False)
        by_vis[item["vis"]].append((partial, exact))
        if show_misses and not exact:
            got = f"{plan.chart_type} {plan.explanation}" if plan else f"CLARIFY {result.message}"
            got += f" [query failed: {error}]" if error else ""
            print(f"[{item['vis']}] {' >> '.join(item['utterances'])}\n    -> {got}")
    _report(by_vis, latencies, clarifications, data)
    print(f"plans whose query failed on the ingested table: {failures}")
    return 0


def _pct(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):5.1f}%" if values else "   - "


def _report(
    by_vis: dict[str, list[tuple[bool, bool]]], latencies: list[float], clarifications: int, data: Path
) -> None:
    everything = [r for rows in by_vis.values() for r in rows]
    print(f"NLV dev set: {data} ({len(everything)} utterance sets; sequences scored on their last step)")
    print(f"{'vis':<16}{'n':>5}{'partial':>10}{'exact':>10}")
    for vis in sorted(by_vis):
        rows = by_vis[vis]
        print(f"{vis:<16}{len(rows):>5}{_pct([p for p, _ in rows]):>10}{_pct([e for _, e in rows]):>10}")
    print(
        f"{'overall':<16}{len(everything):>5}{_pct([p for p, _ in everything]):>10}"
        f"{_pct([e for _, e in everything]):>10}"
    )
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(
        f"clarifications: {clarifications}; planning latency per utterance: "
        f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--rename", default="", help="OLD=NEW column renames, comma-separated")
    args = parser.parse_args()
    renames = dict(pair.split("=", 1) for pair in args.rename.split(",") if "=" in pair)
    return run(args.data, args.show_misses, renames)


if __name__ == "__main__":
    raise SystemExit(main())
