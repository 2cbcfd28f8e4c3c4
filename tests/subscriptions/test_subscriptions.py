# SPDX-License-Identifier: MIT
"""Subscriptions end to end: the schedule in the organisation's zone across a daylight-saving change,
rendered PNG/PDF/CSV per recipient, unsubscribe, retries, the no-flood rule after downtime, limits and
two organisations. Mail goes to a real local SMTP server where the message itself is checked."""

from __future__ import annotations

import csv
import io
import json
import struct
import zlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail

from chat2chart.core.errors import LimitExceeded, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.subscriptions import runs, services, tasks
from chat2chart.subscriptions.models import Delivery, Subscription, SubscriptionRun
from chat2chart.subscriptions.render import RenderedWidget
from chat2chart.subscriptions.services import SubscriptionInput
from tests.conftest import ARTIFACTS
from tests.dashboards.conftest import SALES_CSV, build_sales_data, make_dashboard

BERLIN_SPRING_FORWARD = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST


def _set_timezone(name: str) -> None:
    from chat2chart.workspaces.selectors import workspace_settings

    row = workspace_settings()
    row.timezone = name
    row.save()


@pytest.fixture
def report(alpha: Any, tmp_path: Path) -> Any:
    """A sales dashboard (revenue by month, filterable by region) in alpha, in Berlin's time zone."""
    with alpha.activate():
        data = build_sales_data(alpha, tmp_path)
        dashboard = make_dashboard(
            data, widgets=("revenue",), filters=[{"field": "region", "kind": "values"}]
        )
        _set_timezone("Europe/Berlin")
    return dashboard


def _subscribe(workspace: Any, dashboard: Any, role: str = "owner", **changes: Any) -> Subscription:
    fields: dict[str, Any] = {
        "title": "Daily revenue",
        "frequency": "daily",
        "hour": 8,
        "member_ids": (workspace.users["owner"].pk,),
        "formats": ("csv",),
    }
    fields.update(changes)
    with workspace.activate():
        return services.subscription_create(
            principal=Principal.for_user(workspace.users[role]),
            data=SubscriptionInput(**fields),
            dashboard=dashboard,
        )


def _tick(workspace: Any, capture: Any) -> list[str]:
    """What beat does every minute: make the due runs of the workspace and send them (eagerly)."""
    with capture(execute=True):
        run_ids = tasks.run_due(workspace.workspace_name)
    with workspace.activate():
        return [run.status for run in SubscriptionRun.objects.filter(pk__in=run_ids)]


def _expected_revenue(region: str | None) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for row in csv.DictReader(io.StringIO(SALES_CSV)):
        if region is None or row["region"] == region:
            totals[row["month"]] += float(row["revenue"])
    return dict(totals)


def _csv_totals(content: bytes | str) -> dict[str, float]:
    text = content.decode() if isinstance(content, bytes) else content  # Django gives text files as str
    rows = list(csv.DictReader(io.StringIO(text)))
    return {row["month"][:10]: float(row["revenue"]) for row in rows}


