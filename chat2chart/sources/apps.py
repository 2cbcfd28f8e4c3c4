# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "chat2chart.sources"
    label = "sources"
