# SPDX-License-Identifier: MIT
"""Words of an analysis answer: the engine's template sentence, or, when the workspace has a language model,
the model's rewording of it, kept only when every number in it is one of the findings' numbers
(`analytics.wording.faithful`); any other answer, a timeout or an error falls back to the template.

The model rewrites; it never computes. It is sent the template sentence only (no rows of data).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings

from chat2chart.analytics.wording import faithful
from chat2chart.conversations.analysis import AnalysisAnswer
from chat2chart.core import hooks
from chat2chart.workspaces.selectors import llm_choice

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Rewrite the analysis below in plain, friendly English for a business reader, in at most 90 words. "
    "Keep every number exactly as given (you may drop numbers, never add, compute, convert or round one). "
    "Keep list numbering if there is a list. Reply with the text only."
)


def reworded(answer: AnalysisAnswer, *, complete: Callable[..., Any] | None = None) -> AnalysisAnswer:
    """`answer` with its sentence reworded by the workspace's model when one is configured and the
    rewording keeps to the numbers; else `answer` unchanged. `complete` replaces `litellm.completion`."""
    choice = llm_choice()
    if not choice.model or not answer.sentence:
        return answer
    import litellm  # loaded only when a model is configured

    call = hooks.timed_call(
        complete or litellm.completion, "llm_call_seconds", model=choice.model, purpose="reword"
    )
    try:
        response = call(
            model=choice.model,
            messages=[
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": answer.sentence},
            ],
            timeout=float(settings.AISER_LLM_TIMEOUT_S),
            num_retries=0,
            **({"api_base": choice.api_base} if choice.api_base else {}),
            **({"api_key": choice.api_key} if choice.api_key else {}),
        )
        text = (response.choices[0].message.content or "").strip()
    except Exception:  # noqa: BLE001 - any failure of the model keeps the template, which is always right
        logger.warning("rewording an analysis answer failed; the template answers", exc_info=True)
        return answer
    if not text or not faithful(answer.sentence, text, findings=answer.findings):
        logger.info("the model's rewording changed a number; the template answers")
        return answer
    return dataclasses.replace(answer, sentence=text)
