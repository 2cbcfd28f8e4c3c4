# SPDX-License-Identifier: MIT
"""`/api/v1/collections/`: collections, what is filed in them, and moving, pinning, archiving and
restoring charts and dashboards."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.collections import selectors, services
from chat2chart.collections.models import Collection
from chat2chart.collections.policy import RULES as COLLECTION_RULES
from chat2chart.core.api import WorkspaceObjectView
from chat2chart.core.principal import Principal


def collection_body(collection: Collection, principal: Principal) -> dict[str, Any]:
    return {
        "id": collection.pk,
        "name": collection.name,
        "description": collection.description,
        "personal": collection.is_personal,
        "mine": collection.personal_owner_id is not None
        and collection.personal_owner_id == principal.user_id,
        "url": f"/collections/{collection.pk}/",
    }


class CollectionInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, trim_whitespace=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ItemChangeInput(serializers.Serializer):
    collection = serializers.IntegerField(required=False, allow_null=True)
    pinned = serializers.BooleanField(required=False)
    archived = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send a collection to move to, pinned or archived.")
        return attrs


class CollectionListView(APIView):
    @extend_schema(
        summary="The collections the caller sees, their personal one first",
        responses=OpenApiTypes.OBJECT,
        operation_id="v1_collections_list",
    )
    def get(self, request: Request) -> Response:
        principal = Principal.from_request(request)
        personal = services.personal_collection(principal)
        everyone = request.query_params.get("everyone") in ("1", "true")
        shared = [
            c
            for c in selectors.collection_list(principal, everyone=everyone)
            if c.pk != getattr(personal, "pk", None)
        ]
        return Response(
            {
                "personal": collection_body(personal, principal) if personal else None,
                "collections": [collection_body(c, principal) for c in shared],
            }
        )

    @extend_schema(summary="Make a shared collection", request=CollectionInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        payload = CollectionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        principal = Principal.from_request(request)
        collection = services.collection_create(principal=principal, **payload.validated_data)
        return Response(collection_body(collection, principal), status=status.HTTP_201_CREATED)


class CollectionDetailView(WorkspaceObjectView):
    policy = COLLECTION_RULES
    hide_denied = True

    def safely_get_object(self, **url_kwargs: Any) -> Collection:
        principal = Principal.from_request(self.request)
        return selectors.collection_get(collection_id=int(url_kwargs["pk"]), principal=principal)

    @extend_schema(
        summary="A collection and what is filed in it, pinned first", responses=OpenApiTypes.OBJECT
    )
    def get(self, request: Request, pk: int) -> Response:
        items = selectors.collection_items(principal=self.principal, collection=self.object)
        return Response(
            {**collection_body(self.object, self.principal), "items": [i.to_json() for i in items]}
        )

    @extend_schema(
        summary="Rename or describe a collection", request=CollectionInput, responses=OpenApiTypes.OBJECT
    )
    def patch(self, request: Request, pk: int) -> Response:
        payload = CollectionInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        collection = services.collection_update(
            collection=self.object, principal=self.principal, **payload.validated_data
        )
        return Response(collection_body(collection, self.principal))

    @extend_schema(
        summary="Delete a shared collection (its items move to the root)", responses=OpenApiTypes.OBJECT
    )
    def delete(self, request: Request, pk: int) -> Response:
        moved = services.collection_delete(collection=self.object, principal=self.principal)
        return Response({"moved": moved})


class RootItemsView(APIView):
    @extend_schema(
        summary="What is filed in no collection (the workspace's root)", responses=OpenApiTypes.OBJECT
    )
    def get(self, request: Request) -> Response:
        items = selectors.collection_items(principal=Principal.from_request(request), collection=None)
        return Response({"items": [i.to_json() for i in items]})


class ArchiveView(APIView):
    @extend_schema(
        summary="The archived charts and dashboards the caller sees", responses=OpenApiTypes.OBJECT
    )
    def get(self, request: Request) -> Response:
        items = selectors.collection_items(
            principal=Principal.from_request(request), collection=None, archived=True
        )
        return Response({"items": [i.to_json() for i in items]})


class ItemView(APIView):
    @extend_schema(
        summary="Move a chart or dashboard to a collection, pin or unpin it, archive or restore it",
        request=ItemChangeInput,
        responses=OpenApiTypes.OBJECT,
    )
    def patch(self, request: Request, kind: str, pk: int) -> Response:
        principal = Principal.from_request(request)
        payload = ItemChangeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        item = selectors.item_get(principal=principal, kind=kind, item_id=pk)
        if "collection" in given:
            target = (
                selectors.collection_get(collection_id=given["collection"], principal=principal)
                if given["collection"] is not None
                else None
            )
            item = services.item_move(principal=principal, kind=kind, item=item, collection=target)
        if "pinned" in given:
            item = services.item_pin(principal=principal, kind=kind, item=item, pinned=given["pinned"])
        if "archived" in given:
            item = services.item_archive(
                principal=principal, kind=kind, item=item, archived=given["archived"]
            )
        return Response(selectors.item_body(kind, item).to_json())
