# SPDX-License-Identifier: MIT
"""Embeds and public links are reachable without an account, so each client address has a budget.

Budgets are counted in fixed one-minute windows, so each test runs inside one frozen minute: a slow
machine crossing a minute boundary mid-test must not reset the count the test is checking."""

from datetime import datetime

import time_machine

MID_MINUTE = datetime(2025, 3, 15, 12, 0, 30)


def test_a_client_hammering_embed_urls_gets_429(alpha, settings):
    settings.AISER_EMBED_RATE = "2/m"
    client = alpha.anonymous_client()
    with time_machine.travel(MID_MINUTE, tick=False):
        statuses = [client.get("/embed/dashboard/not-a-token").status_code for _ in range(3)]
    assert statuses[:2] == [403, 403]
    assert statuses[2] == 429


def test_the_budget_of_one_organisation_does_not_spend_another(alpha, beta, settings):
    settings.AISER_EMBED_RATE = "2/m"
    with time_machine.travel(MID_MINUTE, tick=False):
        for _ in range(3):
            alpha.anonymous_client().get("/public/dashboard/nothing-here")
        assert alpha.anonymous_client().get("/public/dashboard/nothing-here").status_code == 429
        assert beta.anonymous_client().get("/public/dashboard/nothing-here").status_code == 404
