# SPDX-License-Identifier: MIT
"""Production refuses to start with debug pages on."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "AISER_ENV": "production",
    "SECRET_KEY": "x" * 24 + "-a-long-random-production-secret-key-value",
    "AISER_FERNET_KEYS": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Zm8=",
    "AISER_BASE_DOMAIN": "aiser.example.com",
}


def _check(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "AISER_ENV", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_true_refuses_to_start_in_production():
    result = _check(DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_production_starts_with_debug_off():
    result = _check(DEBUG="false")
    assert result.returncode == 0, result.stderr
