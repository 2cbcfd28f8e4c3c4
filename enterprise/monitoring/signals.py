# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Metrics from signals: Celery tasks (duration, outcome per task) and model writes (django-prometheus'
django_model_{inserts,updates,deletes}_total, for every model without a mixin in each model class)."""

from __future__ import annotations

import os
import time
from typing import Any

from celery import signals as celery_signals
from django.conf import settings
from django.db.models import signals as model_signals
from django_prometheus.models import model_deletes, model_inserts, model_updates

from enterprise.monitoring.metrics import CELERY_SECONDS, CELERY_TASKS, word

# Start times by task id, in the process running the task; removed when the task ends.
_started: dict[str, float] = {}


def _task_name(task: Any) -> str:
    return word(getattr(task, "name", ""))


def task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_ended(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id or "", None)
    if started is not None:
        CELERY_SECONDS.labels(task=_task_name(task)).observe(time.perf_counter() - started)
    outcome = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}.get(state or "", "other")
    CELERY_TASKS.labels(task=_task_name(task), outcome=outcome).inc()


def worker_process_ended(**_: Any) -> None:
    """A Celery pool process exits: its live gauges stop counting (multiprocess mode)."""
    if settings.AISER_METRICS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), settings.AISER_METRICS_MULTIPROC_DIR)


def model_saved(sender: Any, created: bool = False, raw: bool = False, **_: Any) -> None:
    if raw:
        return  # fixtures being loaded
    (model_inserts if created else model_updates).labels(sender._meta.label_lower).inc()


def model_deleted(sender: Any, **_: Any) -> None:
    model_deletes.labels(sender._meta.label_lower).inc()


def connect() -> None:
    """Connect the handlers (MonitoringConfig.ready); weak=False: they are module functions anyway."""
    celery_signals.task_prerun.connect(task_started, weak=False, dispatch_uid="aiser-metrics-prerun")
    celery_signals.task_postrun.connect(task_ended, weak=False, dispatch_uid="aiser-metrics-postrun")
    celery_signals.worker_process_shutdown.connect(
        worker_process_ended, weak=False, dispatch_uid="aiser-metrics-worker-exit"
    )
    from enterprise.monitoring.worker_server import worker_metrics_start

    celery_signals.worker_ready.connect(
        worker_metrics_start, weak=False, dispatch_uid="aiser-metrics-worker-http"
    )
    model_signals.post_save.connect(model_saved, weak=False, dispatch_uid="aiser-metrics-saved")
    model_signals.post_delete.connect(model_deleted, weak=False, dispatch_uid="aiser-metrics-deleted")
