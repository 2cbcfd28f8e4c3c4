# SPDX-License-Identifier: MIT
"""With a language model configured, an analysis answer may be reworded by it, but every number in the
rewording must be one of the finding's: a rewording that keeps the numbers is shown, one that changes a
number falls back to the engine's template sentence. LiteLLM answers through its own `mock_response`."""

from __future__ import annotations

from datetime import datetime

import pytest

from chat2chart.analytics.wording import faithful, numbers_in
from tests.conversations.asking import conversation_on
from tests.conversations.test_analysis_questions import CSV, FRAME

TODAY = datetime(2025, 3, 15, 12, 0)
MODEL = "openai/gpt-4o-mini"


def _model_answers(monkeypatch: pytest.MonkeyPatch, reply: str) -> list[dict]:
    """Every LiteLLM call answers `reply` through LiteLLM's `mock_response`; the calls are returned."""
    import litellm

    calls: list[dict] = []
    real = litellm.completion

    def complete(**kwargs):
        calls.append(kwargs)
        return real(**kwargs, mock_response=reply)

    monkeypatch.setattr(litellm, "completion", complete)
    return calls


@pytest.fixture
def ask(alpha, settings):
    settings.AISER_LLM_MODEL = MODEL
    return conversation_on(alpha.client(), CSV, file_name="orders.csv", at=TODAY)


def _totals() -> tuple[float, float]:
    months = FRAME.order_date.dt.to_period("M")
    return FRAME[months == "2025-01"].revenue.sum(), FRAME[months == "2025-02"].revenue.sum()


def test_a_rewording_that_keeps_the_numbers_is_shown(ask, monkeypatch):
    january, february = _totals()
    reply = f"Revenue dropped to about {february / 1000:.1f}k in February 2025, down from {january:,.0f}."
    calls = _model_answers(monkeypatch, reply)
    answer = ask("why did revenue fall in February 2025")
    assert answer["content"] == reply
    assert answer["planner"] == "rules"  # the engine's question: the rules plan it, the model only words it
    sent = calls[-1]["messages"][-1]["content"]
    assert sent.startswith(f"Revenue fell from {january:,.0f} in January 2025")


def test_a_rewording_that_changes_a_number_falls_back_to_the_template(ask, monkeypatch):
    january, february = _totals()
    reply = f"Revenue dropped to {february * 1.1:,.0f} in February 2025, down from {january:,.0f}."
    _model_answers(monkeypatch, reply)
    answer = ask("why did revenue fall in February 2025")
    expected = f"Revenue fell from {january:,.0f} in January 2025 to {february:,.0f}"
    assert answer["content"].startswith(expected)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("12.4k and €1,234 and 35 %", [12_400, 1_234, 35]),
        ("1.2 million, -3.5, $0.042", [1_200_000, -3.5, 0.042]),
        ("2.5M visits in Q1 2025", [2_500_000, 1, 2025]),
    ],
)
def test_numbers_are_read_as_people_write_them(text, values):
    assert [n.value for n in numbers_in(text)] == pytest.approx(values)


def test_rounding_is_allowed_but_a_different_number_is_not():
    template = "Revenue rose from 10,000 to 12,437 (+24.4 %)."
    assert faithful(template, "Revenue climbed to about 12.4k, up 24 %.")
    assert not faithful(template, "Revenue climbed to about 13k, up 24 %.")
    assert not faithful(template, "Revenue climbed to 12,437, up 30 %.")
    assert not faithful(template, "Revenue climbed a lot.")  # the numbers may not all disappear
