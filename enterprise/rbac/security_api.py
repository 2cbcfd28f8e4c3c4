# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/api/v1/security/`: require MFA, sign a member out, read members' sign-in history (admins)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.accounts.models import LoginEvent
from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from enterprise.rbac import security
from enterprise.rbac.middleware import mfa_required

HISTORY_LIMIT = 500


class SecuritySerializer(serializers.Serializer):
    require_mfa = serializers.BooleanField()


class SignOutSerializer(serializers.Serializer):
    sessions_ended = serializers.IntegerField()


class LoginEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoginEvent
        fields = ["id", "created_at", "user", "email", "succeeded", "method", "ip", "user_agent"]


class SecurityView(APIView):
    actions = {"GET": hooks.MANAGE, "PUT": hooks.MANAGE}

    @extend_schema(responses=SecuritySerializer, operation_id="security_get")
    def get(self, request: Request) -> Response:
        return Response({"require_mfa": mfa_required(security.current_organization().pk)})

    @extend_schema(request=SecuritySerializer, responses=SecuritySerializer, operation_id="security_update")
    def put(self, request: Request) -> Response:
        payload = SecuritySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved = security.organization_security_update(
            organization=security.current_organization(),
            actor=Principal.from_request(request),
            require_mfa=payload.validated_data["require_mfa"],
        )
        return Response({"require_mfa": saved.require_mfa})


class MemberSignOutView(APIView):
    actions = {"POST": hooks.MANAGE}

    @extend_schema(request=None, responses=SignOutSerializer, operation_id="security_member_sign_out")
    def post(self, request: Request, user_id: int) -> Response:
        ended = security.member_sign_out(
            organization=security.current_organization(),
            actor=Principal.from_request(request),
            user_id=user_id,
        )
        return Response({"sessions_ended": ended})


class LoginHistoryView(APIView):
    actions = {"GET": hooks.MANAGE}

    @extend_schema(
        parameters=[OpenApiParameter("user", int, description="Only this member's attempts")],
        responses=LoginEventSerializer(many=True),
        operation_id="security_login_history",
    )
    def get(self, request: Request) -> Response:
        raw_user = request.query_params.get("user")
        user_id = int(raw_user) if raw_user and raw_user.isdigit() else None
        events = security.login_history(organization=security.current_organization(), user_id=user_id)[
            :HISTORY_LIMIT
        ]
        return Response(LoginEventSerializer(events, many=True).data)
