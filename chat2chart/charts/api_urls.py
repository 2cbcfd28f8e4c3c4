# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.charts import api

urlpatterns = [
    path("charts/types/", api.ChartTypeListView.as_view(), name="api-chart-types"),
    path("charts/render/", api.ChartRenderView.as_view(), name="api-chart-render"),
    path("charts/recommend/", api.ChartRecommendView.as_view(), name="api-chart-recommend"),
    path("charts/", api.SavedChartListView.as_view(), name="api-chart-list"),
    path("charts/<int:pk>/", api.SavedChartDetailView.as_view(), name="api-chart-detail"),
    path("charts/<int:pk>/data/", api.SavedChartDataView.as_view(), name="api-chart-data"),
    path("charts/<int:pk>/duplicate/", api.SavedChartDuplicateView.as_view(), name="api-chart-duplicate"),
]
