# SPDX-License-Identifier: MIT
"""The Aiser project: settings, URL maps and the ASGI/WSGI/Celery entry points."""

from aiser.celery import app as celery_app

__all__ = ["celery_app"]
