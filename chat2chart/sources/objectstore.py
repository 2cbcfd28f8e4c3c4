# SPDX-License-Identifier: MIT
"""Where a workspace's stored files live: uploads, ingested Parquet tables and rollups.

One interface, two stores: `LocalStore` keeps files under the workspace's data folder on this
machine (the default, today's layout); `S3Store` keeps them in an S3-compatible bucket under
`<prefix><workspace>/`, so web and worker nodes hold no data of their own. A store is made for
exactly one workspace (see `selectors.workspace_store`), and every key it takes is relative to
that workspace's root: `sources/<source folder>/...` or `rollups/...`. A key can never climb out
of it (`..`, absolute keys and empty parts are refused), which is the tenant isolation of storage.

Queries do not download: `location` gives the query worker either a local path or an `S3Place`
plus key, and the worker hands DuckDB a pyarrow dataset over exactly those objects (see duckpool).
No Django here, so the query worker can import it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

S3_SCHEME = "s3://"


class StorageKeyError(ValueError):
    """A key that is not a plain relative path inside the workspace."""


def checked_key(key: str) -> str:
    """`key` as a normalised relative POSIX path, or StorageKeyError when it is empty, absolute or
    climbs (`..`), so no key can reach another workspace's prefix."""
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(part in ("..", ".", "") for part in parts) or "\\" in key:
        raise StorageKeyError(f"{key!r} is not a usable storage key")
    return "/".join(parts)


@dataclass(frozen=True)
class S3Place:
    """How to reach one bucket: picklable, so the parent resolves credentials once and the query
    worker (no Django, no boto3 session of its own) builds a pyarrow S3 filesystem from it."""

    bucket: str
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)

    def filesystem(self) -> Any:
        """A `pyarrow.fs.S3FileSystem` for this place (endpoint override and scheme from
        `endpoint_url`; credentials as given, else pyarrow's own AWS chain)."""
        from pyarrow import fs

        options: dict[str, Any] = {"region": self.region}
        if self.endpoint_url:
            scheme, _, host = self.endpoint_url.partition("://")
            options.update(endpoint_override=host.rstrip("/"), scheme=scheme or "https")
        if self.access_key:
            options.update(access_key=self.access_key, secret_key=self.secret_key)
            if self.session_token:
                options["session_token"] = self.session_token
        return fs.S3FileSystem(**options)

    def uri(self, full_key: str) -> str:
        return f"{S3_SCHEME}{self.bucket}/{full_key}"


class ObjectStore(Protocol):
    """The operations the data plane needs, on keys relative to one workspace."""

    def put_file(self, local: Path, key: str) -> None:
        """Store the file at `local` as `key` and remove `local` (unless it already is `key`)."""

    def fetch(self, key: str, into: Path) -> Path:
        """A local file with the content of `key` (the file itself for a local store, else a copy
        downloaded under `into`, which the caller removes). FileNotFoundError when missing."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is already gone."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under `prefix` (a folder); returns how many were removed."""

    def list_keys(self, prefix: str) -> list[str]:
        """The keys under `prefix`, sorted."""

    def location(self, key: str) -> str:
        """What the query worker reads for `key`: an absolute local path or an `s3://` URI."""

    def fetch_all(self, into: Path) -> None:
        """Download every object of the store to the same relative paths under `into`."""

    def replace_all(self, source: Path | None) -> None:
        """Make the store hold exactly the files under the local folder `source` (None: nothing)."""

    def place(self) -> S3Place | None:
        """The bucket the `s3://` locations are in (None for a local store)."""


