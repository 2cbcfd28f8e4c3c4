# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.search import views

urlpatterns = [path("search/", views.search_page, name="search")]
