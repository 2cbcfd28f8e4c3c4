# SPDX-License-Identifier: MIT
"""A Django project that is only an OpenID Connect provider (django-oauth-toolkit), run by the
SSO tests as a separate server process on loopback. Never part of Aiser."""

import os

SECRET_KEY = "oidc-test-provider-" + "x" * 32  # noqa: S105 - a throwaway test peer
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.sso.oidc_provider.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["OIDC_PROVIDER_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TEMPLATES: list = []
LOGIN_URL = "/login-as/"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["OIDC_PROVIDER_KEY"],
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "Email"},
    "OAUTH2_VALIDATOR_CLASS": "tests.sso.oidc_provider.urls.Validator",
}
# The client secret is hashed like a password; the slow default hasher would slow every token request.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
