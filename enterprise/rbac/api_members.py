# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/api/v1/members/`, `/roles/`, `/groups/` and `/access/<kind>/<id>/`: members and their roles, the
organisation's custom roles and groups, and object sharing. Views validate and call a service in
`enterprise.tenants.membership`, `enterprise.rbac.roles` or `enterprise.rbac.sharing`, which check the
caller's permissions; the view-level gate asks only for membership (VIEW)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from enterprise.rbac import roles, sharing
from enterprise.rbac.models import CustomRole, Group
from enterprise.rbac.permissions import PERMISSIONS, PRESET_ORDER, PRESETS
from enterprise.tenants import membership as members
from enterprise.tenants.models import Membership, Organization, Role

_MEMBERS_ONLY = {m: hooks.VIEW for m in ("GET", "POST", "PATCH", "PUT", "DELETE")}


def _organization() -> Organization:
    return connection.tenant  # type: ignore[attr-defined] # the organisation of the request's host


def member_json(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "user_id": membership.user_id,
        "email": membership.user.email,
        "role": membership.role,
        "custom_role": membership.custom_role_id,
        "custom_role_name": membership.custom_role.name if membership.custom_role else None,
        "groups": sorted(
            g.pk for g in membership.user.rbac_groups.all() if g.organization_id == membership.organization_id
        ),
        "joined_at": membership.created_at.isoformat(),
    }


def role_json(role: CustomRole) -> dict[str, Any]:
    return {"id": role.pk, "name": role.name, "permissions": sorted(role.permissions), "builtin": False}


def group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.pk,
        "name": group.name,
        "role": group.role,
        "custom_role": group.custom_role_id,
        "members": sorted(u.pk for u in group.members.all()),
    }


class MemberChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    custom_role = serializers.IntegerField(required=False)


class MemberPickSerializer(serializers.Serializer):
    member = serializers.IntegerField()


class RoleSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=len(PERMISSIONS)
    )


class GroupSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    role = serializers.CharField(max_length=10, required=False, allow_blank=True)
    custom_role = serializers.IntegerField(required=False, allow_null=True)


class GroupMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()


class GrantSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["view", "edit"])
    user_id = serializers.IntegerField(required=False, allow_null=True)
    group_id = serializers.IntegerField(required=False, allow_null=True)


class AccessSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=["organisation", "restricted"])
    grants = serializers.ListField(child=GrantSerializer(), required=False, default=list, max_length=500)


def _valid(
    serializer_class: type[serializers.Serializer], request: Request, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _members_queryset() -> Any:
    return (
        Membership.objects.filter(organization=_organization())
        .select_related("user", "custom_role")
        .prefetch_related("user__rbac_groups")
        .order_by("user__email")
    )


class MemberListView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="members_list")
    def get(self, request: Request) -> Response:
        return Response({"members": [member_json(m) for m in _members_queryset()]})


