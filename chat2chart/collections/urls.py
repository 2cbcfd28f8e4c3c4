# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.collections import views

urlpatterns = [
    path("collections/", views.collection_root, name="collection-root"),
    path("collections/archive/", views.collection_archive, name="collection-archive"),
    path("collections/<int:pk>/", views.collection_detail, name="collection-detail"),
]
