# SPDX-License-Identifier: MIT
"""Secrets at rest (database passwords, REST headers, embedding secrets), Fernet-encrypted.

`AISER_FERNET_KEYS` is a list: the first key encrypts, every key decrypts, so keys rotate by
putting a new one first and re-encrypting (`manage.py rotate_secrets`).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from chat2chart.core.errors import AiserError


class SecretUnreadable(AiserError):
    code = "secret_unreadable"
    status = 500


def _fernet() -> MultiFernet:
    keys = settings.AISER_FERNET_KEYS
    if not keys:
        raise SecretUnreadable("No encryption key is configured (AISER_FERNET_KEYS).")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_secret(values: dict[str, Any]) -> bytes | None:
    """The token for `values` (e.g. {"password": ...}); None when there is nothing to keep."""
    if not values:
        return None
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode())


def decrypt_secret(token: bytes | memoryview | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(bytes(token)))
    except InvalidToken:
        raise SecretUnreadable(
            "The stored credentials cannot be decrypted with the configured keys; "
            "enter the password again or restore the old key in AISER_FERNET_KEYS."
        ) from None


def rotate_secret(token: bytes | memoryview | None) -> bytes | None:
    """The same secret encrypted with the first key (raises SecretUnreadable if no key reads it)."""
    if not token:
        return None
    try:
        return _fernet().rotate(bytes(token))
    except InvalidToken:
        raise SecretUnreadable("A stored secret cannot be decrypted with any configured key.") from None
