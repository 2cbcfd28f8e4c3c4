# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The permissions a role is made of, the four built-in presets, and what each core action needs.

A role (built-in or an organisation's own) is a set of the permission names below. The core asks
`hooks.can(principal, action, obj)` with one of five coarse actions; `required()` turns the action and
what it is about (`obj`: an object, or a kind name such as "source" or "sql" for work on no particular
object) into the permission names of which the principal needs at least one.
"""

from __future__ import annotations

from typing import Any

from chat2chart.core import hooks

# name → label shown on the roles page, in the order the page lists them.
PERMISSIONS: dict[str, str] = {
    "sources.view": "View data sources",
    "sources.query": "Query data sources (ask questions)",
    "sources.manage": "Add and change data sources",
    "sources.delete": "Delete any data source",
    "charts.create": "Create charts",
    "charts.edit": "Edit charts",
    "charts.delete": "Delete any chart",
    "dashboards.create": "Create dashboards",
    "dashboards.edit": "Edit dashboards",
    "dashboards.delete": "Delete any dashboard",
    "conversations.create": "Start conversations",
    "conversations.edit": "Continue and rename conversations",
    "conversations.delete": "See and delete everyone's conversations",
    "sql.use": "Write SQL",
    "content.publish": "Publish and embed dashboards",
    "members.manage": "Manage members, roles and groups",
    "billing.manage": "Manage billing",
    "settings.manage": "Manage organisation settings",
    "api_keys.manage": "Manage API keys",
    "audit.view": "View the audit log",
}

# Held by every member on top of their role's permissions (never part of a role): a check that needs
# no permission still needs membership, so a removed member's open websocket is refused too.
MEMBER = "member"

_VIEWER = frozenset({"sources.view", "sources.query", "conversations.create", "conversations.edit"})
_EDITOR = _VIEWER | {
    "sources.manage",
    "charts.create",
    "charts.edit",
    "dashboards.create",
    "dashboards.edit",
    "sql.use",
}
_OWNER = frozenset(PERMISSIONS)
# Billing stays with owners: it commits the organisation's money.
_ADMIN = _OWNER - {"billing.manage"}

PRESETS: dict[str, frozenset[str]] = {
    "viewer": _VIEWER,
    "editor": frozenset(_EDITOR),
    "admin": _ADMIN,
    "owner": _OWNER,
}
PRESET_ORDER = ("viewer", "editor", "admin", "owner")

# The kinds objects can be shared by (object permissions), as the core's `hooks.visible` names them.
SHAREABLE_KINDS = ("source", "chart", "dashboard")

# (action, kind) → permissions of which one is needed; kind None: a check about no particular kind.
_NEEDS: dict[tuple[str, str | None], tuple[str, ...]] = {
    (hooks.VIEW, "source"): ("sources.view",),
    (hooks.ASK, None): ("sources.query",),
    (hooks.EDIT, "source"): ("sources.manage",),
    (hooks.EDIT, "sql"): ("sql.use",),
    (hooks.DELETE, "source"): ("sources.delete",),
    (hooks.DELETE, "chart"): ("charts.delete",),
    (hooks.DELETE, "dashboard"): ("dashboards.delete",),
    (hooks.DELETE, "conversation"): ("conversations.delete",),
    (hooks.MANAGE, "dashboard"): ("content.publish",),
    (hooks.MANAGE, "conversation"): ("conversations.delete",),
    (hooks.MANAGE, None): ("settings.manage",),
    # Billing commits the organisation's money: owners, and members whose role holds it (a "billing admin").
    (hooks.MANAGE, "billing"): ("billing.manage",),
    (hooks.MANAGE, "audit"): ("audit.view",),
    # A view-level gate before the service's own check names the kind: any right to change content
    # (a viewer's rights over their own conversations do not count: they are asked with their kind).
    (hooks.EDIT, None): (
        "sources.manage",
        "charts.create",
        "charts.edit",
        "dashboards.create",
        "dashboards.edit",
        "sql.use",
    ),
    (hooks.DELETE, None): ("sources.delete", "charts.delete", "dashboards.delete"),
}


def kind_of(obj: Any) -> str | None:
    """The kind a check is about: a kind name as given, a model instance's or class's model name."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj
    meta = getattr(obj, "_meta", None)
    name = getattr(meta, "model_name", None)
    return {"savedchart": "chart"}.get(name, name) if name else None


def required(action: str, obj: Any = None) -> tuple[str, ...]:
    """The permissions of which one allows `action` on `obj`; () when membership alone is enough
    (reading charts and dashboards). Creating is asked with a kind name ("chart"), changing with the
    object itself, so the two map to `.create` and `.edit`."""
    kind = kind_of(obj)
    if action == hooks.EDIT and kind in ("chart", "dashboard"):
        verb = "create" if isinstance(obj, str) else "edit"
        return (f"{kind}s.{verb}",)
    if action == hooks.ASK:
        # Asking always needs `sources.query` too (the policy checks it); starting a conversation
        # ("conversation") and continuing one (the object) need their own permission besides.
        if kind == "conversation":
            return ("conversations.create",) if isinstance(obj, str) else ("conversations.edit",)
        return _NEEDS[(hooks.ASK, None)]
    if action == hooks.VIEW and kind != "source":
        return ()
    found = _NEEDS.get((action, kind))
    if found is None:
        found = _NEEDS.get((action, None), ("settings.manage",))
    return found


def preset_below(permissions: frozenset[str]) -> str:
    """The highest built-in role whose permissions are all in `permissions` (at least "viewer"): the rank
    a member with a custom role holds for rules that compare ranks (an API key's ceiling)."""
    best = "viewer"
    for name in PRESET_ORDER:
        if PRESETS[name] <= permissions:
            best = name
    return best


def clean_permissions(names: Any) -> frozenset[str]:
    """The set of permission names given, or ValidationFailed naming those that do not exist."""
    from chat2chart.core.errors import ValidationFailed

    if not isinstance(names, list | tuple | set | frozenset) or not all(isinstance(n, str) for n in names):
        raise ValidationFailed("Give the permissions as a list of names.")
    unknown = sorted(set(names) - set(PERMISSIONS))
    if unknown:
        raise ValidationFailed(
            f"Unknown permissions: {', '.join(unknown)}. Use: {', '.join(PERMISSIONS)}.",
            code="invalid",
        )
    return frozenset(names)
