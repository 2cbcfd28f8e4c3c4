# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An organisation's billing pages (its own host)."""

from django.urls import path

from enterprise.billing import views

urlpatterns = [
    path("settings/billing/", views.billing_page, name="billing"),
    path("settings/billing/usage/", views.usage_page, name="billing_usage"),
    path("settings/billing/<slug:action>/", views.billing_action, name="billing_action"),
]
