# SPDX-License-Identifier: MIT
"""The workspace's home page (first-run checklist, recent and most used items) and its one-click
sample dataset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from chat2chart.sources import policy
from chat2chart.sources.demo import sample_source_create
from chat2chart.workspaces import home as home_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    principal = Principal.from_request(request)
    steps = home_selectors.first_run_checklist(principal, people=hooks.workspace_people())
    context = {
        "steps": steps,
        "steps_done": sum(step.done for step in steps),
        "show_checklist": not all(step.done for step in steps),
        "can_add_data": policy.can_create_source(principal),
        "recent": home_selectors.recent_items(principal),
        "popular": home_selectors.popular_items(principal),
    }
    return render(request, "core/home.html", context)


@login_required
@require_POST
def sample_data(request: HttpRequest) -> HttpResponse:
    """Add the sample sales-orders dataset and open it."""
    try:
        source = sample_source_create(principal=Principal.from_request(request))
    except AiserError as error:
        messages.error(request, error.message)
        return redirect("home")
    return redirect("source-detail", pk=source.pk)
