# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Billing fixtures: localstripe started once per session on a free loopback port, the fake-Stripe proxy in
front of it (tests/billing/fake_stripe.py), and Stripe settings pointing the real `stripe` library at it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.billing.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, serve

# Billing is enterprise code: the core edition has none of it to import.
collect_ignore_glob = [] if settings.ENTERPRISE else ["test_*.py"]

PRICES = {"team": 4_900, "business": 29_900}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _localstripe_command() -> str:
    found = Path(sys.executable).with_name("localstripe")
    return str(found) if found.exists() else (shutil.which("localstripe") or "localstripe")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The address of a localstripe server started for this session (stopped at its end)."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "localstripe.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own fake
        [_localstripe_command(), "--port", str(port), "--from-scratch"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = urllib.request.Request(  # noqa: S310 - loopback
                    f"{url}/v1/customers", headers={"Authorization": f"Bearer {SECRET_KEY}"}
                )
                urllib.request.urlopen(probe, timeout=1).read()  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"localstripe did not start; see {log.name}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def fake_stripe_server(localstripe: str) -> Any:
    fake = FakeStripe(localstripe=localstripe)
    stop = serve(fake)
    client = fake.client()
    product = client.v1.products.create({"name": "Aiser"})
    for slug, cents in PRICES.items():
        client.v1.plans.create(
            {
                "id": f"price_{slug}",
                "product": product.id,
                "amount": cents,
                "currency": "usd",
                "interval": "month",
            }
        )
    yield fake
    stop()


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe, settings: Any, db: None) -> FakeStripe:
    """Billing on, the `stripe` library talking to the fake, and paid plans priced in it."""
    from enterprise.billing.models import Plan

    fake_stripe_server.reset()
    settings.AISER_BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe_server.url
    for slug in PRICES:
        Plan.objects.filter(slug=slug).update(stripe_price_id=f"price_{slug}")
    return fake_stripe_server
