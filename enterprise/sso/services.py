# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Single sign-on configuration changes (each audited) and signing people in from what an IdP said.

`sso_member_resolve` is the one place where an IdP's word becomes an account and a membership, for
SAML and OIDC alike: who may be signed in, who is created just in time, which role follows from the
IdP's groups, and which attributes are kept on the membership.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from enterprise.sso.models import IdentityProvider, SeenAssertion, SsoDomain, SsoIdentity, SsoPolicy
from enterprise.sso.saml import SamlAssertion, SamlRefused
from enterprise.sso.selectors import verified_domains
from enterprise.tenants.models import ROLE_RANK, Membership, Organization, Role

User = get_user_model()

_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SsoRefused(Forbidden):
    code = "sso_refused"


@dataclass(frozen=True)
class IdpClaims:
    """What an IdP said about the person: its subject and its attributes (name → values)."""

    subject: str
    attributes: dict[str, list[str]]


def _audit(action: str, *, organization: Organization, actor: Any, target: Any, data: dict[str, Any]) -> None:
    with schema_context(organization.schema_name):
        hooks.record_audit(
            action=action,
            actor=actor,
            target_type=type(target).__name__.lower(),
            target_id=target.pk,
            data=data,
        )


# --- Configuration ------------------------------------------------------------------------------


def identity_provider_save(
    *, organization: Organization, actor: Any, slug: str, fields: dict[str, Any]
) -> IdentityProvider:
    """Create the organisation's IdP `slug` or change it with `fields` (already validated by the
    API's schema). Raises ValidationFailed when a SAML IdP lacks its entity ID, SSO URL or certificate,
    or an OIDC one its server URL or client ID."""
    with transaction.atomic():
        idp = IdentityProvider.objects.filter(organization=organization, slug=slug).first()
        created = idp is None
        if idp is None:
            idp = IdentityProvider(organization=organization, slug=slug)
        for name, value in fields.items():
            setattr(idp, name, value)
        if fields.get("group_roles") and Role.OWNER in fields["group_roles"].values():
            raise ValidationFailed(
                "A group cannot make someone an owner; map groups to viewer, editor or admin."
            )
        _check_complete(idp)
        idp.save()
    changed = sorted(name for name in fields if name != "client_secret")
    _audit(
        "sso.idp.create" if created else "sso.idp.update",
        organization=organization,
        actor=actor,
        target=idp,
        data={"slug": slug, "protocol": idp.protocol, "fields": changed},
    )
    return idp


def _check_complete(idp: IdentityProvider) -> None:
    if idp.protocol == "saml":
        missing = [n for n in ("idp_entity_id", "idp_sso_url", "idp_x509_cert") if not getattr(idp, n)]
    elif idp.protocol == "oidc":
        missing = [n for n in ("server_url", "client_id") if not getattr(idp, n)]
    else:
        raise ValidationFailed("The protocol must be saml or oidc.")
    if missing:
        raise ValidationFailed(f"The identity provider needs {', '.join(missing)}.")


def identity_provider_delete(*, organization: Organization, actor: Any, slug: str) -> None:
    """Remove the organisation's IdP `slug`. Raises NotFound."""
    idp = IdentityProvider.objects.filter(organization=organization, slug=slug).first()
    if idp is None:
        raise NotFound(f"No identity provider {slug}.")
    _audit("sso.idp.delete", organization=organization, actor=actor, target=idp, data={"slug": slug})
    # Identities linked through it would otherwise outlive it (allauth keys them by provider id).
    SocialAccount.objects.filter(provider=idp.social_provider_id).delete()
    idp.delete()


def sso_policy_update(*, organization: Organization, actor: Any, require_sso: bool) -> SsoPolicy:
    """Require (or stop requiring) SSO for the organisation's members; owners keep their password.
    Raises ValidationFailed when requiring it with no enabled identity provider (nobody but owners could
    sign in)."""
    if require_sso and not IdentityProvider.objects.filter(organization=organization, enabled=True).exists():
        raise ValidationFailed(
            "Add and enable an identity provider first: with none, only owners could sign in."
        )
    policy, _ = SsoPolicy.objects.update_or_create(
        organization=organization, defaults={"require_sso": require_sso}
    )
    _audit(
        "sso.policy.update",
        organization=organization,
        actor=actor,
        target=policy,
        data={"require_sso": require_sso},
    )
    return policy


def sso_domain_add(*, organization: Organization, actor: Any, domain: str) -> SsoDomain:
    """Claim an email domain for the organisation (unverified until `sso_domain_verify`).
    Raises ValidationFailed for a malformed or already claimed domain."""
    domain = (domain or "").strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValidationFailed(f"“{domain}” is not a domain name such as example.com.")
    try:
        with transaction.atomic():
            entry = SsoDomain.objects.create(organization=organization, domain=domain)
    except IntegrityError:
        raise ValidationFailed(f"{domain} is already claimed by an organisation.") from None
    _audit("sso.domain.add", organization=organization, actor=actor, target=entry, data={"domain": domain})
    return entry


