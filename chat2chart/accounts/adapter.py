# SPDX-License-Identifier: MIT
"""allauth adapter: where a new account goes next, and links built for the host in use."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse(settings.ACCOUNT_SIGNUP_REDIRECT_URL)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # In the enterprise edition people sign up on the public site, not on an organisation's host;
        # an organisation's members arrive by invitation.
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return True
        return tenant.schema_name == "public"
