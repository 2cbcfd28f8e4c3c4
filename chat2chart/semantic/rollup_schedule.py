# SPDX-License-Identifier: MIT
"""When rollups are rebuilt: never built, stale (model or source changed), their `refresh_key.every`
elapsed (database sources: every hour by default) or their refresh-key SQL's value changed (checked
at most once per interval). The beat task calls `rollups_refresh_due` once per workspace."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, NotFound
from chat2chart.semantic.model import Model
from chat2chart.semantic.models import Rollup, SemanticModel
from chat2chart.semantic.preagg import every_interval
from chat2chart.semantic.rollup_services import (
    mark_stale,
    refresh_key_value,
    rollup_build,
    rollup_source,
    rollup_sync,
)
from chat2chart.semantic.rollups import rollup_plans
from chat2chart.semantic.yaml_io import load_model, parse_model

logger = logging.getLogger(__name__)
DATABASE_DEFAULT_EVERY = "1 hour"  # Cube's default refresh of a rollup over a live database
RETRY_AFTER_FAILURE_S = 600
BUILDING_GIVES_UP_S = 3600


def rollup_due(*, model: SemanticModel, parsed: Model, row: Rollup, now: datetime) -> str | None:
    """Why rollup `row` should be (re)built now, or None. Refresh-key SQL runs at most once per interval."""
    plan = next((p for p in rollup_plans(parsed) if p.key == row.name), None)
    if plan is None:
        return None
    since_attempt = (now - row.last_attempt_at).total_seconds() if row.last_attempt_at else None
    if (
        row.status == Rollup.Status.BUILDING
        and since_attempt is not None
        and since_attempt < BUILDING_GIVES_UP_S
    ):
        return None  # a build that ran past this is taken to have died with its worker
    if (
        row.status == Rollup.Status.FAILED
        and since_attempt is not None
        and since_attempt < RETRY_AFTER_FAILURE_S
    ):
        return None
    if not row.path:
        return "never built"
    if row.stale:
        return row.stale_reason
    source = rollup_source(parsed, plan)
    if row.source_version != source.version:
        mark_stale(row, f"the source was refreshed (version {source.version})")
        return row.stale_reason
    key = plan.declaration.refresh_key
    every = key.every if key is not None else (None if source.is_stored else DATABASE_DEFAULT_EVERY)
    if every and row.last_refresh_at and now - row.last_refresh_at >= every_interval(every):
        return f"refreshed every {every}"
    if key is not None and key.sql is not None:
        checked = row.refresh_key_checked_at
        if checked is None or now - checked >= key.interval:
            Rollup.objects.filter(pk=row.pk).update(refresh_key_checked_at=now)
            if refresh_key_value(plan, source) != row.refresh_key_value:
                return "its refresh key changed"
    return None


def rollup_build_now(*, model_id: int, name: str, force: bool = False) -> Rollup:
    """Build one rollup of a model of the workspace in scope (the task's and the API's entry)."""
    model = SemanticModel.objects.filter(pk=model_id).first()
    if model is None:
        raise NotFound("There is no such semantic model in this workspace.")
    return rollup_build(model=model, name=name, parsed=load_model(model.yaml), force=force)


def rollups_refresh_due(*, now: datetime | None = None) -> list[str]:
    """Queue a build of every rollup of the workspace that is due (see `rollup_due`); returns
    `model-id:cube.rollup` of each. Run by the beat schedule once per workspace."""
    from chat2chart.semantic.tasks import build_rollup

    now = now or timezone.now()
    workspace = hooks.current_workspace()
    queued: list[str] = []
    for model in SemanticModel.objects.all():
        parsed, problems = parse_model(model.yaml)
        if parsed is None or problems:
            continue
        declared = {plan.key for plan in rollup_plans(parsed)}
        if declared - set(Rollup.objects.filter(model=model).values_list("name", flat=True)):
            rollup_sync(model=model, parsed=parsed)
        for row in Rollup.objects.filter(model=model):
            try:
                why = rollup_due(model=model, parsed=parsed, row=row, now=now)
            except AiserError as error:
                Rollup.objects.filter(pk=row.pk).update(last_error=str(error)[:2000])
                continue
            if why:
                logger.info("rollup %s of model %s is due: %s", row.name, model.pk, why)
                # "building" from the moment it is queued, so the next check does not queue it again
                Rollup.objects.filter(pk=row.pk).update(status=Rollup.Status.BUILDING, last_attempt_at=now)
                build_rollup.delay(workspace, model.pk, row.name)
                queued.append(f"{model.pk}:{row.name}")
    return queued
