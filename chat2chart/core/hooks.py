# SPDX-License-Identifier: MIT
"""Hook points through which an edition extends the core without the core importing it.

Two kinds. Usage, audit, limits, metrics and row_filters are chains: ordered lists of implementations named by
import path in `settings.AISER_HOOK_PLUGINS`, every one called (billing, metrics and audit streaming
can all listen). The others (permission, workspace) hold one implementation each, replaced from an
enterprise `AppConfig.ready()` with `register()`; each starts with a safe default (allow, single
workspace).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from chat2chart.core.principal import Principal

    # A Django user as authentication leaves it: the only thing a role is looked up for.
    User = AbstractBaseUser | AnonymousUser

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils.module_loading import import_string

from chat2chart.core.errors import LimitExceeded

logger = logging.getLogger(__name__)
QS = TypeVar("QS")

# Actions the core asks about. Enterprise maps roles to these.
VIEW = "view"  # read dashboards, charts, sources, conversations
ASK = "ask"  # ask questions, run semantic queries
EDIT = "edit"  # create and change sources, charts, dashboards; run raw SQL
DELETE = "delete"  # delete sources, dashboards
MANAGE = "manage"  # members, API keys, embedding secret, settings
ACTIONS = (VIEW, ASK, EDIT, DELETE, MANAGE)


class PermissionPolicy(Protocol):
    """Whether the principal's role allows `action` in the workspace (`obj`, when given, is the object
    asked about, or the name of the kind of object about to be made or used when there is none yet:
    "source", "chart", "dashboard", "conversation", "sql"; rules about ownership live in
    each app's `policy.py`, not here)."""

    def __call__(self, principal: Principal, action: str, obj: Any = None) -> bool: ...


@dataclass(frozen=True)
class UsageEvent:
    name: str  # "question_asked", "query_run", "rows_ingested"
    quantity: int = 1
    workspace: str = ""
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Observation:
    """A measurement for operators (never billed): `value` is a count to add, a duration in seconds or a
    change of a level (+1/-1), as `name` says; `labels` hold only low-cardinality words (a planner, a
    source kind, an outcome), never an organisation, a person or an id."""

    name: str  # "query_seconds", "llm_call_seconds", "rate_limited", ...
    value: float = 1.0
    labels: dict[str, str] | None = None


@dataclass(frozen=True)
class RowRule:
    """A row-level rule of one table for one principal: `column` must equal one of `values`.

    An empty `values` means the principal sees no rows of the table (a rule whose attribute the person
    lacks), never every row. `column` is matched to the table's columns case-insensitively."""

    column: str
    values: tuple[Any, ...]


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


def _owner_of_single_workspace(user: User | None) -> str | None:
    # Core edition: every signed-in person owns the one workspace.
    return "owner" if getattr(user, "is_authenticated", False) and getattr(user, "is_active", False) else None


def _everything_visible(principal: Principal, kind: str, queryset: Any) -> Any:
    # Core edition: every member sees every object of the workspace.
    return queryset


def _single_workspace() -> str:
    return "default"


def _default_workspace_context(workspace: str) -> AbstractContextManager[None]:
    if not workspace:
        raise RuntimeError("a workspace is required")
    return contextlib.nullcontext()


def _no_scope_context(scope: dict[str, Any]) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


def _single_workspace_list() -> list[str]:
    return ["default"]


def _default_workspace_info(principal: Principal) -> dict[str, Any]:
    return {"slug": "default", "name": "Workspace", "role": principal.role}


def _no_colleagues() -> dict[str, int] | None:
    # One workspace: people are managed outside Aiser (Django admin), so no "invite" step.
    return None


def _configured_organisation_rate(scope: str) -> str | None:
    # One workspace: the platform's setting. Enterprise replaces this with the organisation's plan.
    rates = {"api": settings.AISER_ORG_API_RATE, "embed": settings.AISER_ORG_EMBED_RATE}
    return rates.get(scope) or None


@dataclass
class _Hooks:
    permission_policy: PermissionPolicy = _allow_authenticated
    # The role a person holds in the workspace in scope (None: not a member).
    member_role: Callable[[User | None], str | None] = _owner_of_single_workspace
    # The name of the workspace (organisation) the current request or task runs in.
    current_workspace: Callable[[], str] = _single_workspace
    # Enter a named workspace (used by Celery tasks); must fail closed on an unknown name.
    workspace_context: Callable[[str], AbstractContextManager[None]] = _default_workspace_context
    # Enter the workspace of an ASGI scope (used by websocket consumers' database calls).
    scope_context: Callable[[dict[str, Any]], AbstractContextManager[None]] = _no_scope_context
    # Every workspace, for periodic jobs that must visit each organisation explicitly.
    list_workspaces: Callable[[], list[str]] = _single_workspace_list
    # What `/api/v1/me/` and pages show of the workspace for this user (name, slug, role, url).
    workspace_info: Callable[[Principal], dict[str, Any]] = _default_workspace_info
    # How many people the workspace has: {"members": n, "open_invitations": m}; None where people are
    # not managed in Aiser (the home page's "invite a colleague" step).
    workspace_people: Callable[[], dict[str, int] | None] = _no_colleagues
    # The whole workspace's request budget for a rate scope ("api", "embed"), e.g. "6000/m"; None: none.
    organisation_rate: Callable[[str], str | None] = _configured_organisation_rate
    # --- Object permissions (identity and access): lists show only what the caller may see. ---
    visible: Callable[[Principal, str, Any], Any] = _everything_visible


