# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class SemanticConfig(AppConfig):
    name = "chat2chart.semantic"
    label = "semantic"
