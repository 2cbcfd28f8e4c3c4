# SPDX-License-Identifier: MIT
"""Shared fixtures: two organisations (alpha, beta) with members of every role, and clients on their hosts.

Organisations are created once per test database (schema creation runs migrations, so it is slow) and
committed; everything a test creates inside them is rolled back with the test's transaction.
In the core edition (`AISER_EDITION=core`) there are no organisations: `workspace` is the single workspace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PASSWORD = "correct-horse-battery-1"
ROLES = ("owner", "admin", "editor", "viewer")


@dataclass
class Workspace:
    """One organisation (or the core's single workspace) and a user per role."""

    slug: str
    host: str
    organization: Any = None
    users: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str = "owner", **extra: Any) -> Client:
        client = Client(HTTP_HOST=self.host, **extra)
        client.force_login(self.users[role])
        return client

    def anonymous_client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def activate(self) -> Any:
        """A context manager that runs ORM calls inside this workspace's schema."""
        if self.organization is None:
            import contextlib

            return contextlib.nullcontext()
        from django_tenants.utils import tenant_context

        return tenant_context(self.organization)

    @property
    def workspace_name(self) -> str:
        return self.organization.schema_name if self.organization is not None else "default"


def _make_user(email: str) -> Any:
    from chat2chart.accounts.services import user_ensure_verified

    return user_ensure_verified(email=email, password=PASSWORD)


def _make_organization(slug: str) -> Workspace:
    from enterprise.tenants.models import Membership, Organization
    from enterprise.tenants.services import organization_create

    users = {role: _make_user(f"{role}@{slug}.test") for role in ROLES}
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = organization_create(name=slug.title(), slug=slug, owner=users["owner"])
    for role in ROLES:
        Membership.objects.update_or_create(user=users[role], organization=organization, defaults={"role": role})
    return Workspace(slug=slug, host=organization.host, organization=organization, users=users)


@pytest.fixture(scope="session")
def workspaces(django_db_setup: None, django_db_blocker: Any) -> dict[str, Workspace]:
    with django_db_blocker.unblock():
        if settings.ENTERPRISE:
            connection.set_schema_to_public()
            return {slug: _make_organization(slug) for slug in ("alpha", "beta")}
        users = {role: _make_user(f"{role}@default.test") for role in ROLES}
        return {"default": Workspace(slug="default", host="testserver", users=users)}


@pytest.fixture
def alpha(workspaces: dict[str, Workspace], db: None) -> Workspace:
    return workspaces.get("alpha") or workspaces["default"]


@pytest.fixture
def beta(workspaces: dict[str, Workspace], db: None) -> Workspace:
    if "beta" not in workspaces:
        pytest.skip("isolation between organisations needs the enterprise edition")
    return workspaces["beta"]


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Any:
    """Requests and tenant_context leave the connection on a tenant schema; start each test clean."""
    yield
    if settings.ENTERPRISE:
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _isolated_files(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    from django.core.cache import caches

    yield
    for alias in settings.CACHES:
        caches[alias].clear()
