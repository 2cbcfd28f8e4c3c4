# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Prometheus metrics for the whole platform (docs/operations.md): the core's observations arrive
    through `AISER_HOOK_PLUGINS["metrics"]` and `["usage"]`; Celery and model writes through signals;
    `/metrics` is served by `middleware.MetricsEndpointMiddleware`. No models."""

    name = "enterprise.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from enterprise.monitoring import signals

        signals.connect()
