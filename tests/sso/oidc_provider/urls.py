# SPDX-License-Identifier: MIT
"""The test OIDC provider's URLs: django-oauth-toolkit under /o/, and /login-as/ to stand in for
the provider's own login page (who is signed in there, with which groups)."""

import os

from django.contrib.auth import get_user_model, login
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below in the ID token and userinfo, whatever the scope

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": True,
            "name": user.first_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        # Aiser's callback URL names the IdP's id, made by each test: any callback under the
        # organisation hosts the tests use is accepted.
        prefixes = os.environ["OIDC_PROVIDER_REDIRECT_PREFIXES"].split(",")
        return any(redirect_uri.startswith(prefix) for prefix in prefixes)


def login_as(request: HttpRequest) -> HttpResponse:
    user, _ = get_user_model().objects.get_or_create(
        username=request.GET["email"],
        defaults={"email": request.GET["email"], "first_name": request.GET.get("name", "")},
    )
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in request.GET.getlist("group")])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(request.GET["next"])


urlpatterns = [
    path("login-as/", login_as),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
