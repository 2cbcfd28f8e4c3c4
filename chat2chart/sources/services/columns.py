# SPDX-License-Identifier: MIT
"""Column renames and type changes of stored sources (files, REST): re-ingest the stored original."""

from __future__ import annotations

from typing import Any

from chat2chart.core.errors import IngestError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources import overrides, policy, selectors, tasks
from chat2chart.sources.ingest import MAX_BLANKED_SHARE
from chat2chart.sources.ingest_worker import check_in_worker
from chat2chart.sources.models import Source, SourceTable
from chat2chart.sources.services.versions import audit, enqueue, mark_pending, require


def current_overrides(source: Source) -> overrides.Overrides:
    """Every choice made on the source's current tables, carried over to its next version."""
    return overrides.union(table.overrides for table in selectors.source_tables(source))


def source_table_override(
    *, source: Source, table_name: str, columns: dict[str, Any], principal: Principal
) -> Source:
    """Rename columns or change their types: the stored original is ingested again into a new version.

    `columns` maps a column's current name to {"name": new name, "type": a column type}; a null
    name or type goes back to what ingestion chose. Raises ValidationFailed naming the column, and
    IngestError (400) when a chosen type would empty more than 1 % of a column's values.
    """
    require(policy.can_change_source(principal, source), "You do not have permission to change this source.")
    if not source.is_stored:
        raise ValidationFailed("columns: overrides apply to uploaded files and REST sources only.")
    if not source.upload_path:
        raise ValidationFailed("This source has no stored file to read again; upload it again first.")
    table = selectors.source_table_get(source, table_name)
    merged = current_overrides(source)
    originals = overrides.originals_by_current_name(table.overrides)
    known = {column["name"] for column in table.catalogue.get("columns", [])}
    for current_name, change in columns.items():
        if current_name not in known and current_name != overrides.FILE_WIDE:
            raise ValidationFailed(f"columns.{current_name}: table '{table.name}' has no such column.")
        original = originals.get(current_name, current_name)
        merged[original] = overrides.merge_override(merged.get(original, {}), change, current_name)
        if not merged[original]:
            del merged[original]
    _check_final_names(table, originals, merged)
    original_name = source.config.get("file_name") or f"{table.name}.ndjson"
    _check_types(source, original_name, merged)
    mark_pending(source)
    audit("source.override", principal, source, table=table.name, columns=sorted(columns))
    enqueue(
        tasks.ingest_source,
        source.pk,
        source.upload_path,
        original_name=original_name,
        on_bad_rows=source.config.get("on_bad_rows", "error"),
        overrides=merged,
    )
    source.refresh_from_db()
    return source


def _check_types(source: Source, original_name: str, merged: overrides.Overrides) -> None:
    """Refuse now (IngestError, a 400 naming the count and three examples) a chosen type that would
    empty more than MAX_BLANKED_SHARE of a column, rather than fail the source in the background.

    The stored original is read in an ingest worker; the current version is not touched.
    """
    if not any(change.get("type") for change in merged.values()):
        return
    with selectors.stored_file_copy(source.upload_path) as upload:
        check_in_worker(upload, original_name, overrides=merged, max_blanked_share=MAX_BLANKED_SHARE)


def refuse_blanking_types(upload_path: str, original_name: str, chosen: overrides.Overrides) -> None:
    """Raise the IngestError (details: column, blanked, present, examples) of a chosen column type under
    which more than MAX_BLANKED_SHARE of the stored file's values would be left empty; nothing when no type
    is chosen. Choices for columns the file lacks are passed over; other faults of the file are left to
    ingestion, which reports them on the source."""
    if not any(change.get("type") for change in chosen.values()):
        return
    try:
        check_in_worker(
            selectors.data_file(upload_path),
            original_name,
            overrides=chosen,
            max_blanked_share=MAX_BLANKED_SHARE,
        )
    except IngestError as error:
        if isinstance(error.details, dict) and "blanked" in error.details:
            raise
        # An unreadable file is no type refusal: the background ingest fails the new version, saying why.


def _check_final_names(table: SourceTable, originals: dict[str, str], merged: overrides.Overrides) -> None:
    seen: dict[str, str] = {}
    for column in table.catalogue.get("columns", []):
        original = originals.get(column["name"], column["name"])
        final = overrides.final_name(original, merged.get(original, {}))
        if final.casefold() in seen:
            raise ValidationFailed(
                f"columns.{column['name']}.name: '{final}' is already the name of column "
                f"'{seen[final.casefold()]}'."
            )
        seen[final.casefold()] = column["name"]
