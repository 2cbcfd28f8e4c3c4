# SPDX-License-Identifier: MIT
"""Who reaches what is filed in a personal collection: its owner and those who manage the workspace.

A small module with no imports of the apps it filters, so the charts' and dashboards' selectors and
policies can use it (collections' own selectors import theirs).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from chat2chart.core import hooks
from chat2chart.core.principal import Principal

Q_T = TypeVar("Q_T", bound=QuerySet[Any])


def sees_every_personal_collection(principal: Principal) -> bool:
    return hooks.can(principal, hooks.MANAGE, "collection")


def in_reach(principal: Principal, items: Q_T) -> Q_T:
    """`items` (charts or dashboards) less those filed in someone else's personal collection."""
    if sees_every_personal_collection(principal):
        return items
    allowed = Q(collection__isnull=True) | Q(collection__personal_owner__isnull=True)
    if principal.user_id is not None:
        allowed |= Q(collection__personal_owner=principal.user_id)
    return items.filter(allowed)


def item_in_reach(principal: Principal, item: Any) -> bool:
    """Whether one chart or dashboard is not hidden in someone else's personal collection."""
    collection = getattr(item, "collection", None)
    if collection is None or collection.personal_owner_id is None:
        return True
    return collection.personal_owner_id == principal.user_id or sees_every_personal_collection(principal)
