# SPDX-License-Identifier: MIT
"""The settings a workspace chooses for itself: one row per workspace (per organisation schema)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# The one row's primary key: a check constraint keeps every workspace to a single row.
SETTINGS_ID = 1


def default_timezone() -> str:
    """The time zone a new workspace starts with (`AISER_DEFAULT_TIMEZONE`)."""
    return settings.AISER_DEFAULT_TIMEZONE


def validate_timezone(name: str) -> None:
    """Raise `ValidationError` unless `name` is an IANA time zone such as "Europe/Berlin"."""
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone; use an IANA name such as Europe/Berlin.")


class WorkspaceSettings(models.Model):
    """What this workspace chose; blank or null fields fall back to the platform's settings."""

    # A LiteLLM model name from AISER_LLM_ALLOWED_MODELS (checked on save, since the operator's list
    # can change); blank = the platform's AISER_LLM_MODEL. There is deliberately no API base or key.
    llm_model = models.CharField(max_length=200, blank=True)
    # Send sample cell values to the model; None = the platform's AISER_LLM_SEND_SAMPLES.
    llm_send_samples = models.BooleanField(null=True, blank=True)
    # Origins (scheme://host[:port]) allowed to frame this workspace's embedded dashboards.
    embed_allowed_origins = models.JSONField(default=list, blank=True)
    # Questions one embedded chat end user (external id) may ask per calendar month in `timezone`;
    # None = no monthly limit (the per-minute rate and the plan's limits still apply).
    embed_questions_per_user_month = models.PositiveIntegerField(null=True, blank=True)
    # IANA time zone in which this workspace's dates are read ("this month", "yesterday").
    timezone = models.CharField(max_length=64, default=default_timezone, validators=[validate_timezone])
    # Locale tag numbers are written in ("de-DE": 1.234,5); blank = the platform's AISER_DEFAULT_LOCALE.
    locale = models.CharField(max_length=16, blank=True)
    # The month (1 = January) the fiscal year starts in.
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "workspace settings"
        verbose_name_plural = "workspace settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=SETTINGS_ID), name="one_settings_row_per_workspace"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="fiscal_year_start_month_is_a_month",
            ),
        ]

    def __str__(self) -> str:
        return "Workspace settings"
