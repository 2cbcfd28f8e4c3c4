# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "chat2chart.collections"
    label = "collections"
