# SPDX-License-Identifier: MIT
from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "chat2chart.core"
    label = "core"
    verbose_name = "Aiser core"

    def ready(self) -> None:
        # Web and Celery processes alike load the apps: both log the same way and report errors.
        from chat2chart.core.errortracking import sentry_init
        from chat2chart.core.logs import configure_structlog

        configure_structlog()
        if settings.SENTRY_DSN:
            sentry_init(
                dsn=settings.SENTRY_DSN,
                environment=settings.SENTRY_ENVIRONMENT,
                traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
            )
