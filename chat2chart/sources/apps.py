# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "chat2chart.sources"
    label = "sources"

    def ready(self) -> None:
        from chat2chart.sources import signals  # noqa: F401 - connects the receivers