def _drawn_pixels(png: bytes) -> int:
    """Pixels of a PNG (8-bit RGB/RGBA, as Chromium writes) that are not white: an independent check."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, chunks, header = 8, [], b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    channels = {2: 3, 6: 4}[color]
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    drawn = 0
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, data = line[0], bytearray(line[1:])
        for i in range(stride):
            left = data[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                data[i] = (data[i] + left) & 0xFF
            elif kind == 2:
                data[i] = (data[i] + up) & 0xFF
            elif kind == 3:
                data[i] = (data[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                data[i] = (data[i] + predictor) & 0xFF
        drawn += sum(1 for x in range(0, stride, channels) if min(data[x : x + 3]) < 200)
        previous = data
    return drawn


@pytest.mark.django_db
def test_a_daily_report_arrives_at_8_local_time_across_daylight_saving_with_chart_pdf_and_filtered_csv(
    alpha: Any, report: Any, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(datetime(2026, 3, 27, 12, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(alpha, report, filters={"region": ["North"]}, formats=("png", "pdf", "csv"))
        clock.move_to(datetime(2026, 3, 28, 6, 59, tzinfo=UTC))  # 07:59 CET
        assert _tick(alpha, django_capture_on_commit_callbacks) == []
        clock.move_to(datetime(2026, 3, 28, 7, 0, 30, tzinfo=UTC))  # 08:00 CET
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["sent"]
        clock.move_to(BERLIN_SPRING_FORWARD + timedelta(hours=4, minutes=59))  # 07:59 CEST
        assert _tick(alpha, django_capture_on_commit_callbacks) == []
        clock.move_to(BERLIN_SPRING_FORWARD + timedelta(hours=5, seconds=30))  # 08:00 CEST = 06:00 UTC
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["sent"]

    assert len(smtp_inbox.messages) == 2
    first = smtp_inbox.messages[0]
    assert first["To"] == alpha.users["owner"].email
    assert first["Subject"] == "Daily revenue"
    files = {part.get_filename(): part.get_payload(decode=True) for part in first.iter_attachments()}
    assert _csv_totals(files["revenue-by-month.csv"]) == _expected_revenue("North")
    assert files["sales-overview.pdf"].startswith(b"%PDF")
    assert b"/Image" in files["sales-overview.pdf"] or len(files["sales-overview.pdf"]) > 20_000
    png = next(part for part in first.walk() if part.get_content_type() == "image/png")
    assert png["Content-ID"].startswith("<chart-")
    assert _drawn_pixels(png.get_payload(decode=True)) > 2_000  # bars, axes and labels, not a blank canvas
    ARTIFACTS.mkdir(exist_ok=True)  # for a person to look at
    (ARTIFACTS / "subscription-chart.png").write_bytes(png.get_payload(decode=True))
    (ARTIFACTS / "subscription-report.pdf").write_bytes(files["sales-overview.pdf"])
    html = next(part for part in first.walk() if part.get_content_type() == "text/html").get_content()
    assert f'src="cid:{png["Content-ID"][1:-1]}"' in html
    assert "region = [&#x27;North&#x27;]" in html or "region = ['North']" in html


def test_csv_cells_a_spreadsheet_would_run_are_defused() -> None:
    widget = RenderedWidget(
        key="1", title="t", option=None, columns=("name", "=total"), rows=(("=HYPERLINK(1)", -5), ("+x", 3))
    )
    rows = list(csv.reader(io.StringIO(widget.csv.decode())))
    assert rows == [["name", "'=total"], ["'=HYPERLINK(1)", "-5"], ["'+x", "3"]]


@pytest.mark.django_db
def test_one_click_unsubscribe_stops_only_that_recipient(
    alpha: Any, beta: Any, report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    editor = alpha.users["editor"]
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(alpha, report, member_ids=(alpha.users["owner"].pk, editor.pk))
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        _tick(alpha, django_capture_on_commit_callbacks)
        to_editor = next(m for m in mail.outbox if m.to == [editor.email])
        path = urlsplit(to_editor.extra_headers["List-Unsubscribe"].strip("<>")).path

        # Another organisation's host does not accept it; a GET only asks; the mail client's POST does it.
        assert beta.anonymous_client().post(path).status_code == 404
        assert b"Stop receiving" in alpha.anonymous_client().get(path).content
        response = alpha.anonymous_client().post(path, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert b"no longer receive" in response.content

        mail.outbox.clear()
        clock.move_to(datetime(2026, 5, 5, 6, 0, 30, tzinfo=UTC))
        _tick(alpha, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[alpha.users["owner"].email]]
    assert to_editor.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db
def test_a_worker_dying_mid_run_is_resumed_and_sends_nobody_twice(
    alpha: Any, report: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = alpha.users["editor"]
    real_deliver = runs.deliver
    calls: list[str] = []

    def dies_on_the_second(**kwargs: Any) -> Any:
        calls.append(kwargs["target"].address)
        if len(calls) == 2:
            raise SystemExit("worker killed")  # nothing after this line runs, as in a killed process
        return real_deliver(**kwargs)

    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(alpha, report, member_ids=(alpha.users["owner"].pk, editor.pk))
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        monkeypatch.setattr(runs, "deliver", dies_on_the_second)
        with pytest.raises(SystemExit):
            _tick(alpha, django_capture_on_commit_callbacks)
        monkeypatch.setattr(runs, "deliver", real_deliver)
        assert len(mail.outbox) == 1

        clock.move_to(datetime(2026, 5, 4, 6, 5, tzinfo=UTC))  # not yet stale: still a live worker's
        assert _tick(alpha, django_capture_on_commit_callbacks) == []
        clock.move_to(datetime(2026, 5, 4, 6, 20, tzinfo=UTC))  # stale: its worker is gone
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["sent"]

    assert sorted(m.to[0] for m in mail.outbox) == sorted([alpha.users["owner"].email, editor.email])
    with alpha.activate():
        assert {d.status for d in Delivery.objects.all()} == {"sent"}


@pytest.mark.django_db
@pytest.mark.parametrize(("policy", "expected"), [("each", 5), ("latest", 1)])
def test_after_downtime_each_missed_run_is_sent_once_or_only_the_latest(
    alpha: Any,
    report: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    policy: str,
    expected: int,
) -> None:
    settings.AISER_SUBSCRIPTION_BACKLOG = policy
    settings.AISER_SUBSCRIPTION_BACKLOG_MAX = 5
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(alpha, report, frequency="hourly", minute=15)
        clock.move_to(datetime(2026, 5, 4, 17, 0, tzinfo=UTC))  # 12 runs missed while beat was down
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["sent"] * expected
        assert _tick(alpha, django_capture_on_commit_callbacks) == []
    assert len(mail.outbox) == expected
    with alpha.activate():
        instants = list(
            SubscriptionRun.objects.order_by("scheduled_for").values_list("scheduled_for", flat=True)
        )
    assert instants[-1] == datetime(2026, 5, 4, 16, 15, tzinfo=UTC)  # 18:15 in Berlin
    assert len(set(instants)) == len(instants) == expected


@pytest.mark.django_db
def test_an_empty_report_is_retried_then_reported_to_the_owner_instead_of_sent(
    alpha: Any, report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        subscription = _subscribe(
            alpha, report, filters={"region": ["Nowhere"]}, member_ids=(alpha.users["editor"].pk,)
        )
        for minute in (0, 5, 35):  # the run, then its retries after 5 and 30 minutes
            clock.move_to(datetime(2026, 5, 4, 6, minute, 30, tzinfo=UTC))
            statuses = _tick(alpha, django_capture_on_commit_callbacks)
        assert statuses == ["failed"]

    assert [m.to for m in mail.outbox] == [[alpha.users["owner"].email]]
    assert "could not be sent" in mail.outbox[0].subject
    assert "no rows" in mail.outbox[0].body
    with alpha.activate():
        run = SubscriptionRun.objects.get(subscription=subscription)
    assert (run.status, run.attempts) == ("failed", 3)


@pytest.mark.django_db
def test_a_webhook_and_slack_receive_the_owners_view_once(
    alpha: Any, report: Any, webhook_receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from chat2chart.subscriptions.delivery import verify_webhook

    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        subscription = _subscribe(
            alpha,
            report,
            member_ids=(),
            webhook_url=webhook_receiver.url + "/hook",
            slack_url=webhook_receiver.url + "/slack",
        )
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        _tick(alpha, django_capture_on_commit_callbacks)
        stamp = datetime.now(UTC).timestamp()
    by_path = {path: (headers, body) for path, headers, body in webhook_receiver.requests}
    assert len(webhook_receiver.requests) == 2
    headers, body = by_path["/hook"]
    verify_webhook(body, headers, subscription.webhook_secret, now=stamp)
    payload = json.loads(body)
    assert payload["event"] == "subscription.report"
    rows = payload["charts"][0]["rows"]
    assert {str(month)[:10]: float(value) for month, value in rows} == _expected_revenue(None)
    assert "Daily revenue" in json.loads(by_path["/slack"][1])["text"]


@pytest.mark.django_db
def test_external_addresses_need_an_allowed_domain_and_the_creators_consent(
    alpha: Any, report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(ValidationFailed, match="outside the domains"):
        _subscribe(alpha, report, external_emails=("cfo@partner.example",), share_creator_view=True)
    with alpha.activate():
        services.subscription_settings_update(
            principal=Principal.for_user(alpha.users["admin"]), allowed_domains=["partner.example"]
        )
    with pytest.raises(ValidationFailed, match="Share my view"):
        _subscribe(alpha, report, external_emails=("cfo@partner.example",))
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(
            alpha, report, member_ids=(), external_emails=("CFO@partner.example",), share_creator_view=True
        )
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        _tick(alpha, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["cfo@partner.example"]
    assert f"{alpha.users['owner'].email}'s view" in message.body


@pytest.mark.enterprise
@pytest.mark.django_db
def test_the_plans_limit_on_subscriptions_holds_exactly_at_the_edge_and_per_organisation(
    alpha: Any, beta: Any, report: Any
) -> None:
    from enterprise.billing.models import PlanLimit

    PlanLimit.objects.create(organization=alpha.organization, event="subscriptions", monthly_quantity=2)
    PlanLimit.objects.create(organization=beta.organization, event="subscriptions", monthly_quantity=2)
    _subscribe(alpha, report)
    _subscribe(alpha, report)  # exactly at the limit
    with pytest.raises(LimitExceeded, match=r"allows 2 scheduled reports \(subscriptions\)") as refused:
        _subscribe(alpha, report)
    assert refused.value.details == {"limit": "subscriptions", "allowed": 2, "used": 2}
    with alpha.activate():
        assert Subscription.objects.count() == 2
    with beta.activate():  # the other organisation's allowance is its own
        from enterprise.billing.limits import limit_check

        limit_check(beta.organization, "subscriptions")


@pytest.mark.django_db
def test_a_viewer_subscribes_only_themselves(alpha: Any, report: Any) -> None:
    viewer = alpha.users["viewer"]
    _subscribe(alpha, report, role="viewer", member_ids=(viewer.pk,))
    if alpha.organization is None:
        return  # core edition: every member may do everything
    from chat2chart.core.errors import Forbidden

    with pytest.raises(Forbidden):
        _subscribe(alpha, report, role="viewer", member_ids=(viewer.pk, alpha.users["owner"].pk))


@pytest.mark.enterprise
@pytest.mark.django_db
def test_each_member_gets_what_they_may_see_and_nothing_otherwise(
    alpha: Any, report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from enterprise.rbac.sharing import Grant, object_access_set

    editor, viewer = alpha.users["editor"], alpha.users["viewer"]
    with alpha.activate():
        object_access_set(
            principal=Principal.for_user(alpha.users["owner"]),
            organization=alpha.organization,
            kind="dashboard",
            obj=report,
            visibility="restricted",
            grants=[Grant(level="view", user_id=editor.pk)],
        )
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(alpha, report, member_ids=(editor.pk, viewer.pk))
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["partial"]
    assert [m.to for m in mail.outbox] == [[editor.email]]
    with alpha.activate():
        run = SubscriptionRun.objects.get()
    assert f"{viewer.email}: The recipient may not see this dashboard." in run.error


@pytest.mark.django_db
def test_another_organisations_scheduler_never_sends_alphas_subscription(
    alpha: Any, beta: Any, report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        _subscribe(alpha, report)
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        assert _tick(beta, django_capture_on_commit_callbacks) == []
        assert mail.outbox == []
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["sent"]
    with beta.activate():
        assert not Subscription.objects.exists()
        assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_subscribe_form_creates_a_subscription_listed_with_its_history(alpha: Any, report: Any) -> None:
    client = alpha.client("owner")
    page = client.get(f"/subscriptions/new/?dashboard={report.pk}")
    assert page.status_code == 200
    assert b"Europe/Berlin" in page.content
    response = client.post(
        f"/subscriptions/new/?dashboard={report.pk}",
        {
            "title": "Monday numbers",
            "frequency": "weekly",
            "time": "07:30",
            "weekdays": ["0"],
            "recipients": f"{alpha.users['owner'].email}, {alpha.users['editor'].email}",
            "formats": ["pdf", "csv"],
        },
    )
    assert response.status_code == 302
    with alpha.activate():
        subscription = Subscription.objects.get()
    assert (subscription.frequency, subscription.hour, subscription.minute, subscription.weekdays) == (
        "weekly",
        7,
        30,
        [0],
    )
    assert sorted(subscription.member_ids) == sorted([alpha.users["owner"].pk, alpha.users["editor"].pk])
    listing = client.get("/subscriptions/")
    assert b"Monday numbers" in listing.content
    assert b"Weekly on Mon at 07:30" in listing.content

    bad = client.post(
        f"/subscriptions/new/?dashboard={report.pk}",
        {"frequency": "cron", "cron": "every day", "time": "08:00"},
    )
    assert bad.status_code == 400
    assert b"five fields" in bad.content
    dashboard_page = client.get(f"/dashboards/{report.pk}/")
    assert f"/subscriptions/new/?dashboard={report.pk}".encode() in dashboard_page.content


@pytest.mark.django_db
def test_a_chart_subscription_sends_its_picture_and_data(
    alpha: Any, report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with alpha.activate():
        chart = report.widgets.get().chart
    with time_machine.travel(datetime(2026, 5, 4, 5, 0, tzinfo=UTC), tick=False) as clock:
        with alpha.activate():
            services.subscription_create(
                principal=Principal.for_user(alpha.users["owner"]),
                data=SubscriptionInput(
                    title="Revenue",
                    frequency="daily",
                    hour=8,
                    member_ids=(alpha.users["editor"].pk,),
                    formats=("png", "csv"),
                ),
                chart=chart,
            )
        clock.move_to(datetime(2026, 5, 4, 6, 0, 30, tzinfo=UTC))
        assert _tick(alpha, django_capture_on_commit_callbacks) == ["sent"]
    (message,) = mail.outbox
    files = {name: content for name, content, _ in message.attachments if name}
    assert _csv_totals(files["revenue-by-month.csv"]) == _expected_revenue(None)
    (image,) = [part for part in message.message().walk() if part.get_content_type() == "image/png"]
    assert _drawn_pixels(image.get_payload(decode=True)) > 2_000
    assert f"/charts/{chart.pk}/" in message.body


@pytest.mark.django_db
def test_a_plain_http_webhook_is_refused_where_private_webhooks_are_not_allowed(
    alpha: Any, report: Any, settings: Any
) -> None:
    settings.AISER_ALLOW_PRIVATE_WEBHOOKS = False  # production
    for field in ("webhook_url", "slack_url"):
        with pytest.raises(ValidationFailed, match="must start with https://"):
            _subscribe(alpha, report, member_ids=(), **{field: "http://reports.example.com/hook"})
    with alpha.activate():
        assert not Subscription.objects.exists()
