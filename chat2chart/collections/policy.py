# SPDX-License-Identifier: MIT
"""Who may do what with collections: the only place these rules live.

Everyone in the workspace sees the shared collections; a personal collection is seen by its owner and
by those who manage the workspace. Editors make, rename and delete shared collections and file charts
and dashboards into them; everyone files into their own personal collection what they may change.
"""

from __future__ import annotations

from typing import Any

from chat2chart.collections.access import sees_every_personal_collection
from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def can_view_collection(principal: Principal, collection: Any) -> bool:
    if not hooks.can(principal, hooks.VIEW):
        return False
    if collection.personal_owner_id is None:
        return True
    return collection.personal_owner_id == principal.user_id or sees_every_personal_collection(principal)


def can_create_collection(principal: Principal) -> bool:
    return hooks.can(principal, hooks.EDIT, "collection")


def can_change_collection(principal: Principal, collection: Any) -> bool:
    """Rename or describe it; a personal collection only its owner."""
    if collection.personal_owner_id is not None:
        return collection.personal_owner_id == principal.user_id and hooks.can(principal, hooks.VIEW)
    return hooks.can(principal, hooks.EDIT, "collection")


def can_delete_collection(principal: Principal, collection: Any) -> bool:
    # A personal collection lasts as long as its person.
    return collection.personal_owner_id is None and hooks.can(principal, hooks.EDIT, "collection")


def can_file_into(principal: Principal, collection: Any | None) -> bool:
    """Put a chart or dashboard into `collection` (None: the workspace's root, which editors file into)."""
    if collection is None:
        return hooks.can(principal, hooks.EDIT, "collection")
    if collection.personal_owner_id is not None:
        return collection.personal_owner_id == principal.user_id
    return hooks.can(principal, hooks.EDIT, "collection")


RULES = {
    "view": can_view_collection,
    "change": can_change_collection,
    "delete": can_delete_collection,
}
