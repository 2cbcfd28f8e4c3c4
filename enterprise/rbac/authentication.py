# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""DRF authentication with `Authorization: Bearer <key>`, valid only on its organisation's host.

The key becomes the request's principal (`request.principal`): it acts with its own role and scopes,
never with its creator's, including for the creator's objects. The look-up is cached and invalidated on
every change to keys and memberships (`enterprise.rbac.cached`), so a revoked key fails at once."""

from __future__ import annotations

from typing import Any

from django.db import connection
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from chat2chart.core.principal import Principal
from enterprise.rbac.cached import api_key_lookup
from enterprise.rbac.policy import key_scopes
from enterprise.rbac.services import api_key_first_use_record


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0] != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        organization = getattr(connection, "tenant", None)
        if organization is None or connection.schema_name == "public":
            raise exceptions.AuthenticationFailed("Invalid API key.")
        resolved = api_key_lookup(raw_key=parts[1], organization=organization)
        if resolved is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.")
        api_key = resolved.api_key
        user = api_key.created_by
        principal = Principal(
            user=user,
            user_id=user.pk,
            kind="api_key",
            role=resolved.role,
            scopes=key_scopes(
                key_role=resolved.role, creator_role=resolved.creator_role, scopes=api_key.scopes
            ),
            workspace=connection.schema_name,
            api_key_id=api_key.pk,
        )
        if resolved.first_use:
            api_key_first_use_record(api_key=api_key, request=request._request)
        request._request.principal = principal
        # Code that still passes `request.user` gets the key's principal and role, not the creator's.
        user.aiser_principal = principal
        user.aiser_role = resolved.role
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
