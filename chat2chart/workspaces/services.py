# SPDX-License-Identifier: MIT
"""Changing the workspace's settings: validated against the operator's limits, audited, one service."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from chat2chart.charts.builders.formats import NUMBER_LOCALES, locale_exists
from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.workspaces.models import SETTINGS_ID, WorkspaceSettings, validate_timezone
from chat2chart.workspaces.selectors import allowed_models

# scheme://host[:port], optionally with a leading "*." on the host, as CSP source expressions allow.
ORIGIN = re.compile(
    r"^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$"
)
MAX_ORIGINS = 50
_UNCHANGED: Any = object()


def clean_llm_model(model: str | None) -> str:
    """`model` stripped; "" for the platform's default. Raises `ValidationFailed` outside the allow-list."""
    model = (model or "").strip()
    if not model:
        return ""
    allowed = allowed_models()
    if model not in allowed:
        choices = ", ".join(allowed) if allowed else "none: this platform offers only its default"
        raise ValidationFailed(
            f"The model {model!r} is not offered on this platform. Choose one of: {choices}.",
            code="model_not_allowed",
        )
    return model


def clean_origins(origins: Any) -> list[str]:
    """Origins as `scheme://host[:port]`, lower case, no duplicates; a string may list them with spaces."""
    if isinstance(origins, str):
        origins = origins.split()
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise ValidationFailed('Allowed origins must be a list such as ["https://app.example.com"].')
    cleaned: list[str] = []
    for origin in origins:
        origin = origin.strip().rstrip("/").lower()
        if not origin:
            continue
        if not ORIGIN.match(origin):
            raise ValidationFailed(
                f"{origin!r} is not an origin: write scheme://host[:port], without a path."
            )
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > MAX_ORIGINS:
        raise ValidationFailed(f"At most {MAX_ORIGINS} origins can be allowed.")
    return cleaned


def clean_timezone(name: str) -> str:
    name = (name or "").strip()
    try:
        validate_timezone(name)
    except ValidationError as error:
        raise ValidationFailed(error.messages[0]) from None
    return name


def clean_locale(tag: str) -> str:
    """A locale tag CLDR knows ("de-DE", "de-CH") or blank for the platform default; anything else is
    refused."""
    tag = (tag or "").strip()
    if tag and not locale_exists(tag):
        raise ValidationFailed(
            f"{tag[:40]!r} is not a supported locale; use a language and region tag such as "
            f"{', '.join(NUMBER_LOCALES[:6])}."
        )
    return tag


def clean_monthly_questions(quantity: Any) -> int | None:
    """A number of questions per end user and month (0 stops them), or None for no monthly limit."""
    if quantity is None or quantity == "":
        return None
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int | str)
        or not str(quantity).strip().isdigit()
    ):
        raise ValidationFailed("Questions per end user and month is a whole number (0 or more), or empty.")
    return int(quantity)


def clean_fiscal_year_start_month(month: Any) -> int:
    if isinstance(month, bool) or not isinstance(month, int | str) or not str(month).strip().isdigit():
        raise ValidationFailed("The fiscal year's first month is a number from 1 (January) to 12.")
    if not 1 <= int(month) <= 12:
        raise ValidationFailed("The fiscal year's first month is a number from 1 (January) to 12.")
    return int(month)


@transaction.atomic
def workspace_settings_update(
    *,
    principal: Principal,
    llm_model: str | None = _UNCHANGED,
    llm_send_samples: bool | None = _UNCHANGED,
    embed_allowed_origins: Any = _UNCHANGED,
    timezone: str = _UNCHANGED,
    fiscal_year_start_month: int = _UNCHANGED,
    locale: str = _UNCHANGED,
    embed_questions_per_user_month: int | None = _UNCHANGED,
) -> WorkspaceSettings:
    """Change the given settings of the workspace in scope (the others stay) and audit the change.

    Raises `Forbidden` unless `principal` may manage the workspace, `ValidationFailed` with a message for
    the person when a value is not acceptable (e.g. a model outside `AISER_LLM_ALLOWED_MODELS`).
    """
    if not hooks.can(principal, hooks.MANAGE):
        raise Forbidden("Only admins can change the workspace's settings.")
    cleaners = {
        "llm_model": clean_llm_model,
        "llm_send_samples": lambda value: None if value is None else bool(value),
        "embed_allowed_origins": clean_origins,
        "timezone": clean_timezone,
        "fiscal_year_start_month": clean_fiscal_year_start_month,
        "locale": clean_locale,
        "embed_questions_per_user_month": clean_monthly_questions,
    }
    given = {
        "llm_model": llm_model,
        "llm_send_samples": llm_send_samples,
        "embed_allowed_origins": embed_allowed_origins,
        "timezone": timezone,
        "fiscal_year_start_month": fiscal_year_start_month,
        "locale": locale,
        "embed_questions_per_user_month": embed_questions_per_user_month,
    }
    changes = {name: cleaners[name](value) for name, value in given.items() if value is not _UNCHANGED}
    hooks.current_workspace()  # fails closed when no workspace is in scope
    stored, _ = WorkspaceSettings.objects.select_for_update().get_or_create(pk=SETTINGS_ID)
    before = {name: getattr(stored, name) for name in changes}
    for name, value in changes.items():
        setattr(stored, name, value)
    stored.save()
    hooks.record_audit(
        action="workspace.settings_update",
        actor=principal,
        target_type="workspace_settings",
        target_id=stored.pk,
        data={**changes, "changes": hooks.audit_changes(before, changes)},
    )
    return stored
