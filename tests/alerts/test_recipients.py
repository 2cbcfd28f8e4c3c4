# SPDX-License-Identifier: MIT
"""An alert never tells a member a number they may not see: a member who lost access to the chart by the
time it fires is not emailed, and the history says why."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from chat2chart.alerts.models import AlertDelivery
from tests.alerts.fixtures import TOTAL, chart_on_csv, make_alert, reload, tick

CSV = "order_date,region,revenue\n2026-01-01,North,10\n2026-01-02,North,20\n"


@pytest.mark.enterprise
def test_a_member_who_left_is_not_told(alpha, smtp):
    from enterprise.tenants.models import Membership

    chart = chart_on_csv(alpha, CSV, TOTAL)
    viewer = alpha.users["viewer"]
    alert = make_alert(alpha, chart, condition="above", threshold=5, emails=[viewer.email])
    Membership.objects.filter(user=viewer, organization=alpha.organization).delete()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), tick=False):
        tick(alpha)
    assert reload(alpha, alert).state == "triggered"
    assert [address for address, _ in smtp.messages] == [alpha.users["editor"].email]
    with alpha.activate():
        withheld = AlertDelivery.objects.get(event__alert=alert, recipient__user_id=viewer.pk)
    assert withheld.status == "withheld"
    assert "may no longer see this chart" in withheld.error
    page = alpha.client("editor").get(f"/alerts/{alert.pk}/").content.decode()
    assert "withheld" in page