_hooks = _Hooks()


def register(**implementations: Any) -> None:
    """Replace hook implementations, e.g. `register(permission_policy=role_policy)`."""
    for name, implementation in implementations.items():
        if not hasattr(_hooks, name):
            raise AttributeError(f"unknown hook {name!r}")
        setattr(_hooks, name, implementation)


def can(principal: Principal, action: str, obj: Any = None) -> bool:
    """Whether `principal` may do `action` (one of ACTIONS) in the workspace: the action must be in its
    scopes and the edition's policy must allow its role. Raises TypeError for anything but a Principal,
    so no caller checks a plain user's rights by accident (inside an API-key request they are the key's)."""
    from chat2chart.core.principal import Principal

    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not isinstance(principal, Principal):
        raise TypeError(f"hooks.can needs a Principal, not {type(principal).__name__}")
    if action not in principal.scopes:
        return False
    return bool(_hooks.permission_policy(principal, action, obj))


def visible(principal: Principal, kind: str, queryset: QS) -> QS:
    """`queryset` of objects of `kind` ("source", "chart", "dashboard") narrowed to those `principal` may
    see (an edition may keep objects private to their owner or share them with some members). Every
    list and search of those kinds passes through it; the core edition returns `queryset` unchanged."""
    return _hooks.visible(principal, kind, queryset)


def member_role(user: User | None) -> str | None:
    """The role `user` holds in the workspace in scope, or None when not a member."""
    return _hooks.member_role(user)


def current_workspace() -> str:
    return _hooks.current_workspace()


def workspace_context(workspace: str) -> AbstractContextManager[None]:
    return _hooks.workspace_context(workspace)


@contextlib.contextmanager
def scope_context(scope: dict[str, Any]) -> Iterator[None]:
    with _hooks.scope_context(scope):
        yield


def workspace_info(principal: Principal) -> dict[str, Any]:
    """What `/api/v1/me/` and pages show of the workspace in scope for `principal` (name, slug, its role)."""
    return _hooks.workspace_info(principal)


def list_workspaces() -> list[str]:
    return _hooks.list_workspaces()


def workspace_people() -> dict[str, int] | None:
    """`{"members": n, "open_invitations": m}` of the workspace in scope, or None in an edition where
    people are not invited through Aiser."""
    return _hooks.workspace_people()


def organisation_rate(scope: str) -> str | None:
    """The request budget of the whole workspace in scope for `scope` ("api" or "embed"), as a rate
    such as "6000/m", or None for no organisation-wide budget."""
    return _hooks.organisation_rate(scope)


# --- Chains: usage, audit, limits ---------------------------------------------------------------
# Saleor's plugin manager in small: implementations are listed in settings by import path and run
# in that order. A usage or audit listener receives the event as the listener before it left it and
# may return a new one (e.g. with personal data removed) or None to pass it on unchanged.

CHAINS = ("usage", "audit", "limits", "metrics", "row_filters")

UsageListener = Callable[[UsageEvent], UsageEvent | None]
AuditListener = Callable[[AuditEvent], AuditEvent | None]
# `check(name, *, workspace, amount)`: returns None to allow, raises `LimitExceeded` to stop the work.
LimitCheck = Callable[..., None]
MetricsListener = Callable[[Observation], None]
# `rules(principal, source, table_name) -> list[RowRule]`: the rows of that table the principal may see
# (every rule is ANDed in); an error raised is raised to the query, so a broken rule fails closed.
RowFilterRule = Callable[..., list[RowRule]]


def chain(hook: str) -> tuple[Callable[..., Any], ...]:
    """The implementations of `hook` (one of CHAINS), in `AISER_HOOK_PLUGINS` order.

    Raises `ImproperlyConfigured` for an unknown hook name in the setting or a path that does not import.
    """
    if hook not in CHAINS:
        raise ValueError(f"unknown hook chain {hook!r}; use one of {', '.join(CHAINS)}")
    plugins: dict[str, Any] = getattr(settings, "AISER_HOOK_PLUGINS", {}) or {}
    unknown = sorted(set(plugins) - set(CHAINS))
    if unknown:
        raise ImproperlyConfigured(f"AISER_HOOK_PLUGINS names unknown hooks: {', '.join(unknown)}")
    return _load(tuple(plugins.get(hook, ())))


@functools.cache
def _load(paths: tuple[str, ...]) -> tuple[Callable[..., Any], ...]:
    # Keyed by the paths themselves, so a changed setting (tests override it) loads the new list.
    try:
        return tuple(import_string(path) for path in paths)
    except ImportError as error:
        raise ImproperlyConfigured(f"AISER_HOOK_PLUGINS: {error}") from error


