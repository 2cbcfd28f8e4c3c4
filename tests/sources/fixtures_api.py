# SPDX-License-Identifier: MIT
"""Helpers for the sources API tests: uploads through the real endpoint, queries, files on disk.

Imported explicitly by the API test modules (tests/sources/conftest.py belongs to the ingest tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

SALES_CSV = (
    "order_date,region,product,quantity,revenue\n"
    "2024-01-05,North,Widget,3,30.5\n"
    "2024-01-20,South,Widget,1,10.0\n"
    "2024-02-02,North,Gadget,2,45.0\n"
    "2024-02-14,East,Gadget,5,112.5\n"
    "2024-03-01,South,Widget,4,40.0\n"
)
SALES_CSV_V2 = SALES_CSV + "2024-03-15,West,Gizmo,10,300.0\n"

REVENUE_BY_REGION = {
    "table": "sales",
    "measures": [{"field": "revenue", "agg": "sum"}],
    "dimensions": [{"field": "region"}],
    "order": [{"field": "region"}],
}


def upload_source(
    client: Client, content: str | bytes = SALES_CSV, *, file_name: str = "sales.csv", **fields: Any
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    payload = {"file": SimpleUploadedFile(file_name, data, content_type="text/csv"), **fields}
    return client.post("/api/v1/sources/", payload)


def upload_new_version(
    client: Client, source_id: int, content: str | bytes, *, file_name: str = "sales.csv"
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/api/v1/sources/{source_id}/upload/",
        {"file": SimpleUploadedFile(file_name, data, content_type="text/csv")},
    )


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json")


def patch_json(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, body, content_type="application/json")


def run_query(client: Client, source_id: int, query: dict[str, Any] | None = None) -> Any:
    return post_json(client, "/api/v1/query/", {"source": source_id, **(query or REVENUE_BY_REGION)})


def workspace_files(workspace_name: str) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / workspace_name
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def error_message(response: Any) -> str:
    return response.json()["error"]["message"]
