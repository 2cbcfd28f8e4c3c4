# SPDX-License-Identifier: MIT
"""Reads of the workspace's settings, and the language model a question in this workspace goes to."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from chat2chart.core import hooks
from chat2chart.core.memo import request_memo
from chat2chart.workspaces.models import SETTINGS_ID, WorkspaceSettings

logger = logging.getLogger(__name__)


def workspace_settings() -> WorkspaceSettings:
    """The settings of the workspace in scope; an unsaved row of defaults when none were saved yet.

    Read once per request or websocket call (`chat2chart.core.memo`; a question reads them for its
    model, its clock and its query), afresh outside one. Raises `RuntimeError` (enterprise) when no
    organisation is in scope, rather than read another's.
    """
    memo_key = f"workspace_settings:{hooks.current_workspace()}"  # fails closed on the public schema
    memo = request_memo()
    if memo is not None and memo_key in memo:
        return memo[memo_key]
    stored = WorkspaceSettings.objects.filter(pk=SETTINGS_ID).first() or WorkspaceSettings(pk=SETTINGS_ID)
    if memo is not None:
        memo[memo_key] = stored
    return stored


@receiver(post_save, sender=WorkspaceSettings, dispatch_uid="workspace-settings-memo")
def _forget_saved_settings(
    sender: type[WorkspaceSettings], instance: WorkspaceSettings, **kwargs: object
) -> None:
    # A request that changes the settings reads the new ones afterwards.
    memo = request_memo()
    if memo is not None:
        memo.pop(f"workspace_settings:{hooks.current_workspace()}", None)


def allowed_models() -> list[str]:
    """The LiteLLM model names the operator lets workspaces choose (`AISER_LLM_ALLOWED_MODELS`)."""
    return list(settings.AISER_LLM_ALLOWED_MODELS)


@dataclass(frozen=True)
class LlmChoice:
    """Where this workspace's questions go. `model` "" means no model: the rule planner answers.

    `api_base` and `api_key` are the platform's, set only when `model` is served by the platform's
    own provider; any other allowed model gets neither (LiteLLM then uses that provider's defaults).
    """

    model: str
    send_samples: bool
    api_base: str | None = None
    api_key: str | None = None


def llm_choice() -> LlmChoice:
    """The model, sample policy and credentials for the workspace in scope."""
    stored = workspace_settings()
    model = stored.llm_model
    if model and model not in allowed_models():
        # The operator withdrew it after the workspace chose it: the platform's model answers.
        logger.warning("workspace model %r is no longer allowed; using the platform's", model)
        model = ""
    model = model or settings.AISER_LLM_MODEL
    send_samples = (
        settings.AISER_LLM_SEND_SAMPLES if stored.llm_send_samples is None else stored.llm_send_samples
    )
    if not model or not platform_serves(model):
        return LlmChoice(model=model, send_samples=bool(send_samples))
    return LlmChoice(
        model=model,
        send_samples=bool(send_samples),
        api_base=settings.AISER_LLM_API_BASE or None,
        api_key=settings.AISER_LLM_API_KEY or None,
    )


def platform_serves(model: str) -> bool:
    """Whether `model` goes to the provider of the platform's `AISER_LLM_MODEL` (so its key may go too)."""
    platform_model = settings.AISER_LLM_MODEL
    if not platform_model:
        return False
    if model == platform_model:
        return True
    return _provider(model) is not None and _provider(model) == _provider(platform_model)


def _provider(model: str) -> str | None:
    import litellm  # only on this path: loading it is slow

    try:
        return litellm.get_llm_provider(model)[1]
    except Exception:  # noqa: BLE001 - an unknown provider gets no platform credentials
        return None


def workspace_locale() -> str:
    """The locale tag the workspace writes numbers in (its setting, else AISER_DEFAULT_LOCALE).
    Outside any workspace (no organisation in scope) the default: a number format is never a secret."""
    try:
        return str(workspace_settings().locale or settings.AISER_DEFAULT_LOCALE)
    except RuntimeError:
        return str(settings.AISER_DEFAULT_LOCALE)


@dataclass(frozen=True)
class WorkspaceClock:
    """Today as the workspace sees it: relative periods ("last month", "yesterday") start from here.

    `now` is the wall-clock time in the workspace's time zone without a zone attached, as sources store
    wall-clock times; `fiscal_year_start_month` is 1-12.
    """

    now: datetime
    today: date
    fiscal_year_start_month: int


def workspace_clock() -> WorkspaceClock:
    """The current time in the workspace's time zone (its setting, else AISER_DEFAULT_TIMEZONE)."""
    stored = workspace_settings()
    try:
        zone = zoneinfo.ZoneInfo(stored.timezone or settings.AISER_DEFAULT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    now = datetime.now(zone).replace(tzinfo=None)
    return WorkspaceClock(
        now=now, today=now.date(), fiscal_year_start_month=stored.fiscal_year_start_month or 1
    )
