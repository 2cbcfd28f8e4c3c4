# SPDX-License-Identifier: MIT
"""Reads of sources: lists, one source, its current tables and their catalogue, and where files live.

Every read runs in the workspace (organisation schema) in scope, so another organisation's
source is simply not found.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.generations import generation_forget, generation_read
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.models import Source, SourceTable
from chat2chart.sources.objectstore import LocalStore, ObjectStore, S3Place, S3Store


def _workspace() -> str:
    workspace = hooks.current_workspace()
    if not workspace or "/" in workspace or workspace.startswith("."):
        raise RuntimeError("no usable workspace in scope for data files")
    return workspace


def object_storage_is_s3() -> bool:
    """Whether stored files live in the S3 bucket (AISER_OBJECT_STORAGE=s3) rather than on this disk."""
    return settings.AISER_OBJECT_STORAGE == "s3"


def workspace_data_dir() -> Path:
    """The local data folder of the workspace in scope; fails closed when no workspace is in scope.

    With object storage this is the workspace's scratch folder: files are written there, stored
    with `workspace_store().put_file` and removed, so nothing stays on the node."""
    workspace = _workspace()
    if object_storage_is_s3():
        return Path(settings.AISER_OBJECT_SCRATCH_DIR) / workspace
    return Path(settings.MEDIA_ROOT) / workspace


def s3_place() -> S3Place:
    """The configured bucket, with credentials resolved now by botocore's usual chain (the AWS_*
    variables, shared config, or the machine's role), for stores and the query worker."""
    import botocore.session

    credentials = botocore.session.get_session().get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    return S3Place(
        bucket=settings.AISER_S3_BUCKET or "",
        endpoint_url=settings.AISER_S3_ENDPOINT_URL or "",
        region=settings.AISER_S3_REGION or "us-east-1",
        access_key=frozen.access_key if frozen else "",
        secret_key=frozen.secret_key if frozen else "",
        session_token=(frozen.token or "") if frozen else "",
    )


def workspace_store() -> ObjectStore:
    """The store of the workspace in scope: its prefix `<AISER_S3_PREFIX><schema>/` in the bucket,
    or its data folder on this disk. Keys given to it are the relative paths stored on rows."""
    return store_for_workspace(_workspace())


def store_for_workspace(workspace: str) -> ObjectStore:
    """The store of `workspace` (an organisation's schema name), for the system's own work on a
    named organisation (backups, purges); requests and tasks use `workspace_store`."""
    if not workspace or "/" in workspace or workspace.startswith("."):
        raise RuntimeError("no usable workspace for data files")
    if object_storage_is_s3():
        return S3Store(s3_place(), f"{settings.AISER_S3_PREFIX}{workspace}/")
    return LocalStore(Path(settings.MEDIA_ROOT) / workspace)


@contextmanager
def stored_file_copy(relative: str) -> Iterator[Path]:
    """A local file with the content of stored `relative` for as long as the block runs: the file
    itself on local storage, a scratch copy (removed afterwards) from object storage.
    Raises FileNotFoundError when it is not stored."""
    store = workspace_store()
    if isinstance(store, LocalStore):
        yield store.fetch(relative, store.root)
        return
    scratch_root = Path(settings.AISER_OBJECT_SCRATCH_DIR)
    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="fetch-", dir=scratch_root))
    try:
        yield store.fetch(relative, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


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


HEADER_TTL_S = 300


def _header_generation() -> str:
    return f"sources:generation:{hooks.current_workspace()}"


def source_header(source_id: int) -> Source | None:
    """The source with only `pk`, `name`, `version`, `owner` and `kind` loaded (what a cached answer's
    key and the access check read), or None when it does not exist; from the cache when possible.

    Served only at the workspace's current source generation, which every save or delete of a source
    and every version change bumps (`source_headers_forget`), so a re-upload's new version is seen on
    the very next request. Unknown ids are not cached."""
    entry_key = f"sources:header:{hooks.current_workspace()}:{source_id}"
    header, generation = generation_read(entry_key, _header_generation())
    if header is not None:
        return header
    header = Source.objects.filter(pk=source_id).only("pk", "name", "version", "owner", "kind").first()
    if header is not None:
        cache.set(entry_key, (generation, header), timeout=HEADER_TTL_S)
    return header


def source_headers_forget() -> None:
    """Make every cached source header of the workspace in scope stale, now and on commit."""
    generation_forget(_header_generation())


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
    """Where the Parquet file of a stored (file or REST) table is on local storage."""
    return data_file(table.parquet_path)


def table_location(table: SourceTable, store: ObjectStore | None = None) -> str:
    """What the query worker reads for a stored table: a local path or an `s3://` URI."""
    return (store or workspace_store()).location(table.parquet_path)