class LocalStore:
    """Files under `root` (the workspace's data folder)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The absolute path of `key`, checked to be inside the root."""
        root = self.root.resolve()
        path = (root / checked_key(key)).resolve()
        if not path.is_relative_to(root):
            raise StorageKeyError(f"{key!r} points outside the workspace's data folder")
        return path

    def put_file(self, local: Path, key: str) -> None:
        target = self.path(key)
        if Path(local).resolve() == target:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(local), target)

    def fetch(self, key: str, into: Path) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        if path.parent != self.root.resolve() and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()

    def delete_prefix(self, prefix: str) -> int:
        folder = self.path(prefix)
        count = sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def list_keys(self, prefix: str) -> list[str]:
        folder = self.path(prefix)
        root = self.root.resolve()
        if not folder.is_dir():
            return []
        return sorted(str(p.relative_to(root)) for p in folder.rglob("*") if p.is_file())

    def location(self, key: str) -> str:
        return str(self.path(key))

    def fetch_all(self, into: Path) -> None:
        if self.root.is_dir():
            shutil.copytree(self.root, into, dirs_exist_ok=True)

    def replace_all(self, source: Path | None) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if source is not None and Path(source).is_dir():
            shutil.copytree(source, self.root)

    def place(self) -> S3Place | None:
        return None


class S3Store:
    """Objects in `place.bucket` under `base` (`<AISER_S3_PREFIX><workspace>/`), through boto3."""

    def __init__(self, place: S3Place, base: str) -> None:
        if not base.endswith("/") or base.startswith("/"):
            raise StorageKeyError("an S3 store's base must be a prefix ending in '/'")
        self._place = place
        self.base = base

    def full_key(self, key: str) -> str:
        return self.base + checked_key(key)

    def _client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self._place.endpoint_url or None,
            region_name=self._place.region,
            aws_access_key_id=self._place.access_key or None,
            aws_secret_access_key=self._place.secret_key or None,
            aws_session_token=self._place.session_token or None,
            # A store that stops answering fails the request or task, it does not hang it.
            config=Config(connect_timeout=10, read_timeout=120, retries={"max_attempts": 3}),
        )

    def put_file(self, local: Path, key: str) -> None:
        self._client().upload_file(str(local), self._place.bucket, self.full_key(key))
        Path(local).unlink(missing_ok=True)

    def fetch(self, key: str, into: Path) -> Path:
        from botocore.exceptions import ClientError

        target = Path(into) / checked_key(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._client().download_file(self._place.bucket, self.full_key(key), str(target))
        except ClientError as error:
            target.unlink(missing_ok=True)
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise FileNotFoundError(key) from None
            raise
        return target

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client().head_object(Bucket=self._place.bucket, Key=self.full_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self._client().delete_object(Bucket=self._place.bucket, Key=self.full_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = [self.full_key(key) for key in self.list_keys(prefix)]
        client = self._client()
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            client.delete_objects(Bucket=self._place.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        folder = self.full_key(prefix).rstrip("/") + "/"
        pages = (
            self._client().get_paginator("list_objects_v2").paginate(Bucket=self._place.bucket, Prefix=folder)
        )
        return sorted(item["Key"][len(self.base) :] for page in pages for item in page.get("Contents", []))

    def location(self, key: str) -> str:
        return self._place.uri(self.full_key(key))

    def fetch_all(self, into: Path) -> None:
        for key in self._all_keys():
            self.fetch(key, into)

    def replace_all(self, source: Path | None) -> None:
        client = self._client()
        uploaded = set()
        if source is not None and Path(source).is_dir():
            for path in sorted(Path(source).rglob("*")):
                if path.is_file() and not path.is_symlink():
                    key = checked_key(path.relative_to(source).as_posix())
                    client.upload_file(str(path), self._place.bucket, self.full_key(key))
                    uploaded.add(key)
        stale = [self.full_key(key) for key in self._all_keys() if key not in uploaded]
        for start in range(0, len(stale), 1000):
            batch = [{"Key": key} for key in stale[start : start + 1000]]
            client.delete_objects(Bucket=self._place.bucket, Delete={"Objects": batch, "Quiet": True})

    def _all_keys(self) -> list[str]:
        paginator = self._client().get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self._place.bucket, Prefix=self.base)
        return sorted(item["Key"][len(self.base) :] for page in pages for item in page.get("Contents", []))

    def place(self) -> S3Place | None:
        return self._place


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an `s3://bucket/key` URI."""
    bucket, _, key = uri.removeprefix(S3_SCHEME).partition("/")
    return bucket, key
