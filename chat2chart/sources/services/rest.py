# SPDX-License-Identifier: MIT
"""REST sources: create one, fetch its records into a new version, change its settings.

The API's headers (tokens, keys) are kept encrypted apart from the other settings, are sent only
to the origin of the source's URL, and must be entered again whenever a setting that decides
where requests go changes, so an editor who never sees them cannot send them elsewhere.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from pydantic import ValidationError

from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import ConnectionFailed, IngestError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import decrypt_secret, encrypt_secret
from chat2chart.sources import policy, selectors, tasks
from chat2chart.sources.connectors.rest import RestSpec, destination_changes, fetch_records
from chat2chart.sources.models import Source
from chat2chart.sources.services.columns import current_overrides
from chat2chart.sources.services.files import source_ingest
from chat2chart.sources.services.versions import (
    audit,
    enqueue,
    fail,
    mark_ingesting,
    new_upload_path,
    require,
)


def source_create_rest(
    *, name: str, config: dict[str, Any], refresh_interval_minutes: int | None, principal: Principal
) -> Source:
    """A REST source: its records are fetched and stored as a table, like an upload."""
    require(policy.can_create_source(principal), "You do not have permission to add data sources.")
    hooks.check_limit("data_sources")
    spec = _rest_spec(config)
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            kind=Source.Kind.REST,
            config=spec.model_dump(exclude={"headers"}),
            secret=_headers_secret(spec),
            folder=secrets.token_urlsafe(24),
            refresh_interval_minutes=refresh_interval_minutes,
            owner=principal.user,
        )
        audit("source.create", principal, source, kind=source.kind)
    enqueue(tasks.refresh_source, source.pk)
    source.refresh_from_db()
    return source


def rest_refresh(source: Source, principal: Principal | None) -> Source:
    """Fetch the API's records into a new version; on failure the source says why and keeps its data."""
    folder = selectors.source_folder(source)
    if folder is None:
        return fail(source, "This REST source has no data folder; create it again.", discard=None)
    mark_ingesting(source)
    try:
        spec = RestSpec.model_validate({**_rest_settings(source.config), **decrypt_secret(source.secret)})
        records = fetch_records(
            spec,
            allow_private=settings.AISER_ALLOW_PRIVATE_SOURCES,
            timeout_s=settings.AISER_QUERY_TIMEOUT_S,
            max_bytes=settings.AISER_REST_MAX_BYTES,
        )
    except (ConnectionFailed, IngestError) as error:
        return fail(source, error.message, discard=None)
    except ValidationError as error:
        return fail(source, f"The REST settings are not valid: {pydantic_message(error)}", discard=None)
    if not records:
        return fail(source, "The API returned no records; check the URL and the records path.", discard=None)
    relative = new_upload_path(source, "records")
    target = selectors.data_file(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, default=str) + "\n")
    selectors.workspace_store().put_file(target, relative)  # on object storage: uploaded, local copy removed
    audit("source.refresh", principal, source, records=len(records))
    return source_ingest(
        source_id=source.pk,
        upload_path=relative,
        original_name=f"{source.name}.ndjson",
        overrides=current_overrides(source),
    )


def rest_config_changes(source: Source, config: dict[str, Any]) -> dict[str, Any]:
    """The field changes of `source_update` for new REST settings.

    Without new `headers` the stored ones are kept only when nothing that decides where requests
    go has changed (the URL's origin, the pagination settings); otherwise raises ValidationFailed.
    """
    stored = _rest_settings(source.config)
    secret = decrypt_secret(source.secret)
    if "headers" not in config and secret.get("headers"):
        changed = destination_changes(stored, {**stored, **config})
        if changed:
            raise ValidationFailed(
                f"config.headers: enter the headers again when changing where requests go "
                f"({', '.join(changed)})."
            )
    spec = _rest_spec({**stored, **secret, **config})
    return {
        "config": {**source.config, **spec.model_dump(exclude={"headers"})},
        "secret": _headers_secret(spec),
    }


def _headers_secret(spec: RestSpec) -> bytes | None:
    return encrypt_secret({"headers": spec.headers} if spec.headers else {})


def _rest_spec(config: dict[str, Any]) -> RestSpec:
    try:
        return RestSpec.model_validate(config)
    except ValidationError as error:
        raise ValidationFailed(f"config.{pydantic_message(error)}") from None


def _rest_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The REST settings out of a source's config (which also notes how the last ingest went)."""
    return {k: v for k, v in config.items() if k in RestSpec.model_fields}
