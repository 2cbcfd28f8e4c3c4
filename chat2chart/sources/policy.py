# SPDX-License-Identifier: MIT
"""Who may do what with data sources: the only place these rules live.

Members read sources; editors create and change them and run their own SQL; admins delete any source
and editors delete the ones they own (an API key only with its own role, see `Principal.owns`).
"""

from __future__ import annotations

from typing import Any

from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def can_list_sources(principal: Principal) -> bool:
    return hooks.can(principal, hooks.VIEW, "source")


def can_view_source(principal: Principal, source: Any) -> bool:
    return hooks.can(principal, hooks.VIEW, source)


def can_create_source(principal: Principal) -> bool:
    return hooks.can(principal, hooks.EDIT, "source")


def can_change_source(principal: Principal, source: Any) -> bool:
    """Rename, reconfigure, upload a new version, refresh, override column types."""
    return hooks.can(principal, hooks.EDIT, source)


def can_delete_source(principal: Principal, source: Any) -> bool:
    if hooks.can(principal, hooks.DELETE, source):
        return True
    return principal.owns(source) and hooks.can(principal, hooks.EDIT, source)


def can_query_sources(principal: Principal) -> bool:
    """Run semantic queries (ask questions of the data)."""
    return hooks.can(principal, hooks.ASK)


def can_run_sql(principal: Principal) -> bool:
    return hooks.can(principal, hooks.EDIT, "sql")


# The rules object views name (see chat2chart.core.api.WorkspaceObjectView).
RULES = {"view": can_view_source, "change": can_change_source, "delete": can_delete_source}
