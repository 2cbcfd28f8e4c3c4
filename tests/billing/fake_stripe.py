# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""A fake Stripe for billing tests: localstripe (a stateful fake Stripe server) behind a small threaded
proxy that serves what localstripe lacks.

The proxy answers billing meters (`/v1/billing/meter_events`, `/v1/billing/meters`, event summaries,
deduplicating meter events by identifier as Stripe does), Checkout sessions and their hosted page, and
customer portal sessions; everything else goes to localstripe. localstripe predates Prices, so the proxy
renames `price` to `plan` in subscription items (a Stripe plan id is a valid price id) and drops
`proration_behavior`, which localstripe refuses; requests are logged so tests can check what was asked.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe

WEBHOOK_SECRET = "whsec_test_billing"  # noqa: S105 - a test secret
SECRET_KEY = "sk_test_billing"  # noqa: S105 - a test secret


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, as Stripe computes it."""
    timestamp = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


_event_ids = itertools.count(1)


def event(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> bytes:
    """A Stripe event body around `obj` (its id is new each call)."""
    body = {
        "id": f"evt_test_{next(_event_ids)}_{secrets.token_hex(4)}",
        "object": "event",
        "type": event_type,
        "created": created if created is not None else int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


@dataclass
class FakeStripe:
    """The proxy's state: meter events, sessions, the request log, and failure switches."""

    localstripe: str
    url: str = ""
    meter_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter_calls: int = 0
    # "none", "every_other" (refuse every other meter call), or "lose_every_other" (record it, then
    # answer 500 as if the answer was lost on the way back).
    meter_failure: str = "none"
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    webhook_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.meter_events.clear()
            self.sessions.clear()
            self.requests.clear()
            self.meter_calls, self.meter_failure, self.webhook_url = 0, "none", ""

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url}, max_network_retries=0)

    def metered(self, customer: str, event_name: str) -> int:
        """Units Stripe holds for the customer and meter (what an invoice would bill)."""
        return sum(
            int(e["payload"]["value"])
            for e in self.meter_events.values()
            if e["payload"]["stripe_customer_id"] == customer and e["event_name"] == event_name
        )

    def complete_checkout(self, session_id: str) -> bytes:
        """What paying on the hosted page does: a card, a subscription in localstripe, and the signed
        `checkout.session.completed` event body (returned; also posted to `webhook_url` when set)."""
        session = self.sessions[session_id]
        client = self.client()
        card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        method = client.v1.payment_methods.create({"type": "card", "card": card})
        client.v1.payment_methods.attach(method.id, {"customer": session["customer"]})
        client.v1.customers.update(
            session["customer"], {"invoice_settings": {"default_payment_method": method.id}}
        )
        subscription = client.v1.subscriptions.create(
            {
                "customer": session["customer"],
                "items": [{"price": session["price"]}],
                "metadata": session["subscription_metadata"],
            }
        )
        obj = {
            "id": session_id,
            "object": "checkout.session",
            "customer": session["customer"],
            "subscription": subscription.id,
            "client_reference_id": session["client_reference_id"],
            "metadata": session["metadata"],
        }
        body = event("checkout.session.completed", obj)
        if self.webhook_url:
            request = urllib.request.Request(  # noqa: S310 - the test's own server
                self.webhook_url, data=body, headers={"Stripe-Signature": sign(body)}, method="POST"
            )
            urllib.request.urlopen(request, timeout=10).read()  # noqa: S310
        return body


