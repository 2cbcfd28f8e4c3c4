# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An authentication backend listed first that stops password sign-in where SSO is required."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from enterprise.sso.login import password_refused


class RequireSsoBackend(ModelBackend):
    """Refuses (PermissionDenied ends Django's backend loop) a password for a member of the
    organisation whose host this is, when it requires SSO; owners are let through to the next backend.

    A ModelBackend for everything else (`get_user`): being first in AUTHENTICATION_BACKENDS, it is
    the backend `force_login` and `login()` without a backend record in sessions."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **credentials: Any,
    ) -> None:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public" or password is None:
            return None
        email = str(credentials.get("email") or username or "").strip()
        user = get_user_model().objects.filter(email__iexact=email).first() if email else None
        if user is not None and password_refused(tenant, user):
            raise PermissionDenied("this organisation signs in with SSO")
        return None
