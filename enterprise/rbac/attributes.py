# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Member attributes (key → one or more values, e.g. region → West): set by admins, or taken from the
member's SSO assertion at each sign-in. Row access rules (`sandboxes`) compare columns with them.

Every change is one service call that also writes its audit entry; the cached look-ups of the
organisation are invalidated with it (see `cached.invalidate`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django_tenants.utils import schema_context

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from enterprise.rbac import cached
from enterprise.rbac.models import MemberAttribute
from enterprise.rbac.services import has_permission
from enterprise.tenants.models import Membership, Organization

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,59}$")
MAX_KEYS = 50
MAX_VALUES = 100
MAX_VALUE_CHARS = 200

Attributes = dict[str, list[str]]


def member_attributes(*, organization_id: int, user_id: int) -> Attributes:
    """{key: sorted values} of the member (cached at the organisation's generation)."""

    def compute() -> Attributes:
        found: Attributes = {}
        rows = MemberAttribute.objects.filter(organization_id=organization_id, user_id=user_id)
        for key, value in rows.values_list("key", "value").order_by("key", "value"):
            found.setdefault(key, []).append(value)
        return found

    return dict(
        cached.organization_cached(f"rbac:attributes:{organization_id}:{user_id}", organization_id, compute)
    )


def clean_attributes(raw: Any) -> Attributes:
    """`raw` ({key: a value or a list of values}) checked and normalised to {key: sorted unique texts}.
    Raises ValidationFailed naming what is wrong."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed("attributes must be an object of names to a value or a list of values.")
    if len(raw) > MAX_KEYS:
        raise ValidationFailed(f"A member can have at most {MAX_KEYS} attributes.")
    cleaned: Attributes = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise ValidationFailed(
                f"The attribute name {str(key)[:60]!r} is not valid: use letters, digits, _ . or -, "
                "starting with a letter (at most 60 characters)."
            )
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_VALUES:
            raise ValidationFailed(f"The attribute {key!r} can have at most {MAX_VALUES} values.")
        texts = set()
        for item in values:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise ValidationFailed(f"The attribute {key!r} takes text or number values.")
            text = str(item).strip()
            if not text or len(text) > MAX_VALUE_CHARS:
                raise ValidationFailed(
                    f"A value of the attribute {key!r} must be 1 to {MAX_VALUE_CHARS} characters."
                )
            texts.add(text)
        if texts:
            cleaned[key] = sorted(texts)
    return cleaned


def member_attributes_set(
    *, principal: Principal, organization: Organization, membership_id: int, attributes: Any
) -> Attributes:
    """Replace the attributes an admin set on member `membership_id` with `attributes` ({key: value
    or values}; those from SSO stay). Needs "members.manage". Returns the member's attributes now.
    Raises Forbidden, NotFound (a member of another organisation), ValidationFailed."""
    if not has_permission(principal, "members.manage"):
        raise Forbidden("Only those who manage members can change their attributes.")
    membership = Membership.objects.filter(organization=organization, pk=membership_id).first()
    if membership is None:
        raise NotFound("There is no such member in this organisation.")
    cleaned = clean_attributes(attributes)
    before = member_attributes(organization_id=organization.pk, user_id=membership.user_id)
    with transaction.atomic():
        admin_rows = MemberAttribute.objects.filter(
            organization=organization, user_id=membership.user_id, origin=MemberAttribute.Origin.ADMIN
        )
        admin_rows.delete()
        MemberAttribute.objects.bulk_create(
            [
                MemberAttribute(
                    organization=organization,
                    user_id=membership.user_id,
                    key=key,
                    value=value,
                    origin="admin",
                )
                for key, values in cleaned.items()
                for value in values
            ],
            ignore_conflicts=True,  # a value SSO gave already is kept once
        )
        cached.invalidate([organization.pk])
        hooks.record_audit(
            action="member.attributes_change",
            actor=principal,
            target_type="member",
            target_id=membership.pk,
            data={"user_id": membership.user_id, "before": before, "after": cleaned},
        )
    return member_attributes(organization_id=organization.pk, user_id=membership.user_id)


def member_attributes_from_sso(
    *, organization: Organization, user_id: int, attributes: Mapping[str, list[Any]]
) -> None:
    """Replace the SSO-given values of the keys in `attributes` with those the IdP just asserted
    (a key it no longer sends loses its SSO values). Values that do not validate are dropped. The
    system acts (no person), so the audit entry names no actor."""
    cleaned: Attributes = {}
    for key, values in attributes.items():
        try:
            cleaned |= clean_attributes({key: [v for v in values if v not in (None, "")][:MAX_VALUES]})
        except ValidationFailed:
            continue
    keys = sorted(attributes)
    current = {
        (k, v)
        for k, v in MemberAttribute.objects.filter(
            organization=organization, user_id=user_id, origin=MemberAttribute.Origin.SSO, key__in=keys
        ).values_list("key", "value")
    }
    wanted = {(k, v) for k, values in cleaned.items() for v in values}
    if current == wanted:
        return
    with transaction.atomic():
        MemberAttribute.objects.filter(
            organization=organization, user_id=user_id, origin=MemberAttribute.Origin.SSO, key__in=keys
        ).delete()
        MemberAttribute.objects.bulk_create(
            [
                MemberAttribute(organization=organization, user_id=user_id, key=k, value=v, origin="sso")
                for k, v in sorted(wanted)
            ],
            ignore_conflicts=True,
        )
        cached.invalidate([organization.pk])
        # Sign-in runs on the public schema; the entry belongs in the organisation's audit log.
        with schema_context(organization.schema_name):
            hooks.record_audit(
                action="member.attributes_sso",
                actor=None,
                target_type="user",
                target_id=user_id,
                data={"keys": keys, "after": cleaned},
            )
