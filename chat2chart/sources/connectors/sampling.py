# SPDX-License-Identifier: MIT
"""What every database connector agrees on: how a table is sampled for the catalogue, and how
failures are worded for users."""

from __future__ import annotations

from typing import Any

from chat2chart.sources.drivervalues import json_value

SAMPLE_ROWS = 10_000  # rows read to compute null share and distinct counts when statistics lack them
SAMPLE_VALUES = 10  # distinct example values kept per column
EXACT_COUNT_BELOW = 100_000  # below this estimated size a table gets an exact count(*)
MAX_TABLES = 500  # a schema with more tables is cut here, so introspection stays bounded
_MAX_SAMPLE_CHARS = 200


def sample_value(value: Any) -> Any:
    """A JSON-friendly example value, shortened so a catalogue never carries whole documents."""
    clean = json_value(value)
    if isinstance(clean, str) and len(clean) > _MAX_SAMPLE_CHARS:
        return clean[:_MAX_SAMPLE_CHARS] + "…"
    return clean


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def scrub(message: str, secret: str) -> str:
    """A driver message made safe to show: never echo the password, even if the driver did."""
    first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return first_line.replace(secret, "***") if secret else first_line


def refused_message(where: str) -> str:
    return f"connection refused by {where}; check the host and port and that the server accepts connections"


def timed_out_message(where: str) -> str:
    return f"timed out connecting to {where}; check the host, port and firewall rules"


def lost_connection_message(where: str) -> str:
    return (
        f"the connection to {where} was lost during the query; try again, and check the database "
        "server and the network if it keeps happening"
    )


def slow_query_message(timeout_s: float) -> str:
    return f"the query ran longer than {timeout_s:g}s and was stopped; add filters or aggregate more"
