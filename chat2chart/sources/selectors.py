# SPDX-License-Identifier: MIT
"""Reads of sources: lists, one source, its current tables and their catalogue, and where files live.

Every read runs in the workspace (organisation schema) in scope, so another organisation's
source is simply not found.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.models import Source, SourceTable


def workspace_data_dir() -> Path:
    """The data folder of the workspace in scope; fails closed when no workspace is in scope."""
    workspace = hooks.current_workspace()
    if not workspace or "/" in workspace or workspace.startswith("."):
        raise RuntimeError("no usable workspace in scope for data files")
    return Path(settings.MEDIA_ROOT) / workspace


def data_file(relative: str) -> Path:
    """An absolute path for a path stored relative to the workspace's data folder, kept inside it."""
    root = workspace_data_dir().resolve()
    path = (root / relative).resolve()
    if not relative or not path.is_relative_to(root):
        raise RuntimeError("a stored data path points outside the workspace's data folder")
    return path


def source_folder(source: Source) -> Path | None:
    return data_file(f"sources/{source.folder}") if source.folder else None


def source_list() -> QuerySet[Source]:
    """Every source of the workspace, for the system's own work; lists shown to someone use
    `source_list_visible`."""
    return Source.objects.all()


def source_list_visible(principal: Principal) -> QuerySet[Source]:
    """The sources `principal` may see (object permissions: `hooks.visible`)."""
    return hooks.visible(principal, "source", Source.objects.all())


def source_get(source_id: int) -> Source:
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        raise NotFound(f"There is no data source {source_id}.")
    return source


def source_tables(source: Source) -> list[SourceTable]:
    return list(source.tables.filter(is_current=True).order_by("name"))


def source_table_get(source: Source, name: str) -> SourceTable:
    table = source.tables.filter(is_current=True, name=name).first()
    if table is None:
        raise NotFound(f"Data source '{source.name}' has no table '{name}'.")
    return table


def source_catalogue(source_id: int) -> list[TableInfo]:
    """The current tables of a source and their columns, for the planner and the pages."""
    return [TableInfo.from_dict(table.catalogue) for table in source_tables(source_get(source_id))]


def table_file(table: SourceTable) -> Path:
    """Where the Parquet file of a stored (file or REST) table is."""
    return data_file(table.parquet_path)
