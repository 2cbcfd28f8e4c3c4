# SPDX-License-Identifier: MIT
"""Every API operation in `/api/schema/`, fuzzed with schemathesis under a key of each role.

For each operation and role (owner, editor, viewer of alpha, with beta present), a bounded number of
generated requests — valid and invalid — go through the real WSGI application. None may answer 5xx,
and every 4xx must carry the JSON error shape `{"error": {"code": ..., "message": ...}}`.
Everything the requests change is rolled back with the test's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode

pytestmark = [pytest.mark.slow, pytest.mark.enterprise]

EXAMPLES_PER_OPERATION = 4
ROLES = ("owner", "editor", "viewer")


@pytest.fixture
def role_keys(alpha: Any, beta: Any) -> dict[str, str]:
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    with alpha.activate():
        return {
            role: api_key_create(
                organization=alpha.organization,
                principal=Principal.for_user(alpha.users["owner"]),
                name=f"fuzz {role}",
                role=role,
            ).raw_key
            for role in ROLES
        }


@pytest.fixture
def api_schema(alpha: Any) -> Iterator[Any]:
    """The schema served on alpha's host, its requests sent to the WSGI application in-process.
    As Django's test client does, requests do not close the connection the test's transaction is on."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from aiser.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", application, headers={"Host": alpha.host}
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _problem(response: Any) -> str | None:
    """What is wrong with this response, if anything."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:300]}"
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.text)
    except ValueError:
        return f"{response.status_code} without a JSON body: {response.text[:200]}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) or "message" not in error:
        return f"{response.status_code} not in the error shape: {response.text[:200]}"
    return None


def test_no_operation_answers_5xx_or_an_error_outside_the_shape(alpha, api_schema, role_keys, settings):
    settings.AISER_API_RATE = "100000/m"
    problems: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10

    for operation in operations:
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE
        )
        for role, key in role_keys.items():
            _fuzz_operation(strategy, alpha.host, role, key, problems)
    assert problems == {}


def _fuzz_operation(strategy: Any, host: str, role: str, key: str, problems: dict[str, str]) -> None:
    """Send EXAMPLES_PER_OPERATION generated requests as `role`; note the first problem of each."""

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = case.call(
            base_url=f"http://{host}", headers={"Host": host, "Authorization": f"Bearer {key}"}
        )
        problem = _problem(response)
        if problem:
            problems.setdefault(f"{case.method} {case.formatted_path} as {role}", problem)

    fuzz()
