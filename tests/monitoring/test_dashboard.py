# SPDX-License-Identifier: MIT
"""The Grafana dashboard and the alert rules read only metrics Aiser exports (a renamed metric would
leave a panel or an alert silently empty)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "aiser.json"
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
# Set by the backup job (docs/backups.md), not by the web server.
ELSEWHERE = {"aiser_backup_last_success_timestamp_seconds"}
_METRIC = re.compile(r"\b((?:aiser|django)_[a-z_]+)")
_SUFFIX = re.compile(r"_(total|bucket|count|sum|created)$")


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def rule_queries() -> list[str]:
    return [rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


@pytest.mark.enterprise
def test_the_dashboard_and_alerts_read_only_exported_metrics(settings, db):
    settings.AISER_METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    exported = families(response.content.decode()) | ELSEWHERE
    used = {
        _SUFFIX.sub("", name)
        for query in dashboard_queries() + rule_queries()
        for name in _METRIC.findall(query)
    }
    assert len(used) > 20
    assert used - exported == set()


def test_the_dashboard_has_a_panel_for_each_area_the_operators_watch():
    board = json.loads(DASHBOARD.read_text())
    rows = [panel["title"] for panel in board["panels"] if panel["type"] == "row"]
    assert rows == [
        "Health",
        "Traffic and errors",
        "Latency",
        "Questions",
        "Language models",
        "Ingest and storage",
        "Celery",
        "Connections and refusals",
        "Database and cache",
    ]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    assert all(query.count("(") == query.count(")") for query in dashboard_queries())
