# SPDX-License-Identifier: MIT
"""State changes of collections and of where charts and dashboards are filed: create, rename and delete
collections; move, pin, archive and restore items. Each asks the policy, writes in one transaction and
records its audit entry."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat2chart.charts import policy as chart_policy
from chat2chart.collections import policy
from chat2chart.collections.models import Collection
from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.dashboards import policy as dashboard_policy

MAX_NAME_CHARS = 200


def _require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    if not allowed:
        raise Forbidden(message)


def _clean_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationFailed("name: a collection needs a name.")
    if len(text) > MAX_NAME_CHARS:
        raise ValidationFailed(f"name: a collection name can be at most {MAX_NAME_CHARS} characters.")
    return text


def _audit(action: str, principal: Principal, target_type: str, target_id: Any, **data: Any) -> None:
    hooks.record_audit(
        action=f"{target_type}.{action}",
        actor=principal,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )


def personal_collection(principal: Principal) -> Collection | None:
    """The principal's personal collection, made the first time it is asked for; None for a caller with
    no person (an embed viewer)."""
    if principal.user_id is None or not principal.is_authenticated:
        return None
    found = Collection.objects.filter(personal_owner=principal.user_id).first()
    if found is not None:
        return found
    email = getattr(principal.user, "email", "") or "me"
    try:
        with transaction.atomic():
            return Collection.objects.create(
                name=f"{email}'s personal collection"[:MAX_NAME_CHARS],
                personal_owner_id=principal.user_id,
                owner_id=principal.user_id,
            )
    except IntegrityError:  # made by a parallel request a moment ago
        return Collection.objects.get(personal_owner=principal.user_id)


@transaction.atomic
def collection_create(*, principal: Principal, name: str, description: str = "") -> Collection:
    _require(policy.can_create_collection(principal), "Only editors can make collections.")
    collection = Collection.objects.create(
        name=_clean_name(name), description=description or "", owner_id=principal.user_id
    )
    _audit("create", principal, "collection", collection.pk, name=collection.name)
    return collection


@transaction.atomic
def collection_update(*, collection: Collection, principal: Principal, **changes: Any) -> Collection:
    _require(policy.can_change_collection(principal, collection))
    unknown = sorted(set(changes) - {"name", "description"})
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(unknown)}.")
    before = {"name": collection.name, "description": collection.description}
    if "name" in changes:
        collection.name = _clean_name(changes["name"])
    if "description" in changes:
        collection.description = changes["description"] or ""
    collection.save()
    after = {"name": collection.name, "description": collection.description}
    _audit(
        "update",
        principal,
        "collection",
        collection.pk,
        name=collection.name,
        changed=sorted(changes),
        changes=hooks.audit_changes(before, after),
    )
    return collection


@transaction.atomic
def collection_delete(*, collection: Collection, principal: Principal) -> int:
    """Delete a shared collection; what was filed in it moves to the workspace's root. Returns how many
    charts and dashboards moved."""
    _require(
        policy.can_delete_collection(principal, collection), "Only editors can delete shared collections."
    )
    moved = collection.charts.update(collection=None) + collection.dashboards.update(collection=None)
    _audit("delete", principal, "collection", collection.pk, name=collection.name, moved=moved)
    collection.delete()
    return moved


def _can_change_item(principal: Principal, kind: str, item: Any) -> bool:
    if kind == "chart":
        return chart_policy.can_change_chart(principal, item)
    return dashboard_policy.can_change_dashboard(principal, item)


@transaction.atomic
def item_move(*, principal: Principal, kind: str, item: Any, collection: Collection | None) -> Any:
    """File a chart or dashboard into `collection` (None: the workspace's root)."""
    _require(_can_change_item(principal, kind, item), f"You do not have permission to move this {kind}.")
    _require(policy.can_file_into(principal, collection), "You cannot file things into that collection.")
    item.collection = collection
    item.save(update_fields=["collection", "updated_at"])
    _audit(
        "move", principal, kind, item.pk, title=item.title, collection=collection.pk if collection else None
    )
    return item


@transaction.atomic
def item_pin(*, principal: Principal, kind: str, item: Any, pinned: bool) -> Any:
    """Pin a chart or dashboard to the top of its collection, or unpin it."""
    _require(_can_change_item(principal, kind, item), f"You do not have permission to pin this {kind}.")
    item.pinned = bool(pinned)
    item.save(update_fields=["pinned", "updated_at"])
    _audit("pin" if pinned else "unpin", principal, kind, item.pk, title=item.title)
    return item


@transaction.atomic
def item_archive(*, principal: Principal, kind: str, item: Any, archived: bool) -> Any:
    """Move a chart or dashboard to the archive (out of lists, search and pickers, kept whole, still
    drawn where it is used), or restore it to where it was filed."""
    _require(_can_change_item(principal, kind, item), f"You do not have permission to archive this {kind}.")
    item.archived_at = timezone.now() if archived else None
    if archived:
        item.pinned = False
    item.save(update_fields=["archived_at", "pinned", "updated_at"])
    _audit("archive" if archived else "restore", principal, kind, item.pk, title=item.title)
    return item
