# SPDX-License-Identifier: MIT
"""Demo content for a workspace: the sample datasets and what is built on them.

Each app contributes its part through `seed_demo_content(owner)` in its own `demo` module, called in
order here; each must be idempotent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

DEMO_EMAIL = "demo@aiser.local"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - documented demo credentials
DEMO_APPS = ("chat2chart.sources", "chat2chart.charts", "chat2chart.dashboards")


def seed_workspace(*, owner: Any, log: Callable[[str], Any] = print) -> None:
    for app in DEMO_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.demo":
                raise
            continue
        module.seed_demo_content(owner=owner, log=log)
