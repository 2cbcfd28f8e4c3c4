# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/api/v1/audit/`: the organisation's audit entries for those who may view the audit log (the
"audit.view" permission; an API key needs the admin scope), filtered like the page and paged by cursor."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, ValidationFailed
from chat2chart.core.principal import Principal
from enterprise.audit import selectors
from enterprise.audit.webhook import entry_payload

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FILTERS = [
    OpenApiParameter("person", str, description="Part of the actor's email, or 'system'"),
    OpenApiParameter("action", str, description="An action ('source.create') or its prefix ('source')"),
    OpenApiParameter("target_type", str),
    OpenApiParameter("target_id", str),
    OpenApiParameter("since", str, description="First day, YYYY-MM-DD (UTC, included)"),
    OpenApiParameter("until", str, description="Last day, YYYY-MM-DD (UTC, included)"),
    OpenApiParameter("before", int, description="Cursor: only entries with a smaller id (next_before)"),
    OpenApiParameter(
        "limit", int, description=f"At most this many entries (1–{MAX_LIMIT}, default {DEFAULT_LIMIT})"
    ),
]


def _int_param(request: Request, name: str, default: int | None, *, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise ValidationFailed(f"{name} must be between {low} and {high}.")
    return value


class AuditEntriesView(APIView):
    """Newest first. The body is `{"entries": [...], "next_before": id or null}`; pass `before=next_before`
    for the next page (a cursor stays correct while new entries are written)."""

    # Membership here; the audit permission (and an API key's admin scope) is checked in `get`.
    actions = {"GET": hooks.VIEW}

    @extend_schema(parameters=FILTERS, responses=dict, operation_id="audit_entries_list")
    def get(self, request: Request) -> Response:
        principal = Principal.from_request(request)
        if not hooks.can(principal, hooks.MANAGE, "audit"):
            raise Forbidden("Only those who may view the audit log can read it.")
        criteria = selectors.AuditFilter.from_query(request.query_params)
        limit = _int_param(request, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT
        before = _int_param(request, "before", None, low=1, high=2**62)
        entries = selectors.audit_entries(criteria)
        if before is not None:
            entries = entries.filter(pk__lt=before)
        page = list(entries.order_by("-pk")[: limit + 1])
        workspace = principal.workspace
        more = len(page) > limit
        page = page[:limit]
        return Response(
            {
                "entries": [entry_payload(entry, workspace) for entry in page],
                "next_before": page[-1].pk if more and page else None,
            }
        )