def sso_domain_verify(*, domain: str, token: str, actor: Any) -> SsoDomain:
    """Mark `domain` verified when `token` is the one issued for it: the admin published the token
    (a DNS TXT record) and platform staff, who can see it, confirm it here. Raises NotFound or
    Forbidden for a wrong token."""
    entry = SsoDomain.objects.select_related("organization").filter(domain=domain.strip().lower()).first()
    if entry is None:
        raise NotFound(f"No organisation claims {domain}.")
    if token.strip() != entry.verification_token:
        raise Forbidden(f"That is not the verification token issued for {entry.domain}.")
    entry.verified_at = timezone.now()
    entry.save(update_fields=["verified_at"])
    _audit(
        "sso.domain.verify",
        organization=entry.organization,
        actor=actor,
        target=entry,
        data={"domain": entry.domain},
    )
    return entry


def sso_domain_remove(*, organization: Organization, actor: Any, domain: str) -> None:
    entry = SsoDomain.objects.filter(organization=organization, domain=domain.strip().lower()).first()
    if entry is None:
        raise NotFound(f"No domain {domain}.")
    _audit(
        "sso.domain.remove",
        organization=organization,
        actor=actor,
        target=entry,
        data={"domain": entry.domain},
    )
    entry.delete()


# --- Signing in ---------------------------------------------------------------------------------


def assertion_remember(*, idp: IdentityProvider, assertion: SamlAssertion) -> None:
    """Use the assertion's ID once: raises SamlRefused if it was seen before (a replay)."""
    now = timezone.now()
    SeenAssertion.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            SeenAssertion.objects.create(
                identity_provider=idp, assertion_id=assertion.assertion_id, expires_at=assertion.expires_at
            )
    except IntegrityError:
        raise SamlRefused("this SAML assertion was already used") from None


def _first(attributes: dict[str, list[str]], name: str) -> str:
    values = attributes.get(name) or []
    return str(values[0]).strip() if values else ""


def _mapped_role(idp: IdentityProvider, groups: list[str]) -> str | None:
    # The highest role any of the person's groups maps to; None when no group maps.
    roles = [idp.group_roles[group] for group in groups if group in idp.group_roles]
    roles = [role for role in roles if role in ROLE_RANK and role != Role.OWNER]
    return max(roles, key=lambda role: ROLE_RANK[role]) if roles else None


def sso_member_resolve(*, idp: IdentityProvider, claims: IdpClaims) -> Any:
    """The user the IdP's claims sign in to `idp`'s organisation, provisioned as the IdP says.

    Who may be signed in: an existing member with that email; or, when the email's domain is one the
    organisation verified, anyone (the account is linked, or created when just-in-time provisioning is
    on). An IdP never signs in an account of a domain its organisation has not verified unless that
    account is already a member: one organisation's IdP cannot take over another's people.
    The role follows the IdP's groups when they map to one (owners are never changed); otherwise a new
    member gets the IdP's default role. Raises SsoRefused.
    """
    mapping = {**idp.attribute_map}
    email = _first(claims.attributes, mapping.get("email", "email")) or claims.subject
    email = email.lower()
    if not _EMAIL.match(email):
        raise SsoRefused("The identity provider sent no email address; map the email attribute.")
    name = _first(claims.attributes, mapping.get("name", "name"))
    groups = [str(g) for g in claims.attributes.get(mapping.get("groups", "groups"), [])]
    organization = idp.organization
    in_verified_domain = email.rpartition("@")[2] in verified_domains(organization)
    with transaction.atomic():
        # The account that owns the address: by its sign-in email, or by another verified address of it.
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            address = EmailAddress.objects.filter(email__iexact=email, verified=True).first()
            user = address.user if address else None
        membership = (
            Membership.objects.select_for_update().filter(user=user, organization=organization).first()
            if user
            else None
        )
        if membership is None and not in_verified_domain:
            raise SsoRefused(
                f"{email} is not a member of {organization.name}, and its domain is not verified for it."
            )
        if user is None:
            if not idp.jit_provisioning:
                raise SsoRefused(f"{email} has no account; ask an admin to invite you.")
            user = User.objects.create_user(email=email, password=None, name=name[:150])
        if not user.is_active:
            raise SsoRefused("This account is deactivated.")
        EmailAddress.objects.update_or_create(
            user=user,
            email__iexact=email,
            defaults={"verified": True},
            create_defaults={
                "email": email,
                "verified": True,
                "primary": not EmailAddress.objects.filter(user=user, primary=True).exists(),
            },
        )
        role = _mapped_role(idp, groups)
        if membership is None:
            if not idp.jit_provisioning:
                raise SsoRefused(
                    f"{email} is not a member of {organization.name}; ask an admin to invite you."
                )
            membership = Membership.objects.create(
                user=user, organization=organization, role=role or idp.default_role
            )
        elif role and membership.role != Role.OWNER and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        if name and not user.name:
            user.name = name[:150]
            user.save(update_fields=["name"])
        kept = {key: claims.attributes[key] for key in idp.kept_attributes if key in claims.attributes}
        SsoIdentity.objects.update_or_create(
            membership=membership,
            defaults={
                "identity_provider": idp,
                "subject": claims.subject[:255],
                "groups": groups,
                "attributes": kept,
                "last_login_at": timezone.now(),
            },
        )
    return user
