# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.charts import views

urlpatterns = [
    path("charts/", views.chart_list, name="chart_list"),
    path("charts/gallery/", views.chart_gallery, name="chart_gallery"),
    path("charts/<int:pk>/", views.chart_detail, name="chart_detail"),
]
