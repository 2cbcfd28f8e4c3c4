# SPDX-License-Identifier: MIT
"""Who may do what with semantic models: the only place these rules live.

Members read models (the list, the YAML, versions, the Cube export); editors create, change, import
and roll back models; running a model query is asking a question of the data (ASK).
"""

from __future__ import annotations

from typing import Any

from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def can_browse_models(principal: Principal) -> bool:
    return hooks.can(principal, hooks.VIEW)


def can_view_model(principal: Principal, model: Any) -> bool:
    return hooks.can(principal, hooks.VIEW, model)


def can_create_model(principal: Principal) -> bool:
    """Create a model by hand, from a source's tables, or from a Cube project."""
    return hooks.can(principal, hooks.EDIT)


def can_change_model(principal: Principal, model: Any) -> bool:
    """Save a new version, rename, roll back."""
    return hooks.can(principal, hooks.EDIT, model)


def can_query_model(principal: Principal, model: Any) -> bool:
    return can_view_model(principal, model) and hooks.can(principal, hooks.ASK)


RULES = {"view": can_view_model, "change": can_change_model, "query": can_query_model}