def _notify(hook: str, listener: Callable[[Any], Any], event: Any) -> Any:
    # A failing usage or audit listener is logged and skipped, never raised: these are side channels of
    # work that already happened, and one broken exporter must neither fail the person's request nor
    # silence the listeners after it (billing, the audit trail). Inside a transaction the listener runs
    # in its own savepoint, so a failed statement rolls back only its writes and the caller's
    # transaction stays usable.
    # A listener marked `aiser_required = True` (the audit trail itself) is the exception: its error is
    # raised, so a change whose audit entry cannot be written fails rather than going unrecorded.
    try:
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            changed = listener(event)
    except Exception:
        if getattr(listener, "aiser_required", False):
            raise
        logger.exception(
            "%s listener %s failed for %r", hook, getattr(listener, "__qualname__", listener), event
        )
        return event
    return changed if isinstance(changed, type(event)) else event


def record_usage(name: str, quantity: int = 1, **data: Any) -> None:
    """Tell every usage listener that the workspace in scope used `quantity` of `name` (rows_ingested...)."""
    event = UsageEvent(name=name, quantity=quantity, workspace=current_workspace(), data=data or None)
    for listener in chain("usage"):
        event = _notify("usage", listener, event)


def record_audit(
    *,
    action: str,
    actor: Principal | User | None,
    target_type: str,
    target_id: Any,
    data: dict[str, Any] | None = None,
) -> None:
    """Tell every audit listener that `actor` did `action` (e.g. "source.create") to the target.

    `actor` is a Principal (a user only for changes outside a workspace, such as creating an organisation
    or accepting an invitation; None for the system's own work); the entry names the acting
    user, and when the principal is an API key its id is added to `data` as `api_key_id` (an embedded
    chat's end user: their external id as `embed_user`)."""
    api_key_id = getattr(actor, "api_key_id", None)
    if api_key_id is not None:
        data = {**(data or {}), "api_key_id": api_key_id}
    embed_user = getattr(actor, "embed_user", None)
    if embed_user is not None:
        # An embedded chat's end user has no account: the entry names them by the customer's id.
        data = {**(data or {}), "embed_user": embed_user}
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "pk", None),
        target_type=target_type,
        target_id=str(target_id),
        workspace=current_workspace(),
        data=data,
    )
    for listener in chain("audit"):
        event = _notify("audit", listener, event)


def audit_changes(
    before: dict[str, Any], after: dict[str, Any], *, fields: Iterable[str] | None = None
) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields (all of `after`'s, or `fields`) whose value differs: the
    `changes` an update's audit entry carries (`data={"changes": ...}`), the same shape the enterprise
    audit log stores and exports. Values must be JSON-serialisable (dates as ISO strings)."""
    names = list(after) if fields is None else list(fields)
    return {
        name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)
    }


def row_rules(principal: Principal, source: Any, table_name: str) -> list[RowRule]:
    """Every `row_filters` implementation's rules for `principal` reading table `table_name` of
    `source`, in order; the core edition has none. Errors are raised (fail closed, never unfiltered)."""
    rules: list[RowRule] = []
    for implementation in chain("row_filters"):
        rules += implementation(principal, source, table_name)
    return rules


def check_limit(name: str, amount: int = 1) -> None:
    """Raise `LimitExceeded` when any limits implementation says the workspace may not use `amount` more.

    Checks run in order and the first refusal stops the work; errors other than `LimitExceeded` are
    raised too, so a broken limit check fails closed.
    """
    workspace = current_workspace()
    for check in chain("limits"):
        try:
            check(name, workspace=workspace, amount=amount)
        except LimitExceeded:
            observe("limit_refused", limit=name)
            raise


# --- Metrics: observations for operators (enterprise.monitoring exports them to Prometheus) -----------


def observe(name: str, value: float = 1.0, **labels: str) -> None:
    """Tell every metrics listener about one measurement (see `Observation`); nothing without listeners.

    A failing listener is logged and skipped: a broken exporter must never fail the work it measures.
    Unlike usage and audit listeners they run without a savepoint, since they touch no database."""
    listeners = chain("metrics")
    if not listeners:
        return
    observation = Observation(name=name, value=float(value), labels={k: str(v) for k, v in labels.items()})
    for listener in listeners:
        try:
            listener(observation)
        except Exception:
            logger.exception(
                "metrics listener %s failed for %r", getattr(listener, "__qualname__", listener), name
            )


@contextlib.contextmanager
def timed(name: str, **labels: str) -> Iterator[None]:
    """Observe the seconds the block took as `name`, with `outcome` ok, timeout or error added to
    `labels` (an exception whose class name says Timeout is a timeout); the exception is re-raised."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    except BaseException as error:
        outcome = "timeout" if "Timeout" in type(error).__name__ else "error"
        raise
    finally:
        observe(name, time.perf_counter() - started, **labels, outcome=outcome)


def timed_call(function: Callable[..., Any], name: str, **labels: str) -> Callable[..., Any]:
    """`function` wrapped so each call is observed as `timed(name, **labels)`; `function` itself when no
    metrics listener is configured."""
    if not chain("metrics"):
        return function

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        with timed(name, **labels):
            return function(*args, **kwargs)

    return call
