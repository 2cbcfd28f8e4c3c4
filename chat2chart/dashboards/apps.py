# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "chat2chart.dashboards"
    label = "dashboards"
