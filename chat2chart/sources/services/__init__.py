# SPDX-License-Identifier: MIT
"""State changes of sources: create, update, ingest a file version, refresh, override columns, delete.

One module per concern; every public service is re-exported here, so callers write
`from chat2chart.sources import services; services.source_create_file(...)`. Each change records
its audit entry; background work goes to the Celery tasks in `sources.tasks`.
"""

from chat2chart.sources.services.columns import source_table_override
from chat2chart.sources.services.databases import (
    DATABASE_KINDS,
    connection_test,
    source_create_database,
)
from chat2chart.sources.services.files import source_create_file, source_ingest, source_upload
from chat2chart.sources.services.lifecycle import (
    refresh_due_sources_in_workspace,
    source_delete,
    source_refresh,
    source_request_refresh,
    source_rotate_secrets,
    source_update,
)
from chat2chart.sources.services.rest import source_create_rest

__all__ = [
    "DATABASE_KINDS",
    "connection_test",
    "refresh_due_sources_in_workspace",
    "source_create_database",
    "source_create_file",
    "source_create_rest",
    "source_delete",
    "source_ingest",
    "source_refresh",
    "source_request_refresh",
    "source_rotate_secrets",
    "source_table_override",
    "source_update",
    "source_upload",
]
