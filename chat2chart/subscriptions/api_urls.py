# SPDX-License-Identifier: MIT
from django.urls import path

from chat2chart.subscriptions import api

urlpatterns = [
    path("subscriptions/", api.SubscriptionListView.as_view(), name="api-subscriptions"),
    path("subscriptions/<int:pk>/", api.SubscriptionDetailView.as_view(), name="api-subscription"),
]
