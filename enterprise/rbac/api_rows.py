# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/api/v1/members/<id>/attributes/` and `/api/v1/row-rules/`: members' attributes and the row access
rules that compare table columns with them. Views validate and call `attributes` or `sandboxes`, which
check the caller's permissions; the view-level gate asks only for membership (VIEW)."""

from __future__ import annotations

from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound
from chat2chart.core.principal import Principal
from enterprise.rbac import attributes, sandboxes
from enterprise.rbac.services import has_permission
from enterprise.tenants.models import Membership, Organization

_MEMBERS_ONLY = {m: hooks.VIEW for m in ("GET", "POST", "PUT", "DELETE")}


def _organization() -> Organization:
    return connection.tenant  # type: ignore[attr-defined] # the organisation of the request's host


class AttributesSerializer(serializers.Serializer):
    attributes = serializers.DictField(child=serializers.JSONField())


class RuleInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: StrictInt
    table: str = Field(min_length=1, max_length=255)
    column: str = Field(min_length=1, max_length=255)
    attribute: str = Field(min_length=1, max_length=60)


class MemberAttributesView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="members_attributes_get")
    def get(self, request: Request, pk: int) -> Response:
        if not has_permission(Principal.from_request(request), "members.manage"):
            raise Forbidden("Only those who manage members can see their attributes.")
        membership = Membership.objects.filter(organization=_organization(), pk=pk).first()
        if membership is None:
            raise NotFound("There is no such member in this organisation.")
        found = attributes.member_attributes(organization_id=_organization().pk, user_id=membership.user_id)
        return Response({"member": pk, "attributes": found})

    @extend_schema(
        request=AttributesSerializer, responses=OpenApiTypes.OBJECT, operation_id="members_attributes_set"
    )
    def put(self, request: Request, pk: int) -> Response:
        serializer = AttributesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        found = attributes.member_attributes_set(
            principal=Principal.from_request(request),
            organization=_organization(),
            membership_id=pk,
            attributes=serializer.validated_data["attributes"],
        )
        return Response({"member": pk, "attributes": found})


class RowRuleListView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="row_rules_list")
    def get(self, request: Request) -> Response:
        if not sandboxes.can_manage_rules(Principal.from_request(request)):
            raise Forbidden("Only admins can see row access rules.")
        source = request.query_params.get("source")
        source_id = int(source) if source and source.isdigit() else None
        rules = sandboxes.table_rule_list(organization=_organization(), source_id=source_id)
        return Response(
            {"rules": [sandboxes.rule_json(r) for r in rules], "note": sandboxes.NO_ATTRIBUTE_NOTE}
        )

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT, operation_id="row_rules_create"
    )
    def post(self, request: Request) -> Response:
        data = RuleInput.model_validate(request.data)
        rule = sandboxes.table_rule_create(
            principal=Principal.from_request(request),
            organization=_organization(),
            source_id=data.source,
            table_name=data.table,
            column=data.column,
            attribute=data.attribute,
        )
        return Response(sandboxes.rule_json(rule), status=status.HTTP_201_CREATED)


class RowRuleDetailView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(responses={204: None}, operation_id="row_rules_delete")
    def delete(self, request: Request, pk: int) -> Response:
        sandboxes.table_rule_delete(
            principal=Principal.from_request(request), organization=_organization(), rule_id=pk
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
