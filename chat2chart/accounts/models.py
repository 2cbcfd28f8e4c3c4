# SPDX-License-Identifier: MIT
"""People who sign in. Email is the login; in the enterprise edition users live in the public
schema so one person can belong to several organisations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


class LoginEvent(models.Model):
    """One sign-in attempt, successful or not: the person's and their organisation admins' history."""

    class Method(models.TextChoices):
        PASSWORD = "password", "Password"
        SAML = "saml", "SAML"
        OIDC = "oidc", "OIDC"
        API_KEY = "api_key", "API key (first use)"
        OTHER = "other", "Other"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null when the address typed belongs to no account (the email tried is kept).
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True, related_name="login_events"
    )
    email = models.CharField(max_length=320, blank=True, default="")
    succeeded = models.BooleanField()
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.PASSWORD)
    # The organisation's schema whose host the attempt came to ("" for the public site, "default" in core).
    workspace = models.CharField(max_length=63, blank=True, default="", db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="login_event_user")]

    def __str__(self) -> str:
        return f"{self.email} {'ok' if self.succeeded else 'failed'} {self.method}"
