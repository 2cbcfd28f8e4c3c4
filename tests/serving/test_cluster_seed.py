# SPDX-License-Identifier: MIT
"""`make cluster` seeds the demo with Celery tasks run in-process: its worker starts after the seeding, so
queued sample ingests were still pending and the demo was left with no charts and no dashboard."""

from __future__ import annotations

from typing import Any

from aiser.cluster import seed_env
from aiser.settings.env import flag


def test_the_cluster_seeds_with_tasks_run_in_process_and_keeps_the_rest_of_its_environment(
    monkeypatch: Any,
) -> None:
    env = seed_env({"REDIS_URL": "redis://127.0.0.1:6379/5"})
    assert env["REDIS_URL"] == "redis://127.0.0.1:6379/5"
    # The settings read the flag as on even though a broker (REDIS_URL) is configured.
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", env["CELERY_TASK_ALWAYS_EAGER"])
    assert flag("CELERY_TASK_ALWAYS_EAGER", False) is True
