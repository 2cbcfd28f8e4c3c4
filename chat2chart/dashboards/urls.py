# SPDX-License-Identifier: MIT
"""Dashboard pages, embedded dashboards (/embed/) and public links (/public/)."""

from django.urls import path

from chat2chart.dashboards import embed_views, views

urlpatterns = [
    path("dashboards/", views.dashboard_list_page, name="dashboard-list"),
    path("dashboards/embedding/", views.embedding_settings_page, name="dashboard-embedding"),
    path("dashboards/<int:pk>/", views.dashboard_view_page, name="dashboard-view"),
    path("dashboards/<int:pk>/edit/", views.dashboard_edit_page, name="dashboard-edit"),
    path("dashboards/<int:pk>/duplicate/", views.dashboard_duplicate_page, name="dashboard-duplicate"),
    path("dashboards/<int:pk>/delete/", views.dashboard_delete_page, name="dashboard-delete"),
    path("dashboards/<int:pk>/publish/", views.dashboard_publish_page, name="dashboard-publish"),
    path("dashboards/<int:pk>/unpublish/", views.dashboard_unpublish_page, name="dashboard-unpublish"),
    path("docs/<slug:name>/", views.docs_page, name="docs-page"),
    path("embed/dashboard/<str:token>", embed_views.embed_dashboard_page, name="embed-dashboard"),
    path("embed/dashboard/<str:token>/data/", embed_views.embed_dashboard_data, name="embed-dashboard-data"),
    path(
        "embed/dashboard/<str:token>/widgets/<int:widget_id>/drill/",
        embed_views.embed_dashboard_drill,
        name="embed-dashboard-drill",
    ),
    path(
        "embed/dashboard/<str:token>/filter-options/",
        embed_views.embed_dashboard_filter_options,
        name="embed-dashboard-filter-options",
    ),
    path("public/dashboard/<str:token>", embed_views.public_dashboard_page, name="public-dashboard"),
    path(
        "public/dashboard/<str:token>/data/", embed_views.public_dashboard_data, name="public-dashboard-data"
    ),
    path(
        "public/dashboard/<str:token>/filter-options/",
        embed_views.public_dashboard_filter_options,
        name="public-dashboard-filter-options",
    ),
]
