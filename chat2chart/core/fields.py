# SPDX-License-Identifier: MIT
"""Model fields the data apps share."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def user_reference() -> models.ForeignKey:
    """A reference from workspace data to a person.

    People live in the public schema and workspace data in the organisation's schema (enterprise),
    so there is no database constraint, and deleting a person must not make Django cascade into
    tables that do not exist in the public schema: the id simply stays, and shows as "unknown".
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        db_constraint=False,
    )
