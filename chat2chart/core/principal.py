# SPDX-License-Identifier: MIT
"""Who is acting: a person, an API key or an embed viewer, with the role and scopes it acts with.

Every permission check takes a `Principal`. It is made once per request (`Principal.from_request`,
kept on `request.principal`), once per websocket connection (in the consumer's scope), or explicitly
for tasks and tests (`Principal.for_user`). An API key is its own principal: it acts with the key's
role and scopes, never with its creator's, even though objects it makes are owned by its creator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chat2chart.core import hooks

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

# A scope beside the actions: the principal may use the rights an owner has over the objects its user
# owns (editors delete what they made, viewers delete their own conversations, owners publish). A person
# always has it; an API key only when its role is not lower than its creator's, so a lower-role key
# never acts as its creator for ownership.
OWNERSHIP = "ownership"
PERSON_SCOPES = frozenset((*hooks.ACTIONS, OWNERSHIP))

Kind = Literal["person", "api_key", "embed"]


@dataclass(frozen=True)
class Principal:
    """The acting identity. `user` is the Django user (the key's creator for an API key; None for an
    embed viewer); `scopes` caps the actions the credential may be used for at all; `workspace` is the
    organisation's schema name ("default" in the core edition)."""

    user: AbstractBaseUser | None
    user_id: int | None
    kind: Kind
    role: str | None
    scopes: frozenset[str]
    workspace: str
    api_key_id: int | None = None
    # Values an embed token locks, {field name: a value or a non-empty list of values}: every query of
    # this principal is limited to rows whose field holds one of them (see sources/rowaccess.py).
    locked: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # An embedded chat's end user: the customer's opaque id of them (audit entries name it).
    embed_user: str | None = None

    @property
    def is_authenticated(self) -> bool:
        """A signed-in, active person or a valid key of one; never an embed viewer or anonymous."""
        if self.kind == "embed" or self.user is None:
            return False
        return bool(getattr(self.user, "is_authenticated", False) and getattr(self.user, "is_active", False))

    @property
    def pk(self) -> int | None:
        """The acting user's id, so audit entries and `owner=` fields name a person."""
        return self.user_id

    def owns(self, obj: Any) -> bool:
        """True when `obj` (anything with `owner_id`) is owned by this principal's user and the principal
        may use an owner's rights (see OWNERSHIP), or when this API key made `obj` itself (objects that
        record the key they were made with in `api_key_id`): a key always owns what it made, even when
        its role is lower than its creator's."""
        if self.user_id is None or getattr(obj, "owner_id", None) != self.user_id:
            return False
        return OWNERSHIP in self.scopes or self.made(obj)

    def made(self, obj: Any) -> bool:
        """True when this principal is an API key and `obj` records it in `api_key_id`."""
        return self.api_key_id is not None and getattr(obj, "api_key_id", None) == self.api_key_id

    @classmethod
    def for_user(cls, user: AbstractBaseUser | AnonymousUser | None) -> Principal:
        """The principal of a person (for tasks, tests and pages). Inside a request authenticated with
        an API key, the key's principal (authentication hangs it on the user), so a call that still
        passes a plain user acts with the key's role, not its creator's."""
        carried = getattr(user, "aiser_principal", None)
        if isinstance(carried, Principal):
            return carried
        workspace = _workspace_in_scope()
        if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
            return cls(
                user=None, user_id=None, kind="person", role=None, scopes=frozenset(), workspace=workspace
            )
        return cls(
            user=user,
            user_id=user.pk,
            kind="person",
            role=hooks.member_role(user),
            scopes=PERSON_SCOPES,
            workspace=workspace,
        )

    @classmethod
    def for_embed(
        cls,
        *,
        locked: Mapping[str, Any] | None = None,
        scopes: frozenset[str] = frozenset({hooks.VIEW}),
        embed_user: str | None = None,
    ) -> Principal:
        """A viewer holding a verified embed token or public link: no user, no role, only `scopes`
        (VIEW unless the token grants more). `locked` ({field: value or non-empty list of values}) is
        enforced on every query this principal runs, whatever path it takes (see sources/rowaccess).
        `embed_user`: the external id of an embedded chat's end user, named in audit entries."""
        return cls(
            user=None,
            user_id=None,
            kind="embed",
            role=None,
            scopes=scopes,
            workspace=_workspace_in_scope(),
            locked=dict(locked or {}),  # a copy: the caller's mapping may change afterwards
            embed_user=embed_user,
        )

    @classmethod
    def from_request(cls, request: Any) -> Principal:
        """The request's principal, made once: what authentication set (an API key's own principal),
        else the signed-in person with their membership role. Works on Django and DRF requests."""
        target = getattr(request, "_request", request)
        principal = getattr(target, "principal", None)
        if isinstance(principal, Principal):
            return principal
        principal = cls.for_user(getattr(request, "user", None))
        target.principal = principal
        return principal


def _workspace_in_scope() -> str:
    # Outside any organisation (the public site) there is no workspace: the principal then holds no
    # role, so every check fails closed rather than raising.
    try:
        return hooks.current_workspace()
    except RuntimeError:
        return ""
