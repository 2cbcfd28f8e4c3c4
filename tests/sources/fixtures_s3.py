# SPDX-License-Identifier: MIT
"""Object storage for tests: moto's S3 server on a free loopback port (a real HTTP peer for boto3 and
pyarrow), and a fixture switching AISER_OBJECT_STORAGE=s3 on for one test under a prefix of its own.

Import the fixtures by name into a test module (`from tests.sources.fixtures_s3 import moto_endpoint, s3`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

BUCKET = "aiser-objects"


@pytest.fixture(scope="module")
def moto_endpoint() -> Any:
    """moto's S3 server on a free loopback port, with one bucket; stopped after the module."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Object storage switched on for one test, under a prefix of its own; returns a boto3 client."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.AISER_OBJECT_STORAGE = "s3"
    settings.AISER_S3_BUCKET = BUCKET
    settings.AISER_S3_ENDPOINT_URL = moto_endpoint
    settings.AISER_S3_REGION = "us-east-1"
    settings.AISER_S3_PREFIX = f"t-{random.randrange(1 << 30):x}/"  # noqa: S311 - a test's own prefix
    settings.AISER_OBJECT_SCRATCH_DIR = tmp_path / "scratch"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    return client


def keys_under(client: Any, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
