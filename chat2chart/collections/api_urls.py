# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.collections import api

urlpatterns = [
    path("collections/", api.CollectionListView.as_view(), name="api-collections"),
    path("collections/root/", api.RootItemsView.as_view(), name="api-collection-root"),
    path("collections/archive/", api.ArchiveView.as_view(), name="api-collection-archive"),
    path("collections/<int:pk>/", api.CollectionDetailView.as_view(), name="api-collection"),
    path("collections/items/<str:kind>/<int:pk>/", api.ItemView.as_view(), name="api-collection-item"),
]
