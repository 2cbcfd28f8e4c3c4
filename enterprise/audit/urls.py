# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path, re_path

from enterprise.audit import views

urlpatterns = [
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("settings/audit/settings/", views.audit_settings_view, name="audit_settings"),
    re_path(r"^settings/audit/export\.(?P<fmt>csv|jsonl)$", views.audit_export, name="audit_export"),
]
