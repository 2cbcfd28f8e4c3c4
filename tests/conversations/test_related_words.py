# SPDX-License-Identifier: MIT
"""Words related in meaning to a column's name ("revenue" for an Earnings column): read through the
upload and conversations APIs, numbers checked against pandas, the assumption stated; vague words still get
a question."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from chat2chart.conversations.planner import minilm
from tests.conversations.asking import conversation_on


@pytest.fixture(autouse=True)
def _rule_planner(settings):
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def ask(alpha):
    return conversation_on(alpha.client(), SHOPS, file_name="shops.csv")


SHOPS = """Shop,Earnings,Territory,Headcount
alpha,1200.5,North,9
beta,1500.25,North,11
gamma,2100,South,18
delta,2500.75,South,22
epsilon,1100,West,7
zeta,1300,West,9
"""


def test_encoder_is_padding_invariant_and_unit_length():
    # Masking right: a phrase embeds the same alone as in a batch beside a longer one.
    alone = minilm.encode(["weight"])[0]
    batched = minilm.encode(["weight", "the total number of orders placed by each customer last year"])
    assert np.allclose(alone, batched[0], atol=1e-5)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_related_words_are_closer_than_unrelated_ones():
    weight, mass, region, country = minilm.encode(["weight", "mass", "region", "country"])
    assert weight @ mass > weight @ region
    assert country @ region > country @ mass


def test_a_word_related_to_a_column_is_read_as_it_and_the_answer_says_so(ask):
    answer = ask("total revenue by territory")
    assert "\u201crevenue\u201d as Earnings" in answer["explanation"]
    names = [c["name"] for c in answer["data"]["columns"]]
    assert names[0] == "Territory"
    expected = pd.read_csv(io.StringIO(SHOPS)).groupby("Territory")["Earnings"].sum()
    got = {row[0]: row[1] for row in answer["data"]["rows"]}
    assert got == pytest.approx(expected.to_dict())


def test_a_vague_word_is_asked_about_not_guessed(ask):
    answer = ask("average banana by territory")
    assert answer["clarification"] is not None
    assert "\u201cbanana\u201d" in answer["clarification"]["message"]
