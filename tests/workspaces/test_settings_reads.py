# SPDX-License-Identifier: MIT
"""A question reads the workspace's settings once (model, clock and query share one read), and a
request that changes them reads the new ones afterwards."""

from datetime import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conversations.asking import conversation_on
from tests.sources.fixtures_api import SALES_CSV


def _settings_reads(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT") and "workspacesettings" in query["sql"]
    )


def test_a_question_reads_the_workspace_settings_once(alpha):
    ask = conversation_on(alpha.client("editor"), SALES_CSV, file_name="sales.csv", at=datetime(2024, 4, 10))
    with CaptureQueriesContext(connection) as queries:
        answer = ask("total revenue by region last month")
    assert answer["status"] == "done"
    assert _settings_reads(queries) == 1


def test_settings_changed_in_a_request_are_the_ones_read_after_it(alpha):
    from chat2chart.core.memo import request_scope
    from chat2chart.core.principal import Principal
    from chat2chart.workspaces.selectors import workspace_clock, workspace_settings
    from chat2chart.workspaces.services import workspace_settings_update

    with alpha.activate(), request_scope():
        assert workspace_settings().timezone in ("", "UTC")
        workspace_settings_update(principal=Principal.for_user(alpha.users["owner"]), timezone="Asia/Tokyo")
        assert workspace_settings().timezone == "Asia/Tokyo"
        assert workspace_clock().now.utcoffset() is None  # wall-clock time, as before
