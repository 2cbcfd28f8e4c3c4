# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.sources import api

urlpatterns = [
    path("sources/", api.SourceListView.as_view(), name="api-source-list"),
    path("sources/test-connection/", api.ConnectionTestView.as_view(), name="api-source-test-connection"),
    path("sources/<int:pk>/", api.SourceDetailView.as_view(), name="api-source-detail"),
    path("sources/<int:pk>/upload/", api.SourceUploadView.as_view(), name="api-source-upload"),
    path("sources/<int:pk>/refresh/", api.SourceRefreshView.as_view(), name="api-source-refresh"),
    path("sources/<int:pk>/tables/", api.TableListView.as_view(), name="api-source-tables"),
    path("sources/<int:pk>/tables/<str:name>/", api.TableDetailView.as_view(), name="api-source-table"),
    path(
        "sources/<int:pk>/tables/<str:name>/preview/",
        api.TablePreviewView.as_view(),
        name="api-source-table-preview",
    ),
    path("query/", api.QueryView.as_view(), name="api-query"),
    path("sql/", api.SqlView.as_view(), name="api-sql"),
]
