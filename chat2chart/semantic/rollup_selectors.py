# SPDX-License-Identifier: MIT
"""Reads of rollups: the state of each declared rollup of a model, as the rollups API returns it."""

from __future__ import annotations

from typing import Any

from chat2chart.core.errors import AiserError
from chat2chart.semantic.models import Rollup, SemanticModel
from chat2chart.semantic.preagg import rollup_notes
from chat2chart.semantic.rollup_services import rollup_source, rollup_unavailable
from chat2chart.semantic.rollups import rollup_plans
from chat2chart.semantic.yaml_io import parse_model


def rollup_list(*, model: SemanticModel) -> list[dict[str, Any]]:
    """One entry per rollup declared in the model's current version, in declaration order:
    {name, cube, status (pending|building|ready|failed), usable, unusable_reason, stale,
    measures, dimensions, time_dimension, granularity, partition_granularity, refresh_key,
    partitions, rows, size_bytes, last_refresh_at, last_attempt_at, last_error, build_ms,
    model_version, source_id, source_version, notes}. Times are ISO 8601 (UTC), sizes in bytes."""
    parsed, problems = parse_model(model.yaml)
    if parsed is None or problems:
        return []
    rows = {row.name: row for row in Rollup.objects.filter(model=model)}
    entries = []
    for plan in rollup_plans(parsed):
        row = rows.get(plan.key)
        declaration = plan.declaration
        try:
            reason = rollup_unavailable(model, rollup_source(parsed, plan), row)
        except AiserError as error:
            reason = str(error)
        cube = parsed.cube(plan.cube)
        assert cube is not None
        entries.append(
            {
                "name": plan.key,
                "cube": plan.cube,
                "status": row.status if row else Rollup.Status.PENDING,
                "usable": reason is None,
                "unusable_reason": reason or "",
                "stale": bool(row and row.stale),
                "measures": list(plan.measures),
                "dimensions": list(plan.dimensions),
                "time_dimension": plan.time_dimension,
                "granularity": plan.granularity,
                "partition_granularity": declaration.partition_granularity,
                "refresh_key": declaration.refresh_key.model_dump(exclude_none=True)
                if declaration.refresh_key
                else None,
                "partitions": len(row.partitions) if row else 0,
                "rows": row.row_count if row else 0,
                "size_bytes": row.size_bytes if row else 0,
                "last_refresh_at": _iso(row.last_refresh_at if row else None),
                "last_attempt_at": _iso(row.last_attempt_at if row else None),
                "last_error": row.last_error if row else "",
                "build_ms": row.build_ms if row else None,
                "model_version": row.model_version if row else None,
                "source_id": row.source_id if row else None,
                "source_version": row.source_version if row else None,
                "notes": rollup_notes(parsed, cube, declaration),
            }
        )
    return entries


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
