# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Where archives are kept: a local folder, or an S3-compatible bucket (boto3, multipart from disk).

A location is a string stored on the `Backup` record: an absolute path, or `s3://bucket/key`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from botocore.config import Config
from django.conf import settings

S3_SCHEME = "s3://"


def _s3() -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings.AISER_BACKUP_S3_ENDPOINT_URL or None,
        region_name=settings.AISER_BACKUP_S3_REGION,
        # Every call has a deadline: a store that stops answering fails the backup, not hangs it.
        config=Config(connect_timeout=10, read_timeout=120, retries={"max_attempts": 3}),
    )


def _split(location: str) -> tuple[str, str]:
    bucket, _, key = location.removeprefix(S3_SCHEME).partition("/")
    return bucket, key


def store(archive: Path, name: str) -> str:
    """Move the finished `archive` to the configured storage as `name`; returns its location."""
    if settings.AISER_BACKUP_S3_BUCKET:
        key = f"{settings.AISER_BACKUP_S3_PREFIX}{name}"
        _s3().upload_file(str(archive), settings.AISER_BACKUP_S3_BUCKET, key)
        archive.unlink()
        return f"{S3_SCHEME}{settings.AISER_BACKUP_S3_BUCKET}/{key}"
    target = Path(settings.AISER_BACKUP_DIR) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(archive), target)
    return str(target)


def fetch(location: str, into: Path) -> Path:
    """A local file holding the archive at `location` (downloaded into the folder `into` from S3)."""
    if location.startswith(S3_SCHEME):
        bucket, key = _split(location)
        target = into / Path(key).name
        _s3().download_file(bucket, key, str(target))
        return target
    path = Path(location)
    if not path.is_file():
        raise FileNotFoundError(f"There is no archive at {location}.")
    return path


def remove(location: str) -> None:
    """Delete the archive at `location` (retention); a missing one is already gone."""
    if location.startswith(S3_SCHEME):
        bucket, key = _split(location)
        _s3().delete_object(Bucket=bucket, Key=key)
        return
    Path(location).unlink(missing_ok=True)


def staging_dir() -> Path:
    """Scratch space for archives being written or unpacked: on the data disk, not /tmp (size)."""
    path = Path(settings.AISER_DATA_DIR) / "backup-staging"
    path.mkdir(parents=True, exist_ok=True)
    return path
