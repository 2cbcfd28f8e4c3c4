# SPDX-License-Identifier: MIT
"""A REST source: fetch JSON records from a user's API, page by page, within hard limits.

Requests go through httpx with a transport whose every connection dials the IP that netsafety
vetted for its host (TLS still verifies the name). Redirects are followed by hand and vetted
again; the user's headers go only to the origin of the source's URL; size and time are capped.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpcore
import httpx
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
# Query parameters whose values are credentials in the wild (api_key, access_token, sig, ...).
_SECRET_PARAM = re.compile(r"key|token|secret|passw|pwd|sig|auth|credential|session", re.IGNORECASE)
# Settings that decide which URLs are requested: changing one needs the headers entered again.
_DESTINATION_SETTINGS = ("pagination", "next_path")


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

    `timeout_s` bounds the fetch (each request gets what is left of it) and `max_bytes` all
    bodies together. `spec.headers` are sent only to the origin of `spec.url`, never to a
    next-page link or a redirect elsewhere. `resolve` has the signature of
    netsafety.resolve_public_address; tests inject one to play DNS. Raises ConnectionFailed
    (network, HTTP status, limits) or IngestError (the body is not the records expected).
    """
    records: list[dict[str, Any]] = []
    url: str | None = (
        _page_url(spec.url, spec.page_param, spec.start_page) if spec.pagination == "page" else spec.url
    )
    seen: set[str] = set()
    with _Fetcher(
        allow_private=allow_private,
        deadline=time.monotonic() + timeout_s,
        budget=max_bytes,
        resolve=resolve,
        headers=spec.headers,
        headers_origin=origin(spec.url),
    ) as fetcher:
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
                url = (
                    _page_url(spec.url, spec.page_param, spec.start_page + page + 1) if page_records else None
                )
            else:
                url = _next_link(spec, document, link_header, final_url)
    return records


def destination_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The settings that differ between two REST configurations and change where requests go."""
    changed = ["url"] if origin(str(before.get("url", ""))) != origin(str(after.get("url", ""))) else []
    return changed + [name for name in _DESTINATION_SETTINGS if before.get(name) != after.get(name)]


def redact_url(url: str) -> str:
    """`url` with the values of credential-like query parameters (api_key, token, sig...) masked."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (name, "***" if value and _SECRET_PARAM.search(name) else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="*"), parts.fragment))


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of `url`, with the scheme's default port filled in."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or "").lower(), port or (443 if parts.scheme == "https" else 80)


class _VettedNetwork(httpcore.NetworkBackend):
    """httpcore's socket layer, except that each TCP connection dials the address netsafety vetted."""

    def __init__(self, resolve: Resolver, allow_private: bool) -> None:
        self._resolve = resolve
        self._allow_private = allow_private
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._resolve(host, port, allow_private=self._allow_private)
        return self._sockets.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise ConnectionFailed("REST sources connect over TCP only")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class _VettedTransport(httpx.HTTPTransport):
    """httpx's transport over a pool whose connections dial only vetted addresses; no proxies."""

    def __init__(self, resolve: Resolver, allow_private: bool) -> None:
        context = ssl.create_default_context()
        super().__init__(verify=context, trust_env=False)
        # httpx has no public setting for the network backend; its pool (httpcore's) has one.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context, network_backend=_VettedNetwork(resolve, allow_private)
        )


def vetted_transport(
    *, allow_private: bool, resolve: Resolver = resolve_public_address
) -> httpx.HTTPTransport:
    """An httpx transport whose every connection dials only an address netsafety vetted (no proxies);
    used by other outbound calls on a tenant's behalf (webhooks). Refusals raise ConnectionFailed."""
    return _VettedTransport(resolve, allow_private)


class _Fetcher:
    def __init__(
        self,
        *,
        allow_private: bool,
        deadline: float,
        budget: int,
        resolve: Resolver,
        headers: dict[str, str],
        headers_origin: tuple[str, str, int],
    ) -> None:
        self.deadline = deadline
        self.budget = budget
        self.headers = headers
        self.headers_origin = headers_origin
        # trust_env=False: a proxy from the environment would dial hosts netsafety never saw.
        self.client = httpx.Client(
            transport=_VettedTransport(resolve, allow_private), trust_env=False, follow_redirects=False
        )

    def __enter__(self) -> _Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(self, url: str) -> tuple[str, str | None, bytes]:
        """GET `url`, following redirects; returns the final URL, its Link header and its body."""
        for _ in range(MAX_REDIRECTS + 1):
            # Credentials in the user's headers go only to the origin of the source's URL.
            headers = self.headers if origin(url) == self.headers_origin else {}
            status, response_headers, body = self._request(url, headers)
            if status in _REDIRECTS:
                location = response_headers.get("location")
                if not location:
                    raise ConnectionFailed(f"{redact_url(url)} answered with a redirect but no Location")
                url = urljoin(url, location)
                try:
                    _check_url(url)
                except ValueError as exc:
                    raise ConnectionFailed(f"refusing to follow a redirect: {exc}") from None
                continue
            if not 200 <= status < 300:
                raise ConnectionFailed(
                    f"{redact_url(url)} answered HTTP {status}; check the URL and the headers"
                )
            return url, response_headers.get("link"), body
        raise ConnectionFailed(
            f"{redact_url(url)} redirected more than {MAX_REDIRECTS} times; use the final URL"
        )

    def _request(self, url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        request = self.client.build_request(
            "GET", url, headers={"Accept": "application/json", **headers}, timeout=self._remaining(url)
        )
        try:
            response = self.client.send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS:
                    return response.status_code, response.headers, b""
                return response.status_code, response.headers, self._read(response, url)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise ConnectionFailed(self._timed_out(url)) from None
        except httpx.HTTPError as exc:
            raise ConnectionFailed(f"could not fetch {redact_url(url)}: {exc}") from None

    def _read(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.budget:
            raise ConnectionFailed(self._too_big(url))
        chunks: list[bytes] = []
        # Decoded bytes are counted, so a compressed bomb stops like a plain oversized body. The
        # deadline is checked between reads; each read is bounded by the request's timeout.
        for chunk in response.iter_bytes(_CHUNK):
            self.budget -= len(chunk)
            if self.budget < 0:
                raise ConnectionFailed(self._too_big(url))
            chunks.append(chunk)
            self._remaining(url)
        return b"".join(chunks)

    def _remaining(self, url: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ConnectionFailed(self._timed_out(url))
        return left

    def _timed_out(self, url: str) -> str:
        return f"{redact_url(url)} did not answer in time; the fetch was stopped"

    def _too_big(self, url: str) -> str:
        where = redact_url(url)
        return (
            f"the response from {where} is larger than the size limit; narrow the request or page through it"
        )


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError("put credentials in a header, not in the URL")


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


def fetch_document(
    url: str,
    *,
    allow_private: bool,
    timeout_s: float,
    max_bytes: int,
    resolve: Resolver = resolve_public_address,
) -> bytes:
    """The body of one GET of `url` (http or https), with the same guard as REST sources: every
    connection dials only a vetted public address (unless `allow_private`), redirects are vetted
    again, at most `max_bytes` in `timeout_s` seconds. Raises ConnectionFailed."""
    try:
        _check_url(url)
    except ValueError as exc:
        raise ConnectionFailed(str(exc)) from None
    with _Fetcher(
        allow_private=allow_private,
        deadline=time.monotonic() + timeout_s,
        budget=max_bytes,
        resolve=resolve,
        headers={},
        headers_origin=origin(url),
    ) as fetcher:
        return fetcher.get(url)[2]
