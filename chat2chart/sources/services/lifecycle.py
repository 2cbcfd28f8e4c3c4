# SPDX-License-Identifier: MIT
"""What every kind of source goes through: settings changes, refreshes (asked for or scheduled),
deletion and the re-encryption of stored secrets."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat2chart.core.errors import AiserError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import rotate_secret
from chat2chart.sources import policy, selectors, tasks
from chat2chart.sources.connections import source_connector
from chat2chart.sources.models import Source
from chat2chart.sources.services.databases import database_config_changes
from chat2chart.sources.services.rest import rest_config_changes, rest_refresh
from chat2chart.sources.services.versions import (
    audit,
    enqueue,
    fail,
    mark_pending,
    replace_database_tables,
    require,
)

logger = logging.getLogger(__name__)


def source_update(
    *,
    source: Source,
    principal: Principal,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    refresh_interval_minutes: int | type[Ellipsis] | None = ...,
) -> Source:
    """Rename, change connection or REST settings, or the refresh interval.

    New connection settings are tested first. The stored password (or REST headers) is kept only
    when no setting that decides where it is sent changes; otherwise raises ValidationFailed.
    """
    require(policy.can_change_source(principal, source), "You do not have permission to change this source.")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if refresh_interval_minutes is not ...:
        if source.kind == Source.Kind.FILE and refresh_interval_minutes is not None:
            raise ValidationFailed(
                "refresh_interval_minutes: file sources change only when a new file is uploaded."
            )
        changes["refresh_interval_minutes"] = refresh_interval_minutes
    if config is not None:
        if source.kind == Source.Kind.FILE:
            raise ValidationFailed(
                "config: a file source has no settings to change; upload a new file instead."
            )
        if source.kind == Source.Kind.REST:
            changes.update(rest_config_changes(source, config))
        else:
            changes.update(database_config_changes(source, config))
    tables = changes.pop("_tables", None)
    with transaction.atomic():
        for field_name, value in changes.items():
            setattr(source, field_name, value)
        source.save(update_fields=[*changes, "updated_at"])
        if tables is not None:
            replace_database_tables(source, tables)
        audit("source.update", principal, source, fields=sorted(k for k in changes if k != "secret"))
    if "config" in changes and source.kind == Source.Kind.REST:
        enqueue(tasks.refresh_source, source.pk)
        source.refresh_from_db()
    return source


def source_request_refresh(*, source: Source, principal: Principal) -> Source:
    """A refresh asked for by someone: REST fetches run as a task, database introspection right away."""
    require(policy.can_change_source(principal, source), "You do not have permission to change this source.")
    if source.kind != Source.Kind.REST:
        return source_refresh(source=source, principal=principal)
    mark_pending(source)
    audit("source.refresh_requested", principal, source)
    enqueue(tasks.refresh_source, source.pk)
    source.refresh_from_db()
    return source


def source_refresh(*, source: Source, principal: Principal | None = None) -> Source:
    """Re-introspect a database or re-fetch a REST API into a new version."""
    if source.kind == Source.Kind.FILE:
        raise ValidationFailed("A file source is refreshed by uploading a new version of the file.")
    if source.kind == Source.Kind.REST:
        return rest_refresh(source, principal)
    try:
        tables = source_connector(source).list_tables()
    except AiserError as error:
        return fail(source, error.message, discard=None)
    with transaction.atomic():
        replace_database_tables(source, tables)
        audit("source.refresh", principal, source, tables=len(tables))
    source.refresh_from_db()
    return source


def source_delete(*, source: Source, principal: Principal) -> None:
    """Delete the source, its tables and every file it stored."""
    require(policy.can_delete_source(principal, source), "You do not have permission to delete this source.")
    prefix = f"sources/{source.folder}" if source.folder else ""
    source_id = source.pk
    with transaction.atomic():
        audit("source.delete", principal, source, name=source.name)
        source.delete()
    if prefix:
        selectors.workspace_store().delete_prefix(prefix)
    logger.info("deleted source %s", source_id)


def refresh_due_sources_in_workspace() -> list[int]:
    """Refresh every database and REST source of the workspace in scope whose interval has passed.

    The core cannot list organisations: whoever schedules this enters each workspace first
    (the `refresh_due_sources` task takes the workspace; `manage.py refresh_sources --workspace`).
    """
    now = timezone.now()
    refreshed = []
    due = Source.objects.exclude(kind=Source.Kind.FILE).filter(refresh_interval_minutes__isnull=False)
    for source in due.exclude(status=Source.Status.INGESTING):
        last = source.refreshed_at or source.created_at
        if last + timedelta(minutes=source.refresh_interval_minutes or 0) <= now:
            source_refresh(source=source)
            refreshed.append(source.pk)
    return refreshed


def source_rotate_secrets() -> int:
    """Re-encrypt every stored secret of the workspace in scope with the first Fernet key."""
    count = 0
    for source in Source.objects.exclude(secret=None):
        rotated = rotate_secret(source.secret)
        Source.objects.filter(pk=source.pk).update(secret=rotated)
        count += 1
    if count:
        audit("source.rotate_secrets", None, None, sources=count)
    return count
