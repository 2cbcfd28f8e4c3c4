# SPDX-License-Identifier: MIT
"""`/api/v1/search/?q=...`: what the caller may see that matches the words typed (see `selectors.search`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core.principal import Principal
from chat2chart.search.selectors import PER_KIND, search
from chat2chart.search.terms import MAX_QUERY_CHARS


class SearchInputSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_CHARS, allow_blank=True, trim_whitespace=True)
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=PER_KIND)


class SearchView(APIView):
    @extend_schema(
        summary="Search charts, dashboards, conversations, data sources, tables and columns",
        parameters=[
            OpenApiParameter("q", str, description="The words to find (each matches as a prefix)"),
            OpenApiParameter("limit", int, description="At most this many results of each kind (1-50)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        payload = SearchInputSerializer(data=request.query_params)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        hits = search(principal=Principal.from_request(request), text=given["q"], limit=given["limit"])
        return Response({"query": given["q"], "results": [hit.to_json() for hit in hits]})
