# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The row access page (admins): the rules that limit tables to the rows matching a member's
attribute, and the members' attributes. Forms call the `sandboxes` and `attributes` services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from enterprise.rbac import attributes, sandboxes
from enterprise.tenants.models import Membership


def parse_attribute_lines(text: str) -> dict[str, list[str]]:
    """`region = North, East` lines as {"region": ["North", "East"]}; blank lines are skipped.
    Raises ValueError naming a line without "="."""
    found: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, values = line.partition("=")
        if not sep:
            raise ValueError(f"Line {number} needs the form name = value, value.")
        found.setdefault(key.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
    return found


@login_required
def row_access(request: HttpRequest) -> HttpResponse:
    principal = Principal.from_request(request)
    if not sandboxes.can_manage_rules(principal):
        raise Http404("not allowed")
    organization = request.tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            _apply(request, principal, organization)
        except AiserError as error:
            messages.error(request, error.message)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Saved.")
        return redirect("row_access")
    sources = {s.pk: s for s in source_selectors.source_list_visible(principal)}
    rules = sandboxes.table_rule_list(organization=organization)
    used = sorted({rule.attribute for rule in rules})
    members = []
    for membership in (
        Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")
    ):
        held = attributes.member_attributes(organization_id=organization.pk, user_id=membership.user_id)
        limited = membership.role not in ("owner", "admin")
        members.append(
            {
                "membership": membership,
                "attributes": held,
                "text": "\n".join(f"{k} = {', '.join(v)}" for k, v in held.items()),
                "missing": [a for a in used if a not in held] if limited else [],
                "limited": limited,
            }
        )
    context: dict[str, Any] = {
        "rules": [{"rule": r, "source": sources.get(r.source_id)} for r in rules],
        "sources": [{"source": s, "tables": source_selectors.source_tables(s)} for s in sources.values()],
        "members": members,
        "note": sandboxes.NO_ATTRIBUTE_NOTE,
    }
    return render(request, "rbac/row_access.html", context)


def _apply(request: HttpRequest, principal: Principal, organization: Any) -> None:
    action = request.POST.get("action")
    if action == "add_rule":
        source_id, _, table = request.POST.get("table", "").partition(":")
        if not source_id.isdigit():
            raise ValueError("Choose a table.")
        sandboxes.table_rule_create(
            principal=principal,
            organization=organization,
            source_id=int(source_id),
            table_name=table,
            column=request.POST.get("column", "").strip(),
            attribute=request.POST.get("attribute", "").strip(),
        )
    elif action == "delete_rule":
        sandboxes.table_rule_delete(
            principal=principal,
            organization=organization,
            rule_id=_posted_id(request, "rule", "Choose a rule."),
        )
    elif action == "set_attributes":
        attributes.member_attributes_set(
            principal=principal,
            organization=organization,
            membership_id=_posted_id(request, "member", "Choose a member."),
            attributes=parse_attribute_lines(request.POST.get("attributes", "")),
        )
    else:
        raise ValueError("Unknown action.")


def _posted_id(request: HttpRequest, name: str, missing: str) -> int:
    """The form's `name` field as an id; raises ValueError(`missing`) for anything but digits (a crafted
    form must get a plain message, not Python's "invalid literal for int()")."""
    value = request.POST.get(name, "").strip()
    if not value.isdigit():
        raise ValueError(missing)
    return int(value)
