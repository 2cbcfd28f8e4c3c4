# SPDX-License-Identifier: MIT
"""The workspace settings API: read and change what the workspace chose (admins only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from chat2chart.workspaces.models import WorkspaceSettings
from chat2chart.workspaces.selectors import allowed_models, workspace_settings
from chat2chart.workspaces.services import workspace_settings_update


class WorkspaceSettingsInput(serializers.Serializer):
    # Types only: the values are checked by the service, which names what is allowed.
    llm_model = serializers.CharField(
        allow_blank=True, required=False, help_text="From `allowed_models`; blank = the platform's default."
    )
    llm_send_samples = serializers.BooleanField(allow_null=True, required=False)
    embed_allowed_origins = serializers.ListField(child=serializers.CharField(), required=False)
    embed_questions_per_user_month = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="Embedded chat questions per end user and month; null = no limit.",
    )
    timezone = serializers.CharField(required=False, help_text="An IANA time zone, e.g. Europe/Berlin.")
    fiscal_year_start_month = serializers.IntegerField(required=False, help_text="1 (January) to 12.")
    locale = serializers.CharField(
        allow_blank=True, required=False, help_text="e.g. de-DE; blank = the platform's default."
    )


def settings_json(stored: WorkspaceSettings) -> dict[str, Any]:
    return {
        "llm_model": stored.llm_model,
        "llm_send_samples": stored.llm_send_samples,
        "allowed_models": allowed_models(),
        "embed_allowed_origins": list(stored.embed_allowed_origins),
        "embed_questions_per_user_month": stored.embed_questions_per_user_month,
        "timezone": stored.timezone,
        "fiscal_year_start_month": stored.fiscal_year_start_month,
        "locale": stored.locale,
        "effective_locale": stored.locale or settings.AISER_DEFAULT_LOCALE,
    }


class WorkspaceSettingsView(APIView):
    actions = {"GET": hooks.MANAGE, "PATCH": hooks.MANAGE}

    @extend_schema(summary="The workspace's settings and the models it may choose", responses=dict)
    def get(self, request: Request) -> Response:
        return Response(settings_json(workspace_settings()))

    @extend_schema(
        summary="Change some of the workspace's settings; the others stay",
        request=WorkspaceSettingsInput,
        responses=dict,
    )
    def patch(self, request: Request) -> Response:
        serializer = WorkspaceSettingsInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        stored = workspace_settings_update(
            principal=Principal.from_request(request), **serializer.validated_data
        )
        return Response(settings_json(stored))
