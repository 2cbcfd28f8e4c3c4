# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Reads: an organisation's identity providers and policy, and the organisation an email belongs to."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tenants.utils import schema_context

from enterprise.sso.models import IdentityProvider, Protocol, SsoDomain, SsoPolicy
from enterprise.tenants.models import Organization

_POLICY_TTL_S = 300


def identity_providers(organization: Organization, *, protocol: str | None = None) -> list[IdentityProvider]:
    """The organisation's enabled IdPs, oldest first (the first is the default)."""
    found = IdentityProvider.objects.filter(organization=organization, enabled=True).select_related(
        "organization"
    )
    if protocol:
        found = found.filter(protocol=protocol)
    return list(found.order_by("created_at", "pk"))


def identity_provider(organization: Organization, slug: str) -> IdentityProvider | None:
    """The organisation's enabled IdP called `slug`, or None (another organisation's never matches)."""
    return (
        IdentityProvider.objects.filter(organization=organization, slug=slug, enabled=True)
        .select_related("organization")
        .first()
    )


def oidc_provider_by_social_id(organization: Organization, provider_id: str) -> IdentityProvider | None:
    """The organisation's OIDC IdP whose allauth provider id is `provider_id` ("sso<pk>")."""
    if not provider_id.startswith("sso") or not provider_id[3:].isdigit():
        return None
    return (
        IdentityProvider.objects.filter(
            organization=organization, pk=int(provider_id[3:]), protocol=Protocol.OIDC, enabled=True
        )
        .select_related("organization")
        .first()
    )


def require_sso(organization: Organization) -> bool:
    """Whether the organisation's members (except owners) must sign in through SSO. Cached; any
    change of the policy or of its IdPs forgets the answer."""
    key = f"sso:require:{organization.pk}"
    cached = cache.get(key)
    if cached is not None:
        return bool(cached)
    # Requiring SSO with no enabled IdP would lock everyone but the owners out: it counts as off.
    required = (
        SsoPolicy.objects.filter(organization=organization, require_sso=True).exists()
        and IdentityProvider.objects.filter(organization=organization, enabled=True).exists()
    )
    cache.set(key, required, timeout=_POLICY_TTL_S)
    return required


def organization_for_email(email: str) -> Organization | None:
    """The organisation that verified the domain of `email`, or None."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    found = SsoDomain.objects.filter(domain=domain, verified_at__isnull=False).select_related("organization")
    entry = found.first()
    return entry.organization if entry else None


def verified_domains(organization: Organization) -> set[str]:
    return set(
        SsoDomain.objects.filter(organization=organization, verified_at__isnull=False).values_list(
            "domain", flat=True
        )
    )


@receiver([post_save, post_delete], sender=SsoPolicy, dispatch_uid="sso-policy-changed")
@receiver([post_save, post_delete], sender=IdentityProvider, dispatch_uid="sso-idp-changed")
def _policy_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Cache keys carry the schema in scope; the answer is read on the organisation's host.
    organization = Organization.objects.filter(pk=instance.organization_id).first()
    if organization is None:
        return
    with schema_context(organization.schema_name):
        cache.delete(f"sso:require:{organization.pk}")
