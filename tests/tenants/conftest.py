# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Tests of organisation schemas at scale (enterprise only: organisations are an enterprise feature)."""

from django.conf import settings

collect_ignore_glob = [] if settings.ENTERPRISE else ["test_*.py"]