class MemberDetailView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(
        request=MemberChangeSerializer, responses=OpenApiTypes.OBJECT, operation_id="members_change_role"
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(MemberChangeSerializer, request)
        members.member_role_change(
            principal=Principal.from_request(request),
            organization=_organization(),
            membership_id=pk,
            role=data.get("role"),
            custom_role_id=data.get("custom_role"),
        )
        return Response(member_json(_members_queryset().get(pk=pk)))

    @extend_schema(request=None, responses={204: None}, operation_id="members_remove")
    def delete(self, request: Request, pk: int) -> Response:
        members.member_remove(
            principal=Principal.from_request(request), organization=_organization(), membership_id=pk
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class OwnershipTransferView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(
        request=MemberPickSerializer, responses=OpenApiTypes.OBJECT, operation_id="members_transfer_ownership"
    )
    def post(self, request: Request) -> Response:
        data = _valid(MemberPickSerializer, request)
        target = members.ownership_transfer(
            principal=Principal.from_request(request),
            organization=_organization(),
            membership_id=data["member"],
        )
        return Response(member_json(_members_queryset().get(pk=target.pk)))


class LeaveView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(request=None, responses={204: None}, operation_id="members_leave")
    def post(self, request: Request) -> Response:
        members.member_leave(principal=Principal.from_request(request), organization=_organization())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleListView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="roles_list")
    def get(self, request: Request) -> Response:
        builtin = [
            {"id": name, "name": name.title(), "permissions": sorted(PRESETS[name]), "builtin": True}
            for name in PRESET_ORDER
        ]
        custom = [role_json(r) for r in CustomRole.objects.filter(organization=_organization())]
        return Response({"permissions": PERMISSIONS, "roles": builtin + custom})

    @extend_schema(request=RoleSerializer, responses={201: OpenApiTypes.OBJECT}, operation_id="roles_create")
    def post(self, request: Request) -> Response:
        data = _valid(RoleSerializer, request)
        role = roles.custom_role_create(
            principal=Principal.from_request(request), organization=_organization(), **data
        )
        return Response(role_json(role), status=status.HTTP_201_CREATED)


class RoleDetailView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(request=RoleSerializer, responses=OpenApiTypes.OBJECT, operation_id="roles_update")
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(RoleSerializer, request, partial=True)
        role = roles.custom_role_update(
            principal=Principal.from_request(request), organization=_organization(), role_id=pk, **data
        )
        return Response(role_json(role))

    @extend_schema(request=None, responses={204: None}, operation_id="roles_delete")
    def delete(self, request: Request, pk: int) -> Response:
        roles.custom_role_delete(
            principal=Principal.from_request(request), organization=_organization(), role_id=pk
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupListView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="groups_list")
    def get(self, request: Request) -> Response:
        groups = Group.objects.filter(organization=_organization()).prefetch_related("members")
        return Response({"groups": [group_json(g) for g in groups]})

    @extend_schema(
        request=GroupSerializer, responses={201: OpenApiTypes.OBJECT}, operation_id="groups_create"
    )
    def post(self, request: Request) -> Response:
        data = _valid(GroupSerializer, request)
        group = roles.group_create(
            principal=Principal.from_request(request),
            organization=_organization(),
            name=data["name"],
            role=data.get("role", ""),
            custom_role_id=data.get("custom_role"),
        )
        return Response(group_json(group), status=status.HTTP_201_CREATED)


class GroupDetailView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(request=GroupSerializer, responses=OpenApiTypes.OBJECT, operation_id="groups_update")
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(GroupSerializer, request, partial=True)
        group = roles.group_update(
            principal=Principal.from_request(request),
            organization=_organization(),
            group_id=pk,
            name=data.get("name"),
            role=data.get("role"),
            custom_role_id=data.get("custom_role"),
        )
        return Response(group_json(group))

    @extend_schema(request=None, responses={204: None}, operation_id="groups_delete")
    def delete(self, request: Request, pk: int) -> Response:
        roles.group_delete(
            principal=Principal.from_request(request), organization=_organization(), group_id=pk
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMemberView(APIView):
    actions = _MEMBERS_ONLY

    @extend_schema(
        request=GroupMemberSerializer, responses=OpenApiTypes.OBJECT, operation_id="groups_member_add"
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(GroupMemberSerializer, request)
        group = roles.group_member_add(
            principal=Principal.from_request(request),
            organization=_organization(),
            group_id=pk,
            user_id=data["user_id"],
        )
        return Response(group_json(group))

    @extend_schema(
        request=GroupMemberSerializer, responses=OpenApiTypes.OBJECT, operation_id="groups_member_remove"
    )
    def delete(self, request: Request, pk: int) -> Response:
        data = _valid(GroupMemberSerializer, request)
        group = roles.group_member_remove(
            principal=Principal.from_request(request),
            organization=_organization(),
            group_id=pk,
            user_id=data["user_id"],
        )
        return Response(group_json(group))


def _access_json(kind: str, obj: Any, visibility: str, grants: list[sharing.Grant]) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": obj.pk,
        "visibility": visibility,
        "grants": [{"level": g.level, "user_id": g.user_id, "group_id": g.group_id} for g in grants],
    }


class ObjectAccessView(APIView):
    actions = _MEMBERS_ONLY

    def _object(self, request: Request, kind: str, pk: int) -> Any:
        obj = sharing.shared_object(kind, pk)
        # Someone who may not see the object learns nothing of it, not even that it exists.
        if not hooks.can(Principal.from_request(request), hooks.VIEW, obj):
            from chat2chart.core.errors import NotFound

            raise NotFound("Not found.")
        return obj

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="object_access_get")
    def get(self, request: Request, kind: str, pk: int) -> Response:
        obj = self._object(request, kind, pk)
        visibility, grants = sharing.object_access_get(organization=_organization(), kind=kind, obj=obj)
        return Response(_access_json(kind, obj, visibility, grants))

    @extend_schema(request=AccessSerializer, responses=OpenApiTypes.OBJECT, operation_id="object_access_set")
    def put(self, request: Request, kind: str, pk: int) -> Response:
        obj = self._object(request, kind, pk)
        data = _valid(AccessSerializer, request)
        visibility, grants = sharing.object_access_set(
            principal=Principal.from_request(request),
            organization=_organization(),
            kind=kind,
            obj=obj,
            visibility=data["visibility"],
            grants=[sharing.Grant(**g) for g in data["grants"]],
        )
        return Response(_access_json(kind, obj, visibility, grants))
