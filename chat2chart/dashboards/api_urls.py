# SPDX-License-Identifier: MIT
"""Routes of the dashboards API under /api/v1/."""

from django.urls import path

from chat2chart.dashboards import api

urlpatterns = [
    path("dashboards/", api.DashboardList.as_view(), name="api-dashboards"),
    path("dashboards/<int:pk>/", api.DashboardDetail.as_view(), name="api-dashboard"),
    path("dashboards/<int:pk>/widgets/", api.WidgetList.as_view(), name="api-dashboard-widgets"),
    path(
        "dashboards/<int:pk>/widgets/<int:widget_id>/",
        api.WidgetDetail.as_view(),
        name="api-dashboard-widget",
    ),
    path(
        "dashboards/<int:pk>/widgets/<int:widget_id>/drill/",
        api.WidgetDrill.as_view(),
        name="api-dashboard-widget-drill",
    ),
    path("dashboards/<int:pk>/fields/", api.DashboardFields.as_view(), name="api-dashboard-fields"),
    path("dashboards/<int:pk>/layout/", api.DashboardLayout.as_view(), name="api-dashboard-layout"),
    path("dashboards/<int:pk>/duplicate/", api.DashboardDuplicate.as_view(), name="api-dashboard-duplicate"),
    path("dashboards/<int:pk>/data/", api.DashboardData.as_view(), name="api-dashboard-data"),
    path(
        "dashboards/<int:pk>/filter-options/",
        api.DashboardFilterOptions.as_view(),
        name="api-dashboard-filter-options",
    ),
    path("dashboards/<int:pk>/publish/", api.DashboardPublish.as_view(), name="api-dashboard-publish"),
    path("dashboards/<int:pk>/unpublish/", api.DashboardUnpublish.as_view(), name="api-dashboard-unpublish"),
    path("dashboards/<int:pk>/embed-url/", api.DashboardEmbedUrl.as_view(), name="api-dashboard-embed-url"),
    path("embedding/", api.EmbedSettingsView.as_view(), name="api-embedding"),
    path("embedding/secret/", api.EmbedSecretView.as_view(), name="api-embedding-secret"),
]
