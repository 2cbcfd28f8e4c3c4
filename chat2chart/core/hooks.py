# SPDX-License-Identifier: MIT
"""Hook points through which an edition extends the core without the core importing it.

The core calls these functions; each starts with a safe default (allow, no-op, unlimited,
single workspace). The enterprise apps replace them from `AppConfig.ready()` with `register()`.
Only one implementation per hook: the last registered wins, which keeps behaviour predictable.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chat2chart.core.principal import Principal

logger = logging.getLogger(__name__)

# Actions the core asks about. Enterprise maps roles to these.
VIEW = "view"  # read dashboards, charts, sources, conversations
ASK = "ask"  # ask questions, run semantic queries
EDIT = "edit"  # create and change sources, charts, dashboards; run raw SQL
DELETE = "delete"  # delete sources, dashboards
MANAGE = "manage"  # members, API keys, embedding secret, settings
ACTIONS = (VIEW, ASK, EDIT, DELETE, MANAGE)


class PermissionPolicy(Protocol):
    """Whether the principal's role allows `action` in the workspace (`obj`, when given, is the object
    asked about; rules about ownership live in each app's `policy.py`, not here)."""

    def __call__(self, principal: Principal, action: str, obj: Any = None) -> bool: ...


@dataclass(frozen=True)
class UsageEvent:
    name: str  # "question_asked", "query_run", "rows_ingested"
    quantity: int = 1
    workspace: str = ""
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class AuditEvent:
    action: str  # "source.create", "dashboard.delete", ...
    actor_id: int | None
    target_type: str
    target_id: str
    workspace: str = ""
    data: dict[str, Any] | None = None


def _allow_authenticated(principal: Principal, action: str, obj: Any = None) -> bool:
    # Core edition: one workspace, every signed-in person may do everything in it.
    return principal.is_authenticated


def _owner_of_single_workspace(user: Any) -> str | None:
    # Core edition: every signed-in person owns the one workspace.
    return "owner" if getattr(user, "is_authenticated", False) and getattr(user, "is_active", False) else None


def _no_event(event: Any) -> None:
    return None


def _unlimited(name: str, *, workspace: str, amount: int = 1) -> None:
    return None


def _single_workspace() -> str:
    return "default"


def _default_workspace_context(workspace: str) -> AbstractContextManager[None]:
    if not workspace:
        raise RuntimeError("a workspace is required")
    return contextlib.nullcontext()


def _no_scope_context(scope: dict[str, Any]) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


def _no_llm_overrides() -> dict[str, Any]:
    return {}


def _single_workspace_list() -> list[str]:
    return ["default"]


def _default_workspace_info(user: Any) -> dict[str, Any]:
    return {"slug": "default", "name": "Workspace", "role": "owner" if user.is_authenticated else None}


def _no_edition_embed_origins() -> list[str] | None:
    # None: the edition keeps no list, so the core's own embedding settings answer.
    return None


def _embed_origins_not_stored(origins: list[str]) -> bool:
    return False


