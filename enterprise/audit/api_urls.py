# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path

from enterprise.audit import api

urlpatterns = [
    path("audit/", api.AuditEntriesView.as_view(), name="api-audit-entries"),
]
