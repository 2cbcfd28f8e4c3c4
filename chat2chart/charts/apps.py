# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "chat2chart.charts"
    label = "charts"
