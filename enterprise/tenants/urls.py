# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path

from enterprise.rbac import views as rbac_views
from enterprise.tenants import views

urlpatterns = [
    path("accounts/handoff/", views.handoff, name="handoff"),
    path("settings/members/", views.members, name="members"),
    path("settings/organization/", views.organization_settings, name="organization_settings"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/api-keys/", rbac_views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", rbac_views.api_key_revoke_view, name="api_key_revoke"),
    # Account security (require MFA, sign-in history).
    path("settings/security/", rbac_views.security_settings, name="security_settings"),
]
