# SPDX-License-Identifier: MIT
"""A REST source: fetch JSON records from a user's API, page by page, within hard limits.

Each request dials the IP that netsafety vetted for its host (TLS still verifies the name),
redirects are followed by hand and vetted again, and size and time are capped while reading.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from chat2chart.core.errors import ConnectionFailed, IngestError
from chat2chart.sources.netsafety import resolve_public_address

Resolver = Callable[..., str]

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_LINK_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel=\"?next\"?", re.IGNORECASE)


class RestSpec(BaseModel):
    """Where the records are and how to page through them."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    url: StrictStr
    headers: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    records_path: StrictStr = ""  # dot path to the list of records; "" when the body is the list
    pagination: Literal["none", "link", "page"] = "none"
    next_path: StrictStr | None = None  # link pagination: dot path to the next URL; else the Link header
    page_param: StrictStr = "page"  # page pagination: the query parameter holding the page number
    start_page: int = 1
    page_cap: int = Field(default=20, ge=1, le=100)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        _check_url(value)
        return value

    @field_validator("headers")
    @classmethod
    def _plain_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is not allowed")
            if re.search(r"[\r\n\x00]", text):
                raise ValueError(f"header {name!r} must be on one line")
        return value


def fetch_records(
    spec: RestSpec,
    *,
    allow_private: bool,
    timeout_s: float,
    max_bytes: int,
    resolve: Resolver = resolve_public_address,
) -> list[dict[str, Any]]:
    """All records the API returns for `spec`, across at most `page_cap` pages.

    `timeout_s` bounds the whole fetch and `max_bytes` all bodies together. `resolve` has the
    signature of netsafety.resolve_public_address; tests inject one to play DNS.
    """
    fetcher = _Fetcher(
        allow_private=allow_private,
        deadline=time.monotonic() + timeout_s,
        budget=max_bytes,
        resolve=resolve,
        headers=spec.headers,
    )
    records: list[dict[str, Any]] = []
    url: str | None = (
        _page_url(spec.url, spec.page_param, spec.start_page) if spec.pagination == "page" else spec.url
    )
    seen: set[str] = set()
    for page in range(spec.page_cap):
        if url is None or url in seen:
            break
        seen.add(url)
        final_url, link_header, body = fetcher.get(url)
        document = _json(body, final_url)
        page_records = _records(document, spec.records_path)
        records.extend(page_records)
        if spec.pagination == "none":
            break
        if spec.pagination == "page":
            url = _page_url(spec.url, spec.page_param, spec.start_page + page + 1) if page_records else None
        else:
            url = _next_link(spec, document, link_header, final_url)
    return records


class _Fetcher:
    def __init__(
        self, *, allow_private: bool, deadline: float, budget: int, resolve: Resolver, headers: dict[str, str]
    ) -> None:
        self.allow_private = allow_private
        self.deadline = deadline
        self.budget = budget
        self.resolve = resolve
        self.headers = headers

    def get(self, url: str) -> tuple[str, str | None, bytes]:
        """GET `url`, following redirects; returns the final URL, its Link header and its body."""
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            # Credentials in the user's headers go only to the origin they were written for.
            headers = self.headers if _origin(url) == origin else {}
            status, response_headers, body = self._request(url, headers)
            if status in _REDIRECTS:
                location = response_headers.get("location")
                if not location:
                    raise ConnectionFailed(f"{url} answered with a redirect but no Location")
                url = urljoin(url, location)
                try:
                    _check_url(url)
                except ValueError as exc:
                    raise ConnectionFailed(f"refusing to follow a redirect: {exc}") from None
                continue
            if not 200 <= status < 300:
                raise ConnectionFailed(f"{url} answered HTTP {status}; check the URL and the headers")
            return url, response_headers.get("link"), body
        raise ConnectionFailed(f"{url} redirected more than {MAX_REDIRECTS} times; use the final URL")

    def _request(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self.resolve(host, port, allow_private=self.allow_private)
        conn = _pinned_connection(parts.scheme, host, port, address, self._remaining(url))
        try:
            path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
            conn.request("GET", path, headers={"Accept": "application/json", **headers})
            response = conn.getresponse()
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            if response.status in _REDIRECTS:
                return response.status, response_headers, b""
            return response.status, response_headers, self._read(conn, response, url)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                raise ConnectionFailed(f"{url} did not answer in time; the fetch was stopped") from None
            raise ConnectionFailed(f"could not fetch {url}: {exc}") from None
        finally:
            conn.close()

    def _read(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, url: str) -> bytes:
        declared = response.getheader("content-length")
        if declared and declared.isdigit() and int(declared) > self.budget:
            raise ConnectionFailed(self._too_big(url))
        chunks: list[bytes] = []
        while True:
            # One socket read at a time, each bounded by what is left of the deadline, so a server
            # dripping bytes cannot stretch the fetch.
            if conn.sock is not None:
                conn.sock.settimeout(self._remaining(url))
            chunk = response.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            self.budget -= len(chunk)
            if self.budget < 0:
                raise ConnectionFailed(self._too_big(url))
            chunks.append(chunk)

    def _remaining(self, url: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ConnectionFailed(f"{url} did not answer in time; the fetch was stopped")
        return left

    def _too_big(self, url: str) -> str:
        return f"the response from {url} is larger than the size limit; narrow the request or page through it"


def _pinned_connection(
    scheme: str, host: str, port: int, address: str, timeout: float
) -> http.client.HTTPConnection:
    """A connection whose Host header and TLS name are `host` but whose socket goes to `address`."""
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def dial(
        _address: tuple[str, int], timeout: float | None = None, source_address: Any = None
    ) -> socket.socket:
        return socket.create_connection((address, port), timeout, source_address)

    conn._create_connection = dial  # type: ignore[attr-defined]  # http.client's hook for the socket
    return conn


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError("put credentials in a header, not in the URL")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _json(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise IngestError(f"{url} did not return JSON; check the URL points at the API") from None


def _records(document: Any, path: str) -> list[dict[str, Any]]:
    found = _at_path(document, path)
    where = f"'{path}'" if path else "the top level"
    if found is _MISSING:
        raise IngestError(f"no records at {where} of the response; check the records path")
    if not isinstance(found, list):
        raise IngestError(f"the value at {where} is not a list of records; check the records path")
    if not all(isinstance(item, dict) for item in found):
        raise IngestError(f"the records at {where} must be JSON objects")
    return found


_MISSING = object()


def _at_path(document: Any, path: str) -> Any:
    current = document
    for key in [k for k in path.split(".") if k]:
        if isinstance(current, dict) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return _MISSING
    return current


def _next_link(spec: RestSpec, document: Any, link_header: str | None, current: str) -> str | None:
    if spec.next_path:
        value = _at_path(document, spec.next_path)
        target = value if isinstance(value, str) and value else None
    else:
        match = _LINK_NEXT.search(link_header or "")
        target = match.group(1) if match else None
    if target is None:
        return None
    url = urljoin(current, target)
    try:
        _check_url(url)
    except ValueError as exc:
        raise IngestError(f"the next page link {target!r} is not usable: {exc}") from None
    return url


def _page_url(url: str, param: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, str(page)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
