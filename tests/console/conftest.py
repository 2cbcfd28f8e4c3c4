# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Console fixtures: a staff member and clients on the public site."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

# The console is enterprise code: the core edition has none of it to import.
collect_ignore_glob = [] if settings.ENTERPRISE else ["test_*.py"]

STAFF_PASSWORD = "a-long-staff-passphrase-7"


@pytest.fixture
def staff(db: None) -> Any:
    from chat2chart.accounts.models import User

    return User.objects.create_user(email="staff@platform.test", password=STAFF_PASSWORD, is_staff=True)


@pytest.fixture
def public_host() -> str:
    return settings.AISER_BASE_DOMAIN


@pytest.fixture
def console(staff: Any, public_host: str) -> Client:
    """A staff member signed in on the public site."""
    client = Client(HTTP_HOST=public_host)
    client.force_login(staff)
    return client
