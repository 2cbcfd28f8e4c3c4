# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.alerts import api

urlpatterns = [
    path("alerts/", api.AlertListView.as_view(), name="api-alerts"),
    path("alerts/<int:pk>/", api.AlertDetailView.as_view(), name="api-alert"),
    path("alerts/<int:pk>/snooze/", api.AlertSnoozeView.as_view(), name="api-alert-snooze"),
]
