# SPDX-License-Identifier: MIT
"""Source services take the acting Principal: they check its rights themselves and their audit entries
name the person and, when an API key acted, the key."""

from __future__ import annotations

import pytest
from django.test import Client

from chat2chart.core.errors import Forbidden
from chat2chart.core.principal import Principal
from chat2chart.sources import services
from chat2chart.sources.models import Source
from tests.sources.fixtures_api import upload_source

pytestmark = pytest.mark.enterprise


def test_a_viewer_cannot_delete_or_rename_a_source_even_calling_the_service_directly(alpha):
    made = upload_source(alpha.client("editor")).json()
    with alpha.activate():
        source = Source.objects.get(pk=made["id"])
        viewer = Principal.for_user(alpha.users["viewer"])
        with pytest.raises(Forbidden):
            services.source_delete(source=source, principal=viewer)
        with pytest.raises(Forbidden):
            services.source_update(source=source, principal=viewer, name="Renamed")
        source.refresh_from_db()
        assert source.name == made["name"]


def test_a_source_created_with_an_api_key_is_audited_with_its_creator_and_the_key(alpha, beta):
    from enterprise.audit.models import AuditEntry

    with beta.activate():
        beta_before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    created = alpha.client("owner").post(
        "/api/v1/api-keys/", {"name": "ci", "role": "editor"}, content_type="application/json"
    )
    assert created.status_code == 201
    key = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {created.json()['key']}")
    response = upload_source(key)
    assert response.status_code == 201
    with alpha.activate():
        entry = AuditEntry.objects.get(action="source.create", target_id=str(response.json()["id"]))
        assert entry.actor_id == alpha.users["owner"].pk
        assert entry.data["api_key_id"] == created.json()["id"]
    # A person's own change names no key, and the other organisation's trail holds nothing of this.
    by_person = upload_source(alpha.client("editor")).json()
    with alpha.activate():
        entry = AuditEntry.objects.get(action="source.create", target_id=str(by_person["id"]))
        assert entry.actor_id == alpha.users["editor"].pk
        assert "api_key_id" not in (entry.data or {})
    with beta.activate():
        assert not AuditEntry.objects.filter(pk__gt=beta_before).exists()
