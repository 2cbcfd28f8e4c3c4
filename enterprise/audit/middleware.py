# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Give every request an id (echoed as `X-Request-ID`) and remember where it came from for the audit trail."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from chat2chart.accounts.origin import client_ip, user_agent
from enterprise.audit.context import RequestOrigin, origin_scope

# A proxy's request id is kept when it looks like one (so logs line up); anything else is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        request.aiser_request_id = request_id  # type: ignore[attr-defined]
        origin = RequestOrigin(
            ip=client_ip(request),
            user_agent=user_agent(request),
            request_id=request_id,
        )
        with origin_scope(origin):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
