# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Write audit events from the core into the organisation's own schema."""

from __future__ import annotations

from chat2chart.core.hooks import AuditEvent
from enterprise.audit.models import AuditEntry


def audit_entry_record(event: AuditEvent) -> None:
    """Write the event as an `AuditEntry` (an audit hook listener); returns None, so the event goes on
    unchanged to the next listener in `AISER_HOOK_PLUGINS["audit"]`."""
    # The event's workspace is the schema in scope (the core asked the workspace hook), so the row
    # lands in that organisation's schema.
    AuditEntry.objects.create(
        actor_id=event.actor_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        data=event.data,
    )
