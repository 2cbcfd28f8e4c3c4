# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Single sign-on per organisation: its identity providers (SAML 2.0 or OpenID Connect), its email
domains, its policy (require SSO), the assertion IDs already used, and what the IdP said of each member.

All in the public schema, next to the organisations and memberships they belong to: sign-in happens
before any organisation schema is in play, and the public site finds an organisation by email domain.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from enterprise.tenants.models import Membership, Organization, Role


class Protocol(models.TextChoices):
    SAML = "saml", "SAML 2.0"
    OIDC = "oidc", "OpenID Connect"


def default_attribute_map() -> dict[str, str]:
    # The attribute names Okta, Entra ID and Keycloak send by default differ; admins override these.
    return {"email": "email", "name": "name", "groups": "groups"}


class IdentityProvider(models.Model):
    """One IdP an organisation signs in with. Which fields matter depends on `protocol`."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identity_providers"
    )
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    protocol = models.CharField(max_length=4, choices=Protocol.choices)
    enabled = models.BooleanField(default=True)
    # SAML: the IdP's entity ID, single sign-on and logout URLs and signing certificate (PEM body),
    # taken from its metadata (fetched from `metadata_url` or pasted).
    metadata_url = models.URLField(blank=True)
    idp_entity_id = models.CharField(max_length=500, blank=True)
    idp_sso_url = models.URLField(max_length=500, blank=True)
    idp_slo_url = models.URLField(max_length=500, blank=True)
    idp_x509_cert = models.TextField(blank=True)
    # At least one of the two is always signed (python3-saml refuses unsigned responses); these ask
    # for a particular one.
    want_assertions_signed = models.BooleanField(default=True)
    want_responses_signed = models.BooleanField(default=False)
    # Refuse assertions that are not encrypted to our SP certificate (only with AISER_SAML_SP_CERT/KEY set).
    want_assertions_encrypted = models.BooleanField(default=False)
    clock_skew_s = models.PositiveIntegerField(default=120)
    # OIDC: the issuer (discovery at <server_url>/.well-known/openid-configuration) and the client.
    server_url = models.URLField(max_length=500, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    # Mapping: Aiser field → IdP attribute or claim name; IdP group → Aiser role; which further
    # attributes are kept on the membership.
    attribute_map = models.JSONField(default=default_attribute_map)
    group_roles = models.JSONField(default=dict, blank=True)
    default_role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    kept_attributes = models.JSONField(default=list, blank=True)
    jit_provisioning = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="sso_idp_slug_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.protocol}) for {self.organization}"

    @property
    def social_provider_id(self) -> str:
        """allauth's provider id for an OIDC provider: unique on the platform, so a `SocialAccount`
        made for one organisation's IdP never matches another's."""
        return f"sso{self.pk}"


class SsoPolicy(models.Model):
    """What an organisation requires of its members' sign-in."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sso_policy")
    # Members sign in only through SSO; owners keep their password (break-glass).
    require_sso = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.organization}: SSO {'required' if self.require_sso else 'optional'}"


def _verification_token() -> str:
    return "aiser-domain-verification=" + secrets.token_urlsafe(24)


class SsoDomain(models.Model):
    """An email domain an organisation claims. Only a verified domain routes sign-in from the public
    site and lets the IdP create or link accounts for its addresses (just-in-time provisioning)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sso_domains")
    domain = models.CharField(max_length=253, unique=True)
    verification_token = models.CharField(max_length=80, default=_verification_token)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.domain

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class SeenAssertion(models.Model):
    """A SAML assertion ID already used, kept until the assertion would have expired anyway."""

    identity_provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identity_provider", "assertion_id"], name="sso_assertion_once"),
        ]

    def __str__(self) -> str:
        return self.assertion_id


class SsoIdentity(models.Model):
    """What the IdP last said about a member: its subject, groups and the kept attributes."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="sso_identity")
    identity_provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list)
    attributes = models.JSONField(default=dict)
    last_login_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.subject} ({self.membership})"
