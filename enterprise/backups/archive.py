# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The backup archive format, with no Django in it: a tar stream, optionally encrypted in chunks.

An archive is a tar stream of `schema.dump` (pg_dump's custom format), `files/<relative path>` (the
organisation's data folder), `manifest.json` (row counts and SHA-256 of every member) and
`manifest.sig` (HMAC-SHA256 of the manifest with the platform's signing key), in that order.

Encrypted archives are the same tar stream cut into 1 MiB chunks, each sealed with AES-256-GCM (the
"STREAM" construction: nonce = random prefix + chunk counter; the last chunk's associated data says it
is last, so a truncated or reordered archive fails to open). Neither writing nor reading ever holds
more than a chunk in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import struct
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"AISERBK1"  # encrypted archives start with this; plain ones are tar streams
CHUNK = 1 << 20
PREFIX_BYTES = 7
FORMAT_VERSION = 1
DUMP_MEMBER = "schema.dump"
MANIFEST_MEMBER = "manifest.json"
SIGNATURE_MEMBER = "manifest.sig"
FILES_PREFIX = "files/"


class ArchiveError(Exception):
    """The archive cannot be read or does not match its manifest (wrong key, tampered, truncated)."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sign(manifest: bytes, key: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


class _EncryptingWriter(io.RawIOBase):
    """A write-only file object: bytes in, sealed chunks out to `sink`."""

    def __init__(self, sink: BinaryIO, key: bytes) -> None:
        self._sink, self._aead = sink, AESGCM(key)
        self._prefix = os.urandom(PREFIX_BYTES)
        self._counter = 0
        self._buffer = bytearray()
        sink.write(MAGIC + self._prefix)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last chunk is sealed apart
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">IB", self._counter, int(last))
        sealed = self._aead.encrypt(nonce, chunk, b"last" if last else b"more")
        self._sink.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


class _DecryptingReader(io.RawIOBase):
    """A read-only file object over an encrypted archive; raises ArchiveError on any tampering."""

    def __init__(self, source: BinaryIO, key: bytes) -> None:
        self._source, self._aead = source, AESGCM(key)
        self._prefix = source.read(PREFIX_BYTES)
        self._counter, self._done = 0, False
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._done:
            self._buffer = self._open_next()
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def _open_next(self) -> bytes:
        header = self._source.read(4)
        if len(header) != 4:
            raise ArchiveError("The archive is truncated: its last encrypted chunk is missing.")
        sealed = self._source.read(struct.unpack(">I", header)[0])
        for last in (False, True):
            nonce = self._prefix + struct.pack(">IB", self._counter, int(last))
            try:
                chunk = self._aead.decrypt(nonce, sealed, b"last" if last else b"more")
            except InvalidTag:
                continue
            self._counter += 1
            self._done = last
            if last and self._source.read(1):
                raise ArchiveError("The archive has data after its last chunk; it was altered.")
            return chunk
        raise ArchiveError("The archive cannot be decrypted: wrong key, or the archive was altered.")


@dataclass
class ArchiveWriter:
    """Writes one archive to `path`; add the dump, then files, then `finish(manifest)`."""

    path: Path
    signing_key: bytes
    encryption_key: bytes | None = None
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __enter__(self) -> ArchiveWriter:
        self._file = self.path.open("wb")
        self._stream: IO[bytes] = (
            _EncryptingWriter(self._file, self.encryption_key) if self.encryption_key else self._file  # type: ignore[assignment]
        )
        self._tar = tarfile.open(fileobj=self._stream, mode="w|", format=tarfile.PAX_FORMAT)
        return self

    def add_file(self, name: str, source: Path) -> dict[str, Any]:
        """Add `source` as member `name`; returns its {"sha256", "size"} (also kept for the manifest)."""
        digest = hashlib.sha256()
        # Open first, then describe the opened file: a file removed meanwhile raises FileNotFoundError
        # before anything is written, and one removed after still reads whole.
        with source.open("rb") as handle:
            info = self._tar.gettarinfo(arcname=name, fileobj=handle)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            self._tar.addfile(info, _Hashing(handle, digest))
        entry = {"sha256": digest.hexdigest(), "size": info.size}
        self.members[name] = entry
        return entry

    def finish(self, manifest: dict[str, Any]) -> None:
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        self._add_bytes(MANIFEST_MEMBER, body)
        self._add_bytes(SIGNATURE_MEMBER, sign(body, self.signing_key).encode())

    def _add_bytes(self, name: str, body: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(body)
        self._tar.addfile(info, io.BytesIO(body))

    def __exit__(self, *exc: object) -> None:
        self._tar.close()
        if self._stream is not self._file:
            self._stream.close()
        self._file.close()


class _Hashing(io.RawIOBase):
    def __init__(self, handle: BinaryIO, digest: Any) -> None:
        self._handle, self._digest = handle, digest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(size)
        self._digest.update(block)
        return block


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ArchiveError(f"The archive holds an unsafe path {name!r}; refusing it.")
    return path


def unpack(path: Path, into: Path, *, signing_key: bytes, encryption_key: bytes | None) -> dict[str, Any]:
    """Unpack the archive at `path` into the folder `into` and verify it completely.

    Returns the manifest once its signature and every member's SHA-256 and size match it, and no
    member is missing or extra. Raises ArchiveError otherwise (the staging folder is left for the
    caller to remove)."""
    with path.open("rb") as raw:
        encrypted = raw.read(len(MAGIC)) == MAGIC
        if encrypted and encryption_key is None:
            raise ArchiveError("The archive is encrypted: set AISER_BACKUP_KEY to the key it was made with.")
        if not encrypted:
            raw.seek(0)
        stream: IO[bytes] = (
            io.BufferedReader(_DecryptingReader(raw, encryption_key), CHUNK) if encrypted else raw  # type: ignore[arg-type]
        )
        found = _extract(stream, into)
    return _verify(into, found, signing_key)


def _extract(stream: IO[bytes], into: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    raise ArchiveError(
                        f"The archive holds {member.name!r}, which is not a file; refusing it."
                    )
                target = into / _safe_name(member.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while block := source.read(CHUNK):  # type: ignore[union-attr]
                        digest.update(block)
                        out.write(block)
                found[member.name] = {"sha256": digest.hexdigest(), "size": member.size}
        # Read to the end so that an encrypted archive's last chunk (the end marker) is checked too.
        while stream.read(CHUNK):
            pass
    except tarfile.TarError as error:
        raise ArchiveError(f"The archive is damaged: {error}.") from None
    return found


def _verify(into: Path, found: dict[str, dict[str, Any]], signing_key: bytes) -> dict[str, Any]:
    if MANIFEST_MEMBER not in found or SIGNATURE_MEMBER not in found:
        raise ArchiveError("The archive has no signed manifest; it is incomplete or not an Aiser backup.")
    body = (into / MANIFEST_MEMBER).read_bytes()
    signature = (into / SIGNATURE_MEMBER).read_text().strip()
    if not hmac.compare_digest(signature, sign(body, signing_key)):
        raise ArchiveError(
            "The archive's manifest signature does not match: it was altered, or made with another "
            "AISER_BACKUP_SIGNING_KEY."
        )
    manifest = json.loads(body)
    expected = {DUMP_MEMBER: manifest["dump"]} | {
        FILES_PREFIX + name: entry for name, entry in manifest["files"].items()
    }
    actual = {name: entry for name, entry in found.items() if name not in (MANIFEST_MEMBER, SIGNATURE_MEMBER)}
    if set(expected) != set(actual):
        difference = sorted(set(expected) ^ set(actual))
        raise ArchiveError(f"The archive's members do not match its manifest: {difference[:5]}.")
    for name, entry in expected.items():
        if actual[name]["sha256"] != entry["sha256"] or actual[name]["size"] != entry["size"]:
            raise ArchiveError(f"The archive member {name!r} does not match its checksum; it was altered.")
    return manifest


def files_under(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative POSIX path, absolute path) of every regular file under `root`, sorted."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path
