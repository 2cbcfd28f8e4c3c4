# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.sources import views

urlpatterns = [
    path("sources/", views.source_list, name="source-list"),
    path("sources/upload/", views.source_upload, name="source-upload"),
    path("sources/connect/", views.source_connect, name="source-connect"),
    path("sources/rest/", views.source_rest, name="source-rest"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("sources/<int:pk>/tables/<str:name>/", views.table_detail, name="source-table"),
]
