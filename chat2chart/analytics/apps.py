# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "chat2chart.analytics"
    label = "analytics"
