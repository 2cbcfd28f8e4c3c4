# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""URLs of the public site (enterprise edition): landing page, sign-up, organisation creation,
invitations and the platform admin console. No organisation routes are served here."""

from django.contrib import admin
from django.urls import include, path

from chat2chart.core import views as core_views
from enterprise.tenants import views as tenant_views

urlpatterns = [
    path("", tenant_views.landing, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Accounts security: the person's sessions and sign-in history (before allauth's accounts/ URLs).
    path("", include("chat2chart.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("organizations/new/", tenant_views.organization_create_view, name="organization_create"),
    path("organizations/", tenant_views.organization_list, name="organization_list"),
    path("invitations/<str:token>/", tenant_views.invitation_accept_view, name="invitation_accept"),
    path("admin/", admin.site.urls),
]
