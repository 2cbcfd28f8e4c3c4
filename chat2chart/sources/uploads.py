# SPDX-License-Identifier: MIT
"""Uploads to the sources API: every file streamed to disk with the size limit enforced while reading,
before anything (CSRF included) reads the request body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.views import APIView

from chat2chart.core.errors import AiserError

_MULTIPART_SLACK = 1024 * 1024  # room for the form's other fields and boundaries


class UploadTooLarge(AiserError):
    code = "too_large"
    status = 413


def _upload_limit_message() -> str:
    return f"The file is larger than the upload limit of {settings.AISER_MAX_UPLOAD_MB} MB."


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams every uploaded file to disk and stops past the upload limit."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_bytes = settings.AISER_MAX_UPLOAD_MB * 1024 * 1024
        self.received = 0

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        if content_length and content_length > self.max_bytes + _MULTIPART_SLACK:
            raise UploadTooLarge(_upload_limit_message())

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            raise UploadTooLarge(_upload_limit_message())
        return super().receive_data_chunk(raw_data, start)


class UploadingView(APIView):
    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body (session authentication's CSRF check does).
        request.upload_handlers = [CappedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)


def upload_name(upload: Any) -> str:
    return Path(upload.name or "upload").name[:255] or "upload"


def upload_path(upload: Any) -> Path:
    # CappedUploadHandler only makes files on disk.
    return Path(upload.temporary_file_path())
