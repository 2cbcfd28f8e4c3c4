# SPDX-License-Identifier: MIT
"""Collections: folders of saved charts and dashboards, one of them personal to each person.

Rows live in the organisation's schema (a tenant app). Charts and dashboards point at their collection
(`collection`, none = the workspace's root), and carry `pinned` and `archived_at` themselves.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from chat2chart.core.fields import user_reference


class Collection(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # A personal collection belongs to one person (its only reader, with the workspace's admins);
    # None for a shared collection everyone in the workspace sees.
    personal_owner = user_reference()
    owner = user_reference()
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["personal_owner"],
                condition=Q(personal_owner__isnull=False),
                name="one_personal_collection_per_person",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.personal_owner_id is not None
