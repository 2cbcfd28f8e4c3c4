# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chat2chart.core"
    label = "core"
    verbose_name = "Aiser core"
