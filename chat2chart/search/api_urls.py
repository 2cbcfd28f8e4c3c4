# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.search import api

urlpatterns = [path("search/", api.SearchView.as_view(), name="api-search")]
