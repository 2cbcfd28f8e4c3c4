# SPDX-License-Identifier: MIT
"""Fixtures for the file-data plane: uploads written in code (no binary blobs in the repo) and
an output directory for the Parquet files ingestion writes."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from tests.sources.fixtures_s3 import moto_endpoint, s3  # noqa: F401 - fixtures for the object storage tests


@pytest.fixture
def upload(tmp_path: Path) -> Callable[..., Path]:
    """Write an uploaded file: text (with an encoding) or raw bytes, under the name the user gave."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = uploads / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "tables"
    path.mkdir()
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Callable[..., Path]:
    """Build an .xlsx from {sheet title: rows} with openpyxl, as Excel would save it."""

    def build(name: str, sheets: dict[str, list[list[object]]]) -> Path:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, rows in sheets.items():
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        path = tmp_path / name
        book.save(path)
        return path

    return build


@pytest.fixture
def rewrite_zip_entry(tmp_path: Path) -> Callable[[Path, str, bytes], Path]:
    """Copy a workbook with one part replaced, to plant hostile XML or a huge entry in it."""

    def rewrite(source: Path, entry: str, data: bytes) -> Path:
        target = tmp_path / f"tampered-{source.name}"
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
            for item in original.infolist():
                if item.filename != entry:
                    copy.writestr(item, original.read(item.filename))
            copy.writestr(entry, data)
        return target

    return rewrite
