# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Organisations, members and invitations: every change in one function that also audits it."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import schema_context

from chat2chart.core.errors import Forbidden, LimitExceeded, NotFound, ValidationFailed
from enterprise.tenants.models import Domain, Invitation, Membership, Organization, Role

User = get_user_model()

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
RESERVED_SLUGS = frozenset({"www", "api", "admin", "public", "static", "media", "app", "embed"})
HANDOFF_SALT = "aiser.tenants.handoff"
HANDOFF_MAX_AGE_S = 120


def validate_slug(slug: str) -> str:
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or "--" in slug:
        raise ValidationFailed(
            code="invalid_slug",
            message="The address must be 3 to 40 characters: lowercase letters, digits and single dashes, "
            "starting and ending with a letter or digit.",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationFailed(f"“{slug}” is reserved. Please choose another address.", code="invalid_slug")
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationFailed(
            f"“{slug}” is already taken. Please choose another address.", code="invalid_slug"
        )
    return slug


def suggest_slug(name: str) -> str:
    base = slugify(name)[:40].strip("-") or "team"
    if len(base) < 3:
        base = f"{base}-team"
    candidate, counter = base, 2
    while candidate in RESERVED_SLUGS or Organization.objects.filter(slug=candidate).exists():
        suffix = f"-{counter}"
        candidate = f"{base[: 40 - len(suffix)]}{suffix}"
        counter += 1
    return candidate


def schema_name_for(slug: str) -> str:
    return "org_" + slug.replace("-", "_")


def organizations_created_today(owner: User) -> int:  # type: ignore[valid-type]
    """How many organisations `owner` created in the last 24 hours (they own them from creation)."""
    since = timezone.now() - timedelta(days=1)
    return Membership.objects.filter(user=owner, role=Role.OWNER, organization__created_at__gte=since).count()


def organization_create(*, name: str, slug: str, owner: User) -> Organization:  # type: ignore[valid-type]
    """Create the organisation, its schema (migrated), its host name, and make `owner` its owner.

    Raises `ValidationFailed` for a bad name or address, and `LimitExceeded` once `owner` has created
    `AISER_MAX_ORGS_PER_DAY` organisations in the last 24 hours.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("The organisation needs a name of at most 100 characters.")
    if organizations_created_today(owner) >= settings.AISER_MAX_ORGS_PER_DAY:
        raise LimitExceeded(
            f"You have created {settings.AISER_MAX_ORGS_PER_DAY} organisations in the last 24 hours, "
            "the most allowed. Try again tomorrow, or ask to be invited to an existing one."
        )
    validate_slug(slug)
    # Schema creation runs DDL and migrations; it cannot share a transaction with the rows below.
    organization = Organization(name=name, slug=slug, schema_name=schema_name_for(slug))
    organization.save()
    with transaction.atomic():
        Domain.objects.create(domain=organization.host, tenant=organization, is_primary=True)
        Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    with schema_context(organization.schema_name):
        from chat2chart.core import hooks

        hooks.record_audit(
            action="organization.create",
            actor=owner,
            target_type="organization",
            target_id=organization.pk,
            data={"slug": slug},
        )
    return organization


def membership_for(user: User, organization: Organization) -> Membership | None:  # type: ignore[valid-type]
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, organization=organization).first()


def invitation_create(*, organization: Organization, email: str, role: str, invited_by: User) -> Invitation:  # type: ignore[valid-type]
    email = (email or "").strip().lower()
    if "@" not in email:
        raise ValidationFailed("Enter a valid email address.")
    if role not in Role.values or role == Role.OWNER:
        raise ValidationFailed("The role must be viewer, editor or admin.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationFailed(f"{email} is already a member.")
    from chat2chart.core import hooks

    hooks.check_limit("seats")  # the plan's seats count members and open invitations
    invitation = Invitation.objects.create(
        organization=organization, email=email, role=role, invited_by=invited_by
    )
    hooks.record_audit(
        action="invitation.create",
        actor=invited_by,
        target_type="invitation",
        target_id=invitation.pk,
        data={"email": email, "role": role},
    )
    return invitation


def invitation_matches(*, invitation: Invitation, user: User) -> bool:  # type: ignore[valid-type]
    """Whether `user` has verified the address the invitation was sent to (any of their addresses)."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()


def wrong_address_message(invitation: Invitation) -> str:
    return (
        f"This invitation was sent to {invitation.email}. Sign in with that address (and confirm it) to "
        "accept, or ask for an invitation to your own address."
    )


def invitation_accept(*, token: str, user: User) -> Membership:  # type: ignore[valid-type]
    """Use an invitation once, within its lifetime, for the signed-in person, who must have verified
    the address it was sent to: a link forwarded to (or guessed by) anyone else joins no one.

    Raises NotFound for an unknown, used or expired invitation; Forbidden for another person's."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("organization").filter(token=token).first()
        )
        if invitation is None or not invitation.is_usable:
            raise NotFound("This invitation link is invalid, was already used or has expired.")
        if not invitation_matches(invitation=invitation, user=user):
            raise Forbidden(wrong_address_message(invitation))
        membership, created = Membership.objects.get_or_create(
            user=user, organization=invitation.organization, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    with schema_context(invitation.organization.schema_name):
        from chat2chart.core import hooks

        hooks.record_audit(
            action="invitation.accept",
            actor=user,
            target_type="membership",
            target_id=membership.pk,
            data={"role": membership.role, "new": created},
        )
    return membership


@dataclass(frozen=True)
class Handoff:
    user_id: int
    organization_id: int


def handoff_url(*, user: User, organization: Organization) -> str:  # type: ignore[valid-type]
    """A short-lived, single-use link that signs `user` in on the organisation's own host.

    Session cookies are per host, so the session made on the public site does not reach it.
    """
    token = signing.dumps(
        {"u": user.pk, "o": organization.pk, "n": secrets.token_urlsafe(16)}, salt=HANDOFF_SALT
    )
    return f"{organization.url}/accounts/handoff/?token={token}"


def handoff_redeem(*, token: str, organization: Organization) -> Handoff:
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE_S)
    except signing.BadSignature:
        raise NotFound("This sign-in link is invalid or has expired. Please sign in.") from None
    if data.get("o") != organization.pk:
        raise NotFound("This sign-in link is invalid or has expired. Please sign in.")
    # Single use: the nonce is remembered for as long as the token could be valid.
    if not cache.add(f"handoff:{data['n']}", 1, timeout=HANDOFF_MAX_AGE_S + 5):
        raise NotFound("This sign-in link was already used. Please sign in.")
    return Handoff(user_id=data["u"], organization_id=data["o"])


def organizations_of(user: User) -> list[Organization]:  # type: ignore[valid-type]
    """The organisations `user` is a member of and that are still served (not being deleted), by name."""
    memberships = Membership.objects.filter(user=user, organization__deletion__isnull=True)
    return [m.organization for m in memberships.select_related("organization").order_by("organization__name")]


def organizations_find_send(*, email: str) -> None:
    """Email `email` the organisations its account belongs to, each with its sign-in link.

    Sends nothing when no active account has that verified address, so the page that calls this
    answers the same either way and never tells a visitor who has an account."""
    from allauth.account.models import EmailAddress
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    address = EmailAddress.objects.filter(
        email__iexact=email.strip(), verified=True, user__is_active=True
    ).first()
    if address is None:
        return
    context = {"organizations": organizations_of(address.user), "public_url": settings.AISER_PUBLIC_URL}
    send_mail(
        subject="[Aiser] Your organisations",
        message=render_to_string("tenants/email/organizations_find.txt", context),
        from_email=None,
        recipient_list=[address.email],
    )


def invitation_send(*, invitation: Invitation, link: str) -> None:
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    send_mail(
        subject=f"[Aiser] You are invited to {invitation.organization.name}",
        message=render_to_string("tenants/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def organization_update(*, organization: Organization, actor: User, name: str) -> Organization:  # type: ignore[valid-type]
    """Rename the organisation. Its workspace settings (language model...) live in its schema:
    `chat2chart.workspaces.services.workspace_settings_update`."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("The organisation needs a name.")
    organization.name = name
    organization.save(update_fields=["name"])
    from chat2chart.core import hooks

    hooks.record_audit(
        action="organization.update",
        actor=actor,
        target_type="organization",
        target_id=organization.pk,
        data={"name": name},
    )
    return organization
