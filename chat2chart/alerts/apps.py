# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "chat2chart.alerts"
    label = "alerts"
