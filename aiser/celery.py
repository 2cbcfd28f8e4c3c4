# SPDX-License-Identifier: MIT
"""The Celery app. Tasks name their organisation explicitly (see chat2chart.core.tasks)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")

app = Celery("aiser")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
