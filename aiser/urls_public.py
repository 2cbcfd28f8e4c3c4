# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""URLs of the public site (enterprise edition): landing page, sign-up, organisation creation,
invitations and the platform admin console. No organisation routes are served here."""

from django.contrib import admin
from django.urls import include, path

from chat2chart.core import views as core_views
from enterprise.billing import views as billing_views
from enterprise.sso import urls as sso_urls
from enterprise.tenants import views as tenant_views

urlpatterns = [
    path("", tenant_views.landing, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Single sign-on found by the email's verified domain (enterprise.sso).
    *sso_urls.public_urlpatterns,
    # Accounts security: the person's sessions and sign-in history (before allauth's accounts/ URLs).
    path("", include("chat2chart.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("organizations/new/", tenant_views.organization_create_view, name="organization_create"),
    path("organizations/", tenant_views.organization_list, name="organization_list"),
    path("organizations/pick/", tenant_views.organization_pick, name="organization_pick"),
    path("organizations/find/", tenant_views.organization_find, name="organization_find"),
    path("organizations/<slug:slug>/enter/", tenant_views.organization_enter, name="organization_enter"),
    path("invitations/<str:token>/", tenant_views.invitation_accept_view, name="invitation_accept"),
    path("admin/", admin.site.urls),
    # Billing (enterprise.billing): Stripe posts every event here, signed.
    path("billing/stripe/webhook/", billing_views.stripe_webhook, name="stripe_webhook"),
    # h/console: the platform console, staff only, on this (public) host only.
    path("console/", include("enterprise.console.urls")),
]
