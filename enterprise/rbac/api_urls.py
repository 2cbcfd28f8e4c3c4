# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path

from enterprise.rbac import api, api_members, api_rows, security_api

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
    path("members/", api_members.MemberListView.as_view(), name="member-list"),
    path("members/leave/", api_members.LeaveView.as_view(), name="member-leave"),
    path(
        "members/transfer-ownership/", api_members.OwnershipTransferView.as_view(), name="ownership-transfer"
    ),
    path("members/<int:pk>/", api_members.MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:pk>/attributes/", api_rows.MemberAttributesView.as_view(), name="member-attributes"),
    path("row-rules/", api_rows.RowRuleListView.as_view(), name="row-rule-list"),
    path("row-rules/<int:pk>/", api_rows.RowRuleDetailView.as_view(), name="row-rule-detail"),
    path("roles/", api_members.RoleListView.as_view(), name="role-list"),
    path("roles/<int:pk>/", api_members.RoleDetailView.as_view(), name="role-detail"),
    path("groups/", api_members.GroupListView.as_view(), name="group-list"),
    path("groups/<int:pk>/", api_members.GroupDetailView.as_view(), name="group-detail"),
    path("groups/<int:pk>/members/", api_members.GroupMemberView.as_view(), name="group-members"),
    path("access/<str:kind>/<int:pk>/", api_members.ObjectAccessView.as_view(), name="object-access"),
]
