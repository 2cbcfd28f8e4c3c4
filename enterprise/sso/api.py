# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`/api/v1/sso/`: an organisation's SSO settings for its admins (MANAGE). Every change is audited
by its service; the OIDC client secret is accepted but never shown again."""

from __future__ import annotations

from typing import Any

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from enterprise.sso import metadata, saml, services
from enterprise.sso.models import IdentityProvider, SsoDomain, SsoPolicy
from enterprise.tenants.models import Organization, Role


class IdentityProviderSerializer(serializers.ModelSerializer):
    client_secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=255)
    metadata_xml = serializers.CharField(write_only=True, required=False, allow_blank=True)
    clock_skew_s = serializers.IntegerField(min_value=0, max_value=saml.MAX_CLOCK_SKEW_S, required=False)
    group_roles = serializers.DictField(
        child=serializers.ChoiceField(choices=[Role.VIEWER, Role.EDITOR, Role.ADMIN]), required=False
    )
    attribute_map = serializers.DictField(child=serializers.CharField(max_length=200), required=False)
    kept_attributes = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    sp = serializers.SerializerMethodField()

    class Meta:
        model = IdentityProvider
        fields = [
            "slug",
            "name",
            "protocol",
            "enabled",
            "metadata_url",
            "metadata_xml",
            "idp_entity_id",
            "idp_sso_url",
            "idp_slo_url",
            "idp_x509_cert",
            "want_assertions_signed",
            "want_responses_signed",
            "want_assertions_encrypted",
            "clock_skew_s",
            "server_url",
            "client_id",
            "client_secret",
            "attribute_map",
            "group_roles",
            "default_role",
            "kept_attributes",
            "jit_provisioning",
            "sp",
        ]
        read_only_fields = ["slug", "sp"]

    def validate_want_assertions_encrypted(self, value: bool) -> bool:
        if value and not saml.sp_key_pair_configured():
            raise serializers.ValidationError(
                "Encrypted assertions need this service's own key pair (AISER_SAML_SP_CERT and "
                "AISER_SAML_SP_KEY); ask the operator to set it first."
            )
        return value

    def get_sp(self, idp: IdentityProvider) -> dict[str, str]:
        """What the admin enters at their IdP: SAML SP URLs, or the OIDC redirect URI."""
        if idp.protocol == "saml":
            return saml.sp_urls(idp)
        return {
            "redirect_uri": f"{idp.organization.url}/accounts/oidc/{idp.social_provider_id}/login/callback/"
        }


class SsoPolicySerializer(serializers.Serializer):
    require_sso = serializers.BooleanField()


class SsoDomainSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=253)
    verified = serializers.BooleanField(read_only=True)
    verification_token = serializers.CharField(read_only=True)
    dns_record = serializers.CharField(read_only=True)


class SsoSettingsSerializer(serializers.Serializer):
    require_sso = serializers.BooleanField()
    providers = IdentityProviderSerializer(many=True)
    domains = SsoDomainSerializer(many=True)


def _organization() -> Organization:
    """The organisation whose host the request came to (django-tenants put it on the connection)."""
    tenant: Organization = connection.tenant  # type: ignore[attr-defined]
    return tenant


def _serialize(idp: IdentityProvider) -> dict[str, Any]:
    return IdentityProviderSerializer(idp).data


class SsoSettingsView(APIView):
    actions = {"GET": hooks.MANAGE, "PATCH": hooks.MANAGE}

    @extend_schema(responses=SsoSettingsSerializer, operation_id="sso_settings_get")
    def get(self, request: Request) -> Response:
        organization = _organization()
        policy = SsoPolicy.objects.filter(organization=organization).first()
        idps = IdentityProvider.objects.filter(organization=organization).select_related("organization")
        domains = SsoDomain.objects.filter(organization=organization).order_by("domain")
        return Response(
            {
                "require_sso": bool(policy and policy.require_sso),
                "providers": [_serialize(idp) for idp in idps],
                "domains": [_domain(entry) for entry in domains],
            }
        )

    @extend_schema(
        request=SsoPolicySerializer, responses=SsoSettingsSerializer, operation_id="sso_settings_update"
    )
    def patch(self, request: Request) -> Response:
        payload = SsoPolicySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.sso_policy_update(
            organization=_organization(),
            actor=Principal.from_request(request),
            require_sso=payload.validated_data["require_sso"],
        )
        return self.get(request)


class IdentityProviderView(APIView):
    actions = {"GET": hooks.MANAGE, "PUT": hooks.MANAGE, "DELETE": hooks.MANAGE}

    @extend_schema(responses=IdentityProviderSerializer, operation_id="sso_provider_get")
    def get(self, request: Request, slug: str) -> Response:
        idp = IdentityProvider.objects.filter(organization=_organization(), slug=slug).first()
        if idp is None:
            return Response({"error": {"code": "not_found", "message": "Not found."}}, status=404)
        return Response(_serialize(idp))

    @extend_schema(
        request=IdentityProviderSerializer,
        responses=IdentityProviderSerializer,
        operation_id="sso_provider_put",
    )
    def put(self, request: Request, slug: str) -> Response:
        """Create or change the IdP `slug`; SAML fields may come from `metadata_url` (fetched through
        the outbound guard) or `metadata_xml` (pasted)."""
        payload = IdentityProviderSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        xml = fields.pop("metadata_xml", "")
        if not xml and fields.get("metadata_url"):
            xml = metadata.metadata_fetch(fields["metadata_url"])
        if xml:
            fields.update(metadata.metadata_fields(xml))
        if fields.get("server_url"):
            metadata.oidc_server_check(fields["server_url"])
        idp = services.identity_provider_save(
            organization=_organization(), actor=Principal.from_request(request), slug=slug, fields=fields
        )
        return Response(_serialize(idp))

    @extend_schema(responses={204: None}, operation_id="sso_provider_delete")
    def delete(self, request: Request, slug: str) -> Response:
        services.identity_provider_delete(
            organization=_organization(), actor=Principal.from_request(request), slug=slug
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _domain(entry: SsoDomain) -> dict[str, Any]:
    return {
        "domain": entry.domain,
        "verified": entry.verified,
        "verification_token": entry.verification_token,
        "dns_record": f"TXT _aiser-verification.{entry.domain} {entry.verification_token}",
    }


class SsoDomainListView(APIView):
    actions = {"POST": hooks.MANAGE}

    @extend_schema(
        request=SsoDomainSerializer, responses={201: SsoDomainSerializer}, operation_id="sso_domain_add"
    )
    def post(self, request: Request) -> Response:
        payload = SsoDomainSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.sso_domain_add(
            organization=_organization(),
            actor=Principal.from_request(request),
            domain=payload.validated_data["domain"],
        )
        return Response(_domain(entry), status=status.HTTP_201_CREATED)


class SsoDomainDetailView(APIView):
    actions = {"DELETE": hooks.MANAGE}

    @extend_schema(responses={204: None}, operation_id="sso_domain_remove")
    def delete(self, request: Request, domain: str) -> Response:
        services.sso_domain_remove(
            organization=_organization(), actor=Principal.from_request(request), domain=domain
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
