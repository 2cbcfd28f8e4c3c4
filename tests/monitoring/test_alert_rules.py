# SPDX-License-Identifier: MIT
"""The alerting files in deploy/: Prometheus rules checked and unit-tested by promtool (every alert has
its own tests), the example Alertmanager and Prometheus configurations accepted by amtool and promtool,
and every alert's runbook link names a section of docs/operations.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
# Minute-scale alerts; alerts over days, evaluated every 10 minutes so a day of input stays quick.
RULE_TESTS = (PROMETHEUS / "alerts_test.yml", PROMETHEUS / "alerts_daily_test.yml")
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
OPERATIONS = ROOT / "docs" / "operations.md"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (CI installs it)")
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=PROMETHEUS, check=False)


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_alert_rules():
    checked = run(tool("promtool"), "check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_the_alert_rules_pass_their_unit_tests():
    tested = run(tool("promtool"), "test", "rules", *map(str, RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_fires_in_a_unit_test_and_stays_quiet_in_another():
    cases = [case for path in RULE_TESTS for case in yaml.safe_load(path.read_text())["tests"]]
    firing, quiet = set(), set()
    for case in cases:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alerts()}
    assert names - firing == set(), "alerts never seen firing"
    assert names - quiet == set(), "alerts never seen quiet"


def test_amtool_accepts_the_example_alertmanager_configuration():
    checked = subprocess.run(
        [tool("amtool"), "check-config", str(ALERTMANAGER)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_accepts_the_example_prometheus_configuration():
    checked = run(tool("promtool"), "check", "config", "--syntax-only", str(PROMETHEUS / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_links_to_its_runbook_in_the_operations_guide():
    headings = re.findall(r"^#{2,4} (.+)$", OPERATIONS.read_text(), flags=re.MULTILINE)
    # GitHub's anchors: lower case, punctuation dropped, spaces as hyphens.
    anchors = {re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-") for heading in headings}
    for rule in alerts():
        link = rule["annotations"]["runbook_url"]
        assert link == f"docs/operations.md#{rule['alert'].lower()}", rule["alert"]
        assert link.split("#", 1)[1] in anchors, f"docs/operations.md has no section {rule['alert']}"
