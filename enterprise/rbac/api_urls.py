# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path

from enterprise.rbac import api, security_api

urlpatterns = [
    path("api-keys/", api.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<int:pk>/", api.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("security/", security_api.SecurityView.as_view(), name="security"),
    path(
        "security/members/<int:user_id>/sign-out/",
        security_api.MemberSignOutView.as_view(),
        name="security-member-sign-out",
    ),
    path("security/login-history/", security_api.LoginHistoryView.as_view(), name="security-login-history"),
]
