# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path

from enterprise.rbac import views as rbac_views
from enterprise.rbac import views_rows
from enterprise.tenants import member_views, views

urlpatterns = [
    path("accounts/handoff/", views.handoff, name="handoff"),
    path("settings/members/", member_views.members, name="members"),
    path("settings/members/leave/", member_views.member_leave_view, name="member_leave"),
    path("settings/members/<int:pk>/role/", member_views.member_role_view, name="member_role"),
    path("settings/members/<int:pk>/remove/", member_views.member_remove_view, name="member_remove"),
    path(
        "settings/members/<int:pk>/transfer/", member_views.ownership_transfer_view, name="ownership_transfer"
    ),
    path("settings/groups/", member_views.group_create_view, name="group_create"),
    path("settings/groups/<int:pk>/members/", member_views.group_member_view, name="group_members"),
    path("settings/groups/<int:pk>/delete/", member_views.group_delete_view, name="group_delete"),
    path("settings/roles/", member_views.role_create_view, name="role_create"),
    path("settings/roles/<int:pk>/delete/", member_views.role_delete_view, name="role_delete"),
    path("settings/organization/", views.organization_settings, name="organization_settings"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/api-keys/", rbac_views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", rbac_views.api_key_revoke_view, name="api_key_revoke"),
    # Account security (require MFA, sign-in history).
    path("settings/security/", rbac_views.security_settings, name="security_settings"),
    # Row access rules and member attributes (enterprise.rbac.sandboxes).
    path("settings/row-access/", views_rows.row_access, name="row_access"),
]
