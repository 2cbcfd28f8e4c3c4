# SPDX-License-Identifier: MIT
"""URLs of an organisation's host (enterprise) or of the one workspace (core)."""

from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chat2chart.core import views as core_views
from chat2chart.workspaces import views as workspace_views

api_v1 = [
    path("me/", core_views.me, name="api-me"),
    path("", include("chat2chart.sources.api_urls")),
    path("", include("chat2chart.charts.api_urls")),
    path("", include("chat2chart.conversations.api_urls")),
    path("", include("chat2chart.dashboards.api_urls")),
    path("", include("chat2chart.workspaces.api_urls")),
    path("", include("chat2chart.semantic.api_urls")),
    path("", include("chat2chart.analytics.api_urls")),
    path("", include("chat2chart.search.api_urls")),
    path("", include("chat2chart.collections.api_urls")),
    path("", include("chat2chart.subscriptions.api_urls")),
    path("", include("chat2chart.alerts.api_urls")),
]

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("home/sample-data/", workspace_views.sample_data, name="sample_data"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Accounts security: the person's sessions and sign-in history (before allauth's accounts/ URLs).
    path("", include("chat2chart.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("chat2chart.sources.urls")),
    path("", include("chat2chart.charts.urls")),
    path("", include("chat2chart.conversations.urls")),
    path("", include("chat2chart.dashboards.urls")),
    path("", include("chat2chart.semantic.urls")),
    path("", include("chat2chart.subscriptions.urls")),
    path("", include("chat2chart.alerts.urls")),
    path("", include("chat2chart.search.urls")),
    path("", include("chat2chart.collections.urls")),
]

if settings.ENTERPRISE:
    urlpatterns += [
        path("", include("enterprise.tenants.urls")),
        path("api/v1/", include("enterprise.rbac.api_urls")),
        # Billing (enterprise.billing): the organisation's billing and usage pages.
        path("", include("enterprise.billing.urls")),
        # Single sign-on: /accounts/sso/... and /api/v1/sso/...
        path("", include("enterprise.sso.urls")),
        # Audit log page and exports, and its read API.
        path("", include("enterprise.audit.urls")),
        path("api/v1/", include("enterprise.audit.api_urls")),
    ]
else:
    from django.contrib import admin

    urlpatterns.append(path("admin/", admin.site.urls))
