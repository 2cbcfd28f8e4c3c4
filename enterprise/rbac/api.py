# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/api/v1/api-keys/`: list, create (the key is in the response once) and revoke."""

from __future__ import annotations

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden
from chat2chart.core.principal import Principal
from enterprise.rbac import services
from enterprise.rbac.models import SCOPES, ApiKey
from enterprise.tenants.models import Role


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "scopes",
            "status",
            "created_by",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPES),
        required=False,
        allow_empty=False,
        max_length=len(SCOPES),
    )


class ApiKeyListView(APIView):
    # Membership here; the permission `api_keys.manage` is asked below and by the services.
    actions = {"GET": hooks.VIEW, "POST": hooks.VIEW}

    @extend_schema(responses=ApiKeySerializer(many=True), operation_id="api_keys_list")
    def get(self, request: Request) -> Response:
        if not services.has_permission(Principal.from_request(request), "api_keys.manage"):
            raise Forbidden("Only those who manage API keys can list them.")
        keys = ApiKey.objects.filter(organization=connection.tenant).select_related("created_by")
        return Response(ApiKeySerializer(keys, many=True).data)

    @extend_schema(
        request=ApiKeyCreateSerializer, responses={201: ApiKeySerializer}, operation_id="api_keys_create"
    )
    def post(self, request: Request) -> Response:
        payload = ApiKeyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = services.api_key_create(
            organization=connection.tenant,
            principal=Principal.from_request(request),
            **payload.validated_data,
        )
        body = {**ApiKeySerializer(created.api_key).data, "key": created.raw_key}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    actions = {"DELETE": hooks.VIEW}  # the service asks for `api_keys.manage`

    @extend_schema(responses={204: None}, operation_id="api_keys_revoke")
    def delete(self, request: Request, pk: int) -> Response:
        services.api_key_revoke(
            organization=connection.tenant, key_id=pk, principal=Principal.from_request(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
