# SPDX-License-Identifier: MIT
"""Accounts made by commands and seeding (people sign up through allauth's pages)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

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
