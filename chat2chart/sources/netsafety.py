# SPDX-License-Identifier: MIT
"""Vet the host of a user-supplied connection before Aiser dials it.

Resolves the name once, refuses private and otherwise non-public addresses, and hands back the
IP the caller must connect to, so a second DNS answer (rebinding) can never redirect the socket.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from chat2chart.core.errors import ConnectionFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
GetAddrInfo = Callable[..., list[tuple[Any, ...]]]

# Names that always mean "this machine or this network", whatever a resolver says about them.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def resolve_public_address(
    host: str,
    port: int,
    *,
    allow_private: bool,
    getaddrinfo: GetAddrInfo = socket.getaddrinfo,
) -> str:
    """Resolve `host` and return the one IP address the caller must connect to.

    Every address the name resolves to must be public unless `allow_private`; otherwise a
    hostile DNS record could mix a public and a private answer. `getaddrinfo` is injectable
    so tests can play a resolver.
    """
    name = host.strip().rstrip(".").lower()
    if not name:
        raise ConnectionFailed("the host name is empty; enter the server's host name or IP address")
    if not allow_private and _is_local_name(name):
        raise ConnectionFailed(f"host {host} is a local name; private addresses are not allowed")
    addresses = _resolve(name, port, getaddrinfo)
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise ConnectionFailed(
                    f"host {host} resolves to a private address; private addresses are not allowed"
                )
    return str(addresses[0])


def is_public_address(address: IPAddress) -> bool:
    """True when `address` is routable on the public internet (and so safe to dial for a tenant)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    flags = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(flags)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # An IPv6 form that the kernel or a gateway turns back into an IPv4 destination.
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_local_name(name: str) -> bool:
    return name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES)


def _resolve(name: str, port: int, getaddrinfo: GetAddrInfo) -> list[IPAddress]:
    literal = _parse_ip(name.strip("[]"))
    if literal is not None:
        return [literal]
    try:
        infos = getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ConnectionFailed(f"could not resolve host {name}; check the host name") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = _parse_ip(str(info[4][0]))
        if address is None:
            raise ConnectionFailed(f"host {name} resolved to an address Aiser cannot use")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ConnectionFailed(f"could not resolve host {name}; check the host name")
    return addresses


def _parse_ip(text: str) -> IPAddress | None:
    # A scope id ("fe80::1%eth0") names an interface, not a different address.
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
