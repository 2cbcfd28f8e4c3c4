# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.urls import path

from enterprise.rbac import api

urlpatterns = [
    path("api-keys/", api.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<int:pk>/", api.ApiKeyDetailView.as_view(), name="api-key-detail"),
]
