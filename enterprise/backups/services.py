# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Back one organisation up into one archive, and restore an archive beside it or in its place.

`backup_org` writes the schema (pg_dump), the organisation's data folder (Parquet tables, uploads,
rollups: `MEDIA_ROOT/<schema>/`) and a signed manifest with row counts and SHA-256 checksums, then
records a `Backup`. `start_restore` checks the whole archive before touching anything, restores, and
verifies the restored row counts and files against the manifest.
"""

from __future__ import annotations

import base64
import binascii
import functools
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from chat2chart.core.errors import AiserError, ValidationFailed
from chat2chart.sources.selectors import object_storage_is_s3, store_for_workspace
from chat2chart.sources.services.versions import files_lock_key
from enterprise.backups import archive, metrics, postgres, storage
from enterprise.backups.models import Backup
from enterprise.tenants.models import Domain, Membership, Organization
from enterprise.tenants.services import schema_name_for, validate_slug

T = TypeVar("T")


class BackupFailed(AiserError):
    code = "backup_failed"
    status = 422


@dataclass(frozen=True)
class RestoreResult:
    """What a restore made: the organisation, its verified row counts ({table: rows}) and files."""

    organization: Organization
    tables: dict[str, int]
    files: int
    seconds: float


def _encryption_key() -> bytes | None:
    if not settings.AISER_BACKUP_KEY:
        return None
    try:
        key = base64.urlsafe_b64decode(settings.AISER_BACKUP_KEY)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ValidationFailed(
            "AISER_BACKUP_KEY must be the base64 of 32 random bytes (openssl rand -base64 32)."
        )
    return key


def _signing_key() -> bytes:
    return settings.AISER_BACKUP_SIGNING_KEY.encode()


def organization_files_dir(organization: Organization) -> Path:
    """The organisation's data folder: every Parquet table, upload and rollup it has (local storage)."""
    return Path(settings.MEDIA_ROOT) / organization.schema_name


def _files_copy(organization: Organization, folder: Path) -> Path:
    """A local folder holding every stored file of `organization`: its data folder itself on local
    storage; with object storage (AISER_OBJECT_STORAGE=s3), its whole prefix downloaded to `folder`."""
    if not object_storage_is_s3():
        return organization_files_dir(organization)
    store_for_workspace(organization.schema_name).fetch_all(folder)
    return folder


