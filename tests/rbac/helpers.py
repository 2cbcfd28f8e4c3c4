# SPDX-License-Identifier: MIT
"""Helpers for the members, roles and object-permission tests: extra members, custom roles and groups
made through the real API."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tests.conftest import PASSWORD


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    """A JSON request; `method` is "post", "patch", "put" or "delete"."""
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data, content_type="application/json")


def add_member(workspace: Any, email: str, role: str = "viewer") -> tuple[Any, Client]:
    """A new person in `workspace` with a built-in `role`, and a client signed in as them."""
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.tenants.models import Membership

    user = user_ensure_verified(email=email, password=PASSWORD)
    Membership.objects.create(user=user, organization=workspace.organization, role=role)
    client = Client(HTTP_HOST=workspace.host)
    client.force_login(user)
    return user, client


def membership_id(workspace: Any, user: Any) -> int:
    from enterprise.tenants.models import Membership

    return Membership.objects.get(user=user, organization=workspace.organization).pk


def create_role(workspace: Any, name: str, permissions: list[str], role: str = "owner") -> Any:
    return send(workspace.client(role), "post", "/api/v1/roles/", {"name": name, "permissions": permissions})


def create_group(workspace: Any, name: str, role: str = "", by: str = "owner", **extra: Any) -> Any:
    return send(workspace.client(by), "post", "/api/v1/groups/", {"name": name, "role": role, **extra})