@dataclass
class _Hooks:
    permission_policy: PermissionPolicy = _allow_authenticated
    # The role a person holds in the workspace in scope (None: not a member).
    member_role: Callable[[Any], str | None] = _owner_of_single_workspace
    usage_sink: Callable[[UsageEvent], None] = _no_event
    audit_sink: Callable[[AuditEvent], None] = _no_event
    limit_check: Callable[..., None] = _unlimited
    # The name of the workspace (organisation) the current request or task runs in.
    current_workspace: Callable[[], str] = _single_workspace
    # Enter a named workspace (used by Celery tasks); must fail closed on an unknown name.
    workspace_context: Callable[[str], AbstractContextManager[None]] = _default_workspace_context
    # Enter the workspace of an ASGI scope (used by websocket consumers' database calls).
    scope_context: Callable[[dict[str, Any]], AbstractContextManager[None]] = _no_scope_context
    # The workspace's own language-model choice, over the AISER_LLM_* settings: {"model", "send_samples"}.
    llm_overrides: Callable[[], dict[str, Any]] = _no_llm_overrides
    # Every workspace, for periodic jobs that must visit each organisation explicitly.
    list_workspaces: Callable[[], list[str]] = _single_workspace_list
    # What `/api/v1/me/` and pages show of the workspace for this user (name, slug, role, url).
    workspace_info: Callable[[Any], dict[str, Any]] = _default_workspace_info
    # Origins allowed to frame the current workspace's embedded dashboards, when the edition keeps
    # them (enterprise: on the organisation); None lets the core's embedding settings answer.
    embed_allowed_origins: Callable[[], list[str] | None] = _no_edition_embed_origins
    # Store that list; returns False when the edition does not keep it (the core stores it then).
    store_embed_allowed_origins: Callable[[list[str]], bool] = _embed_origins_not_stored


_hooks = _Hooks()
_DEFAULTS = _Hooks()


def register(**implementations: Any) -> None:
    """Replace hook implementations, e.g. `register(permission_policy=role_policy)`."""
    for name, implementation in implementations.items():
        if not hasattr(_hooks, name):
            raise AttributeError(f"unknown hook {name!r}")
        setattr(_hooks, name, implementation)


def reset() -> None:
    """Back to the core defaults (tests of the core edition use this)."""
    for name in _DEFAULTS.__dataclass_fields__:
        setattr(_hooks, name, getattr(_DEFAULTS, name))


def can(principal: Principal | Any, action: str, obj: Any = None) -> bool:
    """Whether `principal` may do `action` (one of ACTIONS) in the workspace: the action must be in its
    scopes and the edition's policy must allow its role. A plain user is still accepted from code not yet
    converted and turned into its principal (inside an API-key request: the key's principal)."""
    from chat2chart.core.principal import Principal

    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not isinstance(principal, Principal):
        principal = Principal.for_user(principal)
    if action not in principal.scopes:
        return False
    return bool(_hooks.permission_policy(principal, action, obj))


def member_role(user: Any) -> str | None:
    """The role `user` holds in the workspace in scope, or None when not a member."""
    return _hooks.member_role(user)


def record_usage(name: str, quantity: int = 1, **data: Any) -> None:
    event = UsageEvent(name=name, quantity=quantity, workspace=current_workspace(), data=data or None)
    try:
        _hooks.usage_sink(event)
    except Exception:  # usage metering must never break the product path
        logger.exception("usage sink failed for %s", name)


def record_audit(
    *, action: str, actor: Any, target_type: str, target_id: Any, data: dict[str, Any] | None = None
) -> None:
    actor_id = getattr(actor, "pk", None)
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=str(target_id),
        workspace=current_workspace(),
        data=data,
    )
    _hooks.audit_sink(event)


def check_limit(name: str, amount: int = 1) -> None:
    """Raise `LimitExceeded` when the workspace may not use `amount` more of `name`."""
    _hooks.limit_check(name, workspace=current_workspace(), amount=amount)


def current_workspace() -> str:
    return _hooks.current_workspace()


def workspace_context(workspace: str) -> AbstractContextManager[None]:
    return _hooks.workspace_context(workspace)


@contextlib.contextmanager
def scope_context(scope: dict[str, Any]) -> Iterator[None]:
    with _hooks.scope_context(scope):
        yield


def workspace_info(user: Any) -> dict[str, Any]:
    return _hooks.workspace_info(user)


def embed_allowed_origins() -> list[str] | None:
    return _hooks.embed_allowed_origins()


def store_embed_allowed_origins(origins: list[str]) -> bool:
    return bool(_hooks.store_embed_allowed_origins(origins))


def list_workspaces() -> list[str]:
    return _hooks.list_workspaces()


def llm_overrides() -> dict[str, Any]:
    return _hooks.llm_overrides()