@contextmanager
def _staging() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(dir=storage.staging_dir()))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_public_schema(function: Callable[..., T]) -> Callable[..., T]:
    """Run with the connection on the public schema (records, organisations), whatever the caller's."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with schema_context(get_public_schema_name()):
            return function(*args, **kwargs)

    return wrapper


@_in_public_schema
def backup_org(*, organization: Organization, kind: str = Backup.Kind.MANUAL) -> Backup:
    """Write one archive of `organization`, store it (AISER_BACKUP_S3_BUCKET or AISER_BACKUP_DIR)
    and record it. Encrypted when AISER_BACKUP_KEY is set. Raises BackupFailed when pg_dump or the
    storage fails (nothing is recorded then)."""
    encryption_key = _encryption_key()
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    suffix = ".tar.aes" if encryption_key else ".tar"
    with _staging() as folder, postgres.files_locked(files_lock_key(organization.schema_name)):
        # Held from the dump until the files are copied: superseded files a refresh would prune meanwhile
        # are still rows in the dump, so they stay until the archive has them (`files_lock_key`).
        dump = folder / archive.DUMP_MEMBER
        try:
            counts = postgres.dump_schema(organization.schema_name, dump)
        except postgres.DatabaseStepFailed as error:
            raise BackupFailed(str(error)) from None
        path = folder / f"{organization.slug}-{stamp}-{kind}{suffix}"
        with archive.ArchiveWriter(path, _signing_key(), encryption_key) as writer:
            dump_entry = writer.add_file(archive.DUMP_MEMBER, dump)
            dump.unlink()
            files = {}
            for relative, absolute in archive.files_under(_files_copy(organization, folder / "objects")):
                try:
                    files[relative] = writer.add_file(archive.FILES_PREFIX + relative, absolute)
                except FileNotFoundError:
                    # An upload that failed and was discarded since the listing: no row refers to it.
                    continue
            writer.finish(_manifest(organization, counts, dump_entry, files))
        size, checksum = path.stat().st_size, archive.sha256_file(path)
        try:
            location = storage.store(path, f"{organization.slug}/{path.name}")
        except Exception as error:  # boto3 and OSError alike: the message is what an operator needs
            raise BackupFailed(f"Storing the archive failed: {error}") from None
    backup = Backup.objects.create(
        organization=organization,
        organization_slug=organization.slug,
        kind=kind,
        location=location,
        size=size,
        sha256=checksum,
        encrypted=encryption_key is not None,
    )
    metrics.backup_succeeded()
    _audit(organization, "backup.create", {"backup": backup.pk, "kind": kind, "size": size})
    return backup


def _manifest(
    organization: Organization, counts: dict[str, int], dump: dict[str, Any], files: dict[str, Any]
) -> dict[str, Any]:
    members = Membership.objects.filter(organization=organization).select_related("user")
    return {
        "format": archive.FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "organization": {
            "slug": organization.slug,
            "name": organization.name,
            "schema_name": organization.schema_name,
        },
        "members": sorted(
            ({"email": m.user.email, "role": m.role} for m in members), key=lambda m: m["email"]
        ),
        "tables": counts,
        "dump": dump,
        "files": files,
    }


@_in_public_schema
def start_restore(
    *,
    location: str,
    as_slug: str | None = None,
    in_place: bool = False,
    confirmed: bool = False,
    actor: Any = None,
) -> RestoreResult:
    """Restore the archive at `location` (a path or s3://bucket/key).

    With `as_slug`, into a new organisation beside the original (which is not touched); with
    `in_place=True` and `confirmed=True`, over the organisation it was taken from (recreated if purged).
    The archive is decrypted and checked (signature, every checksum) before anything changes; the
    restored schema's row counts and files are checked against the manifest afterwards.
    Raises ValidationFailed for bad arguments or a taken slug, BackupFailed for a refused archive or
    a failed restore (a new organisation is then removed again)."""
    if bool(as_slug) == in_place:
        raise ValidationFailed("Give either a new address (--as NEWSLUG) or --in-place, not both.")
    if in_place and not confirmed:
        raise ValidationFailed(
            "Restoring in place replaces the organisation's data: confirm it (--yes-replace)."
        )
    if as_slug:
        validate_slug(as_slug)
    started = time.monotonic()
    with _staging() as folder:
        unpacked = folder / "unpacked"
        try:
            local = storage.fetch(location, folder)
            manifest = archive.unpack(
                local, unpacked, signing_key=_signing_key(), encryption_key=_encryption_key()
            )
        except (archive.ArchiveError, FileNotFoundError) as error:
            _mark(location, Backup.Verified.FAILED)
            raise BackupFailed(f"The archive was refused: {error}") from None
        organization = _restore_target(manifest, as_slug)
        # In place, the current schema and files are set aside, not dropped, until the restored copy
        # is verified: a failed restore puts them back as they were.
        aside = _set_aside(organization, folder)
        try:
            _restore_database(manifest, organization, unpacked)
            _restore_files(unpacked / "files", organization)
            tables = _verify(manifest, organization, folder)
            _migrate(organization)
        except (BackupFailed, postgres.DatabaseStepFailed) as error:
            _mark(location, Backup.Verified.FAILED)
            if as_slug:
                organization.delete()
            else:
                _put_back(organization, aside)
            raise BackupFailed(f"The restore failed: {error}") from None
        if aside is not None:
            postgres.drop_schema(aside.schema)
    _mark(location, Backup.Verified.VERIFIED)
    _audit(
        organization,
        "backup.restore",
        {"from": manifest["organization"]["slug"], "in_place": in_place},
        actor,
    )
    return RestoreResult(
        organization=organization,
        tables=tables,
        files=len(manifest["files"]),
        seconds=time.monotonic() - started,
    )


def _restore_target(manifest: dict[str, Any], as_slug: str | None) -> Organization:
    original = manifest["organization"]
    slug = as_slug or original["slug"]
    existing = Organization.objects.filter(slug=slug).first()
    if existing is not None:
        return existing  # in place: its schema is replaced below
    if postgres.schema_exists(schema_name_for(slug)):
        raise BackupFailed(
            f"A schema {schema_name_for(slug)} exists without an organisation; remove it first."
        )
    # A new row whose schema comes from the archive, not from migrations.
    organization = Organization(name=original["name"], slug=slug, schema_name=schema_name_for(slug))
    organization.auto_create_schema = False
    with transaction.atomic():
        organization.save()
        Domain.objects.create(domain=organization.host, tenant=organization, is_primary=True)
        users = {
            u.email.lower(): u
            for u in get_user_model().objects.filter(email__in=[m["email"] for m in manifest["members"]])
        }
        for member in manifest["members"]:
            if user := users.get(member["email"].lower()):
                Membership.objects.create(user=user, organization=organization, role=member["role"])
    return organization


@dataclass(frozen=True)
class _Aside:
    schema: str
    files: Path


def _set_aside(organization: Organization, folder: Path) -> _Aside | None:
    if not postgres.schema_exists(organization.schema_name):
        return None  # a new organisation, or one purged since the backup
    aside = _Aside(
        schema=f"{organization.schema_name}_before_restore"[:63], files=folder / "files-before-restore"
    )
    postgres.drop_schema(aside.schema)  # left by an interrupted earlier restore
    postgres.rename_schema(organization.schema_name, aside.schema)
    if object_storage_is_s3():
        # The objects stay where they are until the restore replaces them; a copy is kept aside.
        store_for_workspace(organization.schema_name).fetch_all(aside.files)
        return aside
    current = organization_files_dir(organization)
    if current.exists():
        shutil.move(current, aside.files)
    return aside


def _put_back(organization: Organization, aside: _Aside | None) -> None:
    if aside is None:
        return
    postgres.drop_schema(organization.schema_name)
    postgres.rename_schema(aside.schema, organization.schema_name)
    if object_storage_is_s3():
        store_for_workspace(organization.schema_name).replace_all(aside.files)
        return
    current = organization_files_dir(organization)
    shutil.rmtree(current, ignore_errors=True)
    if aside.files.exists():
        shutil.move(aside.files, current)


def _restore_database(manifest: dict[str, Any], organization: Organization, unpacked: Path) -> None:
    postgres.restore_schema(
        unpacked / archive.DUMP_MEMBER,
        dumped_as=manifest["organization"]["schema_name"],
        restore_as=organization.schema_name,
        work_dir=unpacked,
    )


def _restore_files(source: Path, organization: Organization) -> None:
    if object_storage_is_s3():
        store_for_workspace(organization.schema_name).replace_all(source if source.is_dir() else None)
        return
    target = organization_files_dir(organization)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir()


def _verify(manifest: dict[str, Any], organization: Organization, folder: Path) -> dict[str, int]:
    tables = postgres.current_row_counts(organization.schema_name)
    if tables != manifest["tables"]:
        wrong = sorted(
            t for t in set(tables) | set(manifest["tables"]) if tables.get(t) != manifest["tables"].get(t)
        )
        raise BackupFailed(f"Restored row counts differ from the manifest in {wrong[:5]}.")
    restored = dict(archive.files_under(_files_copy(organization, folder / "restored")))
    if set(restored) != set(manifest["files"]):
        raise BackupFailed("The restored files differ from the manifest's list.")
    for relative, entry in manifest["files"].items():
        if archive.sha256_file(restored[relative]) != entry["sha256"]:
            raise BackupFailed(f"The restored file {relative} does not match its checksum.")
    return tables


def _migrate(organization: Organization) -> None:
    """Bring a schema restored from an older release up to this release's migrations (a no-op for an
    archive of the same release). Checked after `_verify`, which compares the archive as it was taken."""
    try:
        call_command("migrate_schemas", schema_name=organization.schema_name, interactive=False, verbosity=0)
    except Exception as error:  # noqa: BLE001 - any failure here fails the restore, which is undone
        raise BackupFailed(f"Migrating the restored data to this release failed: {error}") from None


def _mark(location: str, verified: str) -> None:
    Backup.objects.filter(location=location).update(verified=verified, verified_at=timezone.now())


def _audit(organization: Organization, action: str, data: dict[str, Any], actor: Any = None) -> None:
    from chat2chart.core import hooks

    with schema_context(organization.schema_name):
        hooks.record_audit(
            action=action, actor=actor, target_type="organization", target_id=organization.pk, data=data
        )


@_in_public_schema
def backup_verify(*, backup: Backup) -> Backup:
    """Check a stored archive without restoring it: its SHA-256 against the record, then decrypt and
    unpack it to staging, checking the manifest signature and every member's checksum. Records the
    outcome on `backup` (verified or failed) and returns it; raises nothing for a bad archive."""
    with _staging() as folder:
        try:
            local = storage.fetch(backup.location, folder)
            if archive.sha256_file(local) != backup.sha256:
                raise archive.ArchiveError("the stored archive's checksum differs from the record")
            archive.unpack(
                local, folder / "unpacked", signing_key=_signing_key(), encryption_key=_encryption_key()
            )
        except (archive.ArchiveError, FileNotFoundError):
            outcome = Backup.Verified.FAILED
        else:
            outcome = Backup.Verified.VERIFIED
    _mark(backup.location, outcome)
    backup.refresh_from_db()
    return backup
