# SPDX-License-Identifier: MIT
"""gunicorn configuration for a process manager of one's own:
`gunicorn -c python:aiser.gunicorn_conf aiser.asgi:application` serves as `python -m aiser.serve`
does (aiser/serve.py), with the figures from the Django settings. Only gunicorn imports this module;
it reads the module's names as settings."""

from __future__ import annotations

from aiser.serve import options

globals().update(options())
