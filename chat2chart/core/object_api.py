# SPDX-License-Identifier: MIT
"""The one base of API views about one object of the workspace; every lookup runs the app's policy.

Import it as `chat2chart.core.api.WorkspaceObjectView` (it lives here because DRF's APIView imports
`chat2chart.core.api.ActionPermission` while it loads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.views import APIView

from chat2chart.core.api import ActionPermission
from chat2chart.core.errors import Forbidden, NotFound
from chat2chart.core.principal import Principal

ObjectRule = Callable[[Principal, Any], bool]

# The policy rule a method asks by default; a view names another in `object_actions` (e.g. "publish").
_METHOD_RULES = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "change",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}
_SEALED = ("initial", "get_object", "check_object_permissions", "check_permissions")


class WorkspaceObjectView(APIView):
    """Base of every API view about one object of the workspace (a source, chart, dashboard, conversation).

    Before the handler runs, `initial()` loads the object with `safely_get_object(**url_kwargs)` and asks
    the app's `policy[rule]` for the request's principal, where the rule is `object_actions[method]` or
    the method's default (view, change, delete); the handler reads `self.object` and `self.principal`.
    Like PostHog's `TeamAndOrgViewSetMixin`, subclasses cannot override the lookup or the check (it raises
    at class creation), cannot lower the view-level action with `actions`, and must name only rules their
    policy defines. The rare unchecked load is `dangerously_get_object_unchecked`, so a reviewer sees it.
    """

    checks_object_policy: ClassVar[bool] = True  # ActionPermission only asks for membership (VIEW)
    policy: ClassVar[Mapping[str, ObjectRule]] = {}
    object_actions: ClassVar[Mapping[str, str]] = {}
    # Answer 404 rather than 403 when the principal may not see the object (so ids reveal nothing).
    hide_denied: ClassVar[bool] = False

    object: Any
    principal: Principal

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} may not override {name}(): implement safely_get_object() and name "
                    "the policy rule in object_actions."
                )
        if "actions" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: an object view names policy rules in object_actions.")
        for method in cls.http_method_names:
            if method == "options" or not hasattr(cls, method):
                continue
            rule = cls._rule_for(method.upper())
            if rule not in cls.policy:
                raise TypeError(f"{cls.__name__}.{method}: the policy has no rule {rule!r}.")

    @classmethod
    def _rule_for(cls, method: str) -> str:
        return cls.object_actions.get(method) or _METHOD_RULES.get(method, "change")

    def safely_get_object(self, **url_kwargs: Any) -> Any:
        """The object the URL names, from the workspace in scope; raise NotFound when there is none."""
        raise NotImplementedError

    def not_found(self, **url_kwargs: Any) -> NotFound:
        """What a hidden object answers: the same as a missing one, so ids reveal nothing."""
        return NotFound("Not found.")

    def dangerously_get_object_unchecked(self, **url_kwargs: Any) -> Any:
        """The object without asking the policy. Every use needs a reason a reviewer can accept."""
        return self.safely_get_object(**url_kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.principal = Principal.from_request(request)
        obj = self.safely_get_object(**kwargs)
        rule = self.policy.get(self._rule_for(request.method or "GET"))
        if rule is None or not rule(self.principal, obj):
            can_view = self.policy.get("view")
            if self.hide_denied and (can_view is None or not can_view(self.principal, obj)):
                raise self.not_found(**kwargs)
            raise Forbidden(ActionPermission.message)
        self.object = obj
