# SPDX-License-Identifier: MIT
"""Accounts made by commands and seeding (people sign up through allauth's pages), and sign-in history."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from chat2chart.accounts.models import LoginEvent
from chat2chart.accounts.origin import client_ip, user_agent
from chat2chart.core.errors import ValidationFailed

User = get_user_model()


def user_ensure_verified(*, email: str, password: str | None = None, name: str = "") -> User:  # type: ignore[valid-type]
    """The user with this email, created if missing, with a verified primary address.
    A password is set only when the user is created, so re-running never resets it."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if password is None:
            raise ValidationFailed(f"No user {email} exists; give a password to create one.")
        try:
            validate_password(password)
        except ValidationError as error:
            raise ValidationFailed(" ".join(error.messages)) from None
        user = User.objects.create_user(email=email, password=password, name=name)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def login_event_record(
    *,
    request: HttpRequest | None,
    user: Any = None,
    email: str = "",
    succeeded: bool,
    method: str | None = None,
) -> LoginEvent:
    """Add a sign-in attempt to the history. `method` defaults to what the sign-in flow set on the request
    (`request.aiser_login_method`: "saml", "oidc"), else "password"; an unknown method is kept as
    "other". The workspace is the one whose host the request came to."""
    method = method or getattr(request, "aiser_login_method", None) or LoginEvent.Method.PASSWORD
    if method not in LoginEvent.Method.values:
        method = LoginEvent.Method.OTHER
    tenant = getattr(request, "tenant", None)
    workspace = tenant.schema_name if tenant is not None else "default"
    if workspace == "public":
        workspace = ""
    return LoginEvent.objects.create(
        user=user if getattr(user, "pk", None) else None,
        email=(email or getattr(user, "email", "") or "")[:320].strip().lower(),
        succeeded=succeeded,
        method=method,
        workspace=workspace,
        ip=client_ip(request),
        user_agent=user_agent(request),
    )
