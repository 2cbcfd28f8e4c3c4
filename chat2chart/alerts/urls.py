# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.alerts import views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("charts/<int:chart_id>/alerts/new/", views.alert_new, name="alert_new"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/snooze/", views.alert_snooze, name="alert_snooze"),
    path("alerts/<int:pk>/delete/", views.alert_delete, name="alert_delete"),
]