def _flat(form: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[-1] for key, values in form.items()}


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> tuple[bytes, dict[str, list[str]]]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return raw, urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)

        def do_GET(self) -> None:  # noqa: N802
            path, _, query = self.path.partition("?")
            fake.requests.append(("GET", path, urllib.parse.parse_qs(query)))
            if path == "/v1/billing/meters":
                names = {e["event_name"] for e in fake.meter_events.values()} | set(_meter_names())
                meters = [
                    {"id": f"mtr_{name}", "object": "billing.meter", "event_name": name} for name in names
                ]
                return self._send(200, {"object": "list", "data": meters, "has_more": False, "url": path})
            if path.startswith("/v1/billing/meters/") and path.endswith("/event_summaries"):
                return self._summaries(
                    path.split("/")[4].removeprefix("mtr_"), _flat(urllib.parse.parse_qs(query))
                )
            if path.startswith("/checkout/"):
                return self._checkout_page(path.split("/")[2])
            return self._forward("GET", self.path, b"")

        def do_POST(self) -> None:  # noqa: N802
            raw, form = self._form()
            fake.requests.append(("POST", self.path, form))
            if self.path == "/v1/billing/meter_events":
                return self._meter_event(_flat(form))
            if self.path == "/v1/checkout/sessions":
                return self._checkout_session(_flat(form))
            if self.path == "/v1/billing_portal/sessions":
                url = f"{fake.url}/portal/{secrets.token_hex(6)}"
                return self._send(200, {"id": "bps_1", "object": "billing_portal.session", "url": url})
            if self.path.startswith("/checkout/") and self.path.endswith("/pay"):
                session = fake.sessions[self.path.split("/")[2]]
                fake.complete_checkout(session["id"])
                self.send_response(303)
                self.send_header("Location", session["success_url"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if self.path.startswith("/v1/subscriptions"):
                form = {
                    k.replace("[price]", "[plan]"): v for k, v in form.items() if k != "proration_behavior"
                }
                raw = urllib.parse.urlencode(form, doseq=True).encode()
            return self._forward("POST", self.path, raw)

        def do_DELETE(self) -> None:  # noqa: N802
            fake.requests.append(("DELETE", self.path, {}))
            return self._forward("DELETE", self.path, b"")

        def _forward(self, method: str, path: str, body: bytes) -> None:
            headers = {
                key: value
                for key, value in self.headers.items()
                if key.lower() in {"authorization", "content-type"}
            }
            request = urllib.request.Request(  # noqa: S310 - loopback localstripe
                fake.localstripe + path, data=body or None, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    status, data = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, data = error.code, error.read()
            if method == "GET" and path.startswith("/v1/invoices") and status == 200:
                data = _with_pdf_links(data, fake.url)
            self._send(status, data)

        def _meter_event(self, form: dict[str, str]) -> None:
            with fake.lock:
                fake.meter_calls += 1
                failing = fake.meter_calls % 2 == 1 and fake.meter_failure != "none"
                if failing and fake.meter_failure == "every_other":
                    return self._send(500, {"error": {"type": "api_error", "message": "fake outage"}})
                identifier = form["identifier"]
                fake.meter_events.setdefault(
                    identifier,
                    {
                        "identifier": identifier,
                        "event_name": form["event_name"],
                        "timestamp": int(form["timestamp"]),
                        "payload": {
                            "stripe_customer_id": form["payload[stripe_customer_id]"],
                            "value": form["payload[value]"],
                        },
                    },
                )
                if failing:  # recorded, but the answer is "lost"
                    return self._send(500, {"error": {"type": "api_error", "message": "fake lost answer"}})
            return self._send(200, {"object": "billing.meter_event", **fake.meter_events[identifier]})

        def _summaries(self, event_name: str, query: dict[str, str]) -> None:
            start, end = int(query["start_time"]), int(query["end_time"])
            total = sum(
                int(e["payload"]["value"])
                for e in fake.meter_events.values()
                if e["event_name"] == event_name
                and e["payload"]["stripe_customer_id"] == query["customer"]
                and start <= e["timestamp"] < end
            )
            summary = {"id": "mtrsum_1", "object": "billing.meter_event_summary", "aggregated_value": total}
            return self._send(200, {"object": "list", "data": [summary], "has_more": False, "url": "/"})

        def _checkout_session(self, form: dict[str, str]) -> None:
            session_id = f"cs_test_{secrets.token_hex(8)}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"{fake.url}/checkout/{session_id}",
                "customer": form["customer"],
                "price": form["line_items[0][price]"],
                "client_reference_id": form.get("client_reference_id", ""),
                "success_url": form["success_url"],
                "cancel_url": form["cancel_url"],
                "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                "subscription_metadata": {
                    k[len("subscription_data[metadata][") : -1]: v
                    for k, v in form.items()
                    if k.startswith("subscription_data[metadata][")
                },
                "mode": form["mode"],
            }
            fake.sessions[session_id] = session
            return self._send(200, {k: v for k, v in session.items() if k != "price"})

        def _checkout_page(self, session_id: str) -> None:
            session = fake.sessions.get(session_id)
            if session is None:
                return self._send(404, b"no such session", "text/plain")
            page = (
                '<!doctype html><title>Fake Checkout</title><link rel="icon" href="data:,">'
                "<h1>Pay for your subscription</h1>"
                f'<form method="post" action="/checkout/{session_id}/pay"><button>Subscribe</button></form>'
            )
            return self._send(200, page.encode(), "text/html")

    return Handler


def _meter_names() -> list[str]:
    from django.conf import settings

    return list(settings.AISER_BILLING_METERS.values())


def _with_pdf_links(data: bytes, base: str) -> bytes:
    # Stripe gives every finalised invoice a PDF address; localstripe leaves it out.
    body = json.loads(data)
    for invoice in body.get("data", []):
        invoice.setdefault("invoice_pdf", None)
        invoice["invoice_pdf"] = invoice["invoice_pdf"] or f"{base}/invoices/{invoice['id']}.pdf"
    return json.dumps(body).encode()


def serve(fake: FakeStripe) -> Callable[[], None]:
    """Start the proxy on a free loopback port (sets `fake.url`); returns the function that stops it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return stop
