# SPDX-License-Identifier: MIT
"""Every save or delete of a source makes the workspace's cached source headers stale
(`selectors.source_header`): a new version, owner or name is seen on the next request."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from chat2chart.sources.models import Source
from chat2chart.sources.selectors import source_headers_forget


@receiver([post_save, post_delete], sender=Source, dispatch_uid="sources-header-cache")
def _source_changed(sender: Any, **kwargs: Any) -> None:
    source_headers_forget()
