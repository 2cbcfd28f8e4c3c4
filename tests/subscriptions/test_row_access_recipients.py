# SPDX-License-Identifier: MIT
"""Each recipient receives their own numbers: one subscription to two members whose row-level access
differs (the core's `row_filters` hook, as an edition registers it) sends each a CSV whose totals equal
a plain-Python sum over the source file of their own region only."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from chat2chart.core.hooks import RowRule
from chat2chart.core.principal import Principal
from chat2chart.subscriptions import services, tasks
from chat2chart.subscriptions.services import SubscriptionInput
from tests.dashboards.conftest import SALES_CSV, build_sales_data, make_dashboard

REGION_OF: dict[int, str] = {}  # user id → the one region that member may see (set by the test)


def region_rule(principal: Principal, source: Any, table_name: str) -> list[RowRule]:
    """A row_filters implementation: members named in REGION_OF see their region only."""
    region = REGION_OF.get(principal.user_id or -1)
    return [RowRule(column="region", values=(region,))] if region else []


def _expected(region: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for row in csv.DictReader(io.StringIO(SALES_CSV)):
        if row["region"] == region:
            totals[row["month"]] += float(row["revenue"])
    return dict(totals)


def _csv_totals(content: bytes | str) -> dict[str, float]:
    text = content.decode() if isinstance(content, bytes) else content
    return {row["month"][:10]: float(row["revenue"]) for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.django_db
def test_two_recipients_with_different_row_access_each_get_their_own_totals(
    alpha: Any, tmp_path: Any, settings: Any, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AISER_HOOK_PLUGINS = {
        **settings.AISER_HOOK_PLUGINS,
        "row_filters": [f"{__name__}.region_rule"],
    }
    owner, editor = alpha.users["owner"], alpha.users["editor"]
    regions = sorted({row["region"] for row in csv.DictReader(io.StringIO(SALES_CSV))})
    assert len(regions) >= 2
    REGION_OF.clear()
    REGION_OF.update({owner.pk: regions[0], editor.pk: regions[1]})
    try:
        with alpha.activate():
            dashboard = make_dashboard(build_sales_data(alpha, tmp_path), widgets=("revenue",))
        with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
            with alpha.activate():
                services.subscription_create(
                    principal=Principal.for_user(owner),
                    data=SubscriptionInput(
                        title="Revenue",
                        frequency="daily",
                        hour=8,
                        member_ids=(owner.pk, editor.pk),
                        formats=("csv",),
                    ),
                    dashboard=dashboard,
                )
            clock.move_to(datetime(2026, 5, 4, 8, 0, 30, tzinfo=UTC))
            with django_capture_on_commit_callbacks(execute=True):
                tasks.run_due(alpha.workspace_name)
    finally:
        REGION_OF.clear()

    received: dict[str, dict[str, float]] = {}
    for user, region in ((owner, regions[0]), (editor, regions[1])):
        (message,) = [m for m in smtp_inbox.messages if m["To"] == user.email]
        files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
        received[region] = _csv_totals(files["revenue-by-month.csv"])
        assert received[region] == pytest.approx(_expected(region)), region
    assert received[regions[0]] != received[regions[1]]
