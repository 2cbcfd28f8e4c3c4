# SPDX-License-Identifier: MIT
"""What the home page shows: the first-run checklist, recent items and the most used ones.

Every read goes through the apps' `*_visible` selectors, so a person sees only what they may open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse

from chat2chart.charts.selectors import chart_list_visible
from chat2chart.conversations.models import Message
from chat2chart.conversations.selectors import conversation_list
from chat2chart.core.principal import Principal
from chat2chart.dashboards.selectors import dashboard_list_visible
from chat2chart.sources.models import Source
from chat2chart.sources.selectors import source_list_visible

RECENT_LIMIT = 8
POPULAR_LIMIT = 5


@dataclass(frozen=True)
class ChecklistStep:
    """One step of the first-run checklist: `url` is where to do it; `done` once the workspace has it."""

    key: str
    title: str
    hint: str
    url: str
    done: bool


@dataclass(frozen=True)
class HomeItem:
    """A chart, dashboard, conversation or data source as the home page lists it."""

    kind: str  # "Chart", "Dashboard", "Conversation", "Data"
    title: str
    url: str
    when: dt.datetime
    detail: str = ""


def first_run_checklist(principal: Principal, *, people: dict[str, int] | None) -> list[ChecklistStep]:
    """The steps of a new workspace, each done when the workspace (as `principal` sees it) has one.

    `people` is `hooks.workspace_people()`: the "invite a colleague" step is there only where people
    are invited through Aiser (the enterprise edition); done once someone else is a member or invited."""
    sources = source_list_visible(principal)
    steps = [
        ChecklistStep(
            "data",
            "Add data",
            "Upload a CSV, Excel or JSON file, connect a database — or use a sample dataset.",
            reverse("source-upload"),
            sources.filter(status=Source.Status.READY).exists(),
        ),
        ChecklistStep(
            "question",
            "Ask a question",
            "“Revenue by month”, “top 10 products by sales”: the answer comes back as a chart.",
            reverse("chat"),
            Message.objects.filter(
                conversation__in=conversation_list(principal=principal), role=Message.Role.USER
            ).exists(),
        ),
        ChecklistStep(
            "chart",
            "Save a chart",
            "Save an answer’s chart to find it again and put it on dashboards.",
            reverse("chart_list"),
            chart_list_visible(principal).exists(),
        ),
        ChecklistStep(
            "dashboard",
            "Build a dashboard",
            "Collect charts, filter them together, share or embed them.",
            reverse("dashboard-list"),
            dashboard_list_visible(principal).filter(widgets__isnull=False).exists(),
        ),
    ]
    if people is not None:
        steps.append(
            ChecklistStep(
                "invite",
                "Invite a colleague",
                "Work on the same data and dashboards together.",
                "/settings/members/",
                people.get("members", 0) > 1 or people.get("open_invitations", 0) > 0,
            )
        )
    return steps


def recent_items(principal: Principal, *, limit: int = RECENT_LIMIT) -> list[HomeItem]:
    """What changed last among what `principal` may see, newest first: charts, dashboards, their own
    conversations and data sources."""
    items = [
        HomeItem("Chart", c.title, reverse("chart_detail", args=[c.pk]), c.updated_at)
        for c in chart_list_visible(principal).order_by("-updated_at")[:limit]
    ]
    items += [
        HomeItem("Dashboard", d.title, reverse("dashboard-view", args=[d.pk]), d.updated_at)
        for d in dashboard_list_visible(principal).order_by("-updated_at")[:limit]
    ]
    items += [
        HomeItem(
            "Conversation",
            c.title or "Untitled conversation",
            reverse("chat_conversation", args=[c.pk]),
            c.updated_at,
        )
        for c in conversation_list(principal=principal).order_by("-updated_at")[:limit]
    ]
    items += [
        HomeItem("Data", s.name, reverse("source-detail", args=[s.pk]), s.updated_at, s.get_status_display())
        for s in source_list_visible(principal).order_by("-updated_at")[:limit]
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]


def popular_items(principal: Principal, *, limit: int = POPULAR_LIMIT) -> list[HomeItem]:
    """The most used of what `principal` may see: charts on the most dashboards, then data sources
    with the most saved charts. Only items used at least once; Aiser does not count page views."""
    charts = (
        chart_list_visible(principal)
        .annotate(uses=Count("widgets__dashboard", distinct=True))
        .filter(uses__gt=0)
        .order_by("-uses", "-updated_at")[:limit]
    )
    items = [
        HomeItem(
            "Chart",
            c.title,
            reverse("chart_detail", args=[c.pk]),
            c.updated_at,
            f"on {_plural(c.uses, 'dashboard')}",
        )
        for c in charts
    ]
    sources = (
        source_list_visible(principal)
        .annotate(uses=Count("charts", filter=Q(charts__isnull=False), distinct=True))
        .filter(uses__gt=0)
        .order_by("-uses", "-updated_at")[: max(limit - len(items), 0)]
    )
    items += [
        HomeItem(
            "Data",
            s.name,
            reverse("source-detail", args=[s.pk]),
            s.updated_at,
            _plural(s.uses, "saved chart"),
        )
        for s in sources
    ]
    return items


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
