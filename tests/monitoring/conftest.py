# SPDX-License-Identifier: MIT
"""Reading `/metrics` the way Prometheus does: with the bearer token, parsed into samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-for-tests"  # noqa: S105

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """{(sample name, {label: value}): value} of an exposition text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample `name` with exactly `labels`, 0 when absent (a counter not yet incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape(settings: Any, db: None) -> Callable[[], Samples]:
    """`scrape()` reads /metrics with the token (on no organisation's host) and returns its samples."""
    settings.AISER_METRICS_TOKEN = TOKEN
    settings.AISER_METRICS_ALLOWED_ADDRESSES = []

    def read() -> Samples:
        response = Client(HTTP_HOST="127.0.0.1").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        return parse(response.content.decode())

    return read
