# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.analytics import api

urlpatterns = [
    path("analytics/trend/", api.TrendView.as_view(), name="api-analytics-trend"),
    path("analytics/anomalies/", api.AnomaliesView.as_view(), name="api-analytics-anomalies"),
    path("analytics/forecast/", api.ForecastView.as_view(), name="api-analytics-forecast"),
    path("analytics/drivers/", api.DriversView.as_view(), name="api-analytics-drivers"),
    path("analytics/patterns/", api.PatternsView.as_view(), name="api-analytics-patterns"),
    path("analytics/insights/", api.InsightsView.as_view(), name="api-analytics-insights"),
]
