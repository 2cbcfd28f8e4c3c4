# SPDX-License-Identifier: MIT
"""A TCP proxy on loopback that a test switches between passing, dropping and black-holing traffic.

Fault tests point a dependency (the platform database, Redis, a customer database) at the proxy
instead of the real server, cut it, check what Aiser does, then restore it and check that Aiser
recovers without a restart:

    with FaultProxy("127.0.0.1", 5432) as proxy:
        ...  # connect to 127.0.0.1:proxy.port
        proxy.drop()      # open connections are cut; new ones are closed as soon as they arrive
        proxy.hang()      # connections stay open but nothing is forwarded either way
        proxy.restore()   # traffic flows again

Every socket operation has a timeout and every thread is a daemon that stops when the proxy closes,
so a test that forgets to restore cannot hang the suite.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any, Literal

Mode = Literal["pass", "drop", "hang"]
POLL_S = 0.1


class FaultProxy:
    """Forwards 127.0.0.1:<port> to `upstream_host:upstream_port` while its mode is "pass"."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "pass"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL_S)
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._thread.start()

    # --- switches --------------------------------------------------------------------------------

    def drop(self) -> None:
        """Cut every open connection and close new ones as soon as they are accepted."""
        self.mode = "drop"
        self._cut_all()

    def hang(self) -> None:
        """Keep connections open but forward nothing: the peer waits until its own timeout."""
        self.mode = "hang"

    def restore(self) -> None:
        """Forward traffic again. Connections that were hanging are cut, as a real network
        partition that heals would leave them broken; clients reconnect."""
        self.mode = "pass"
        self._cut_all()

    def close(self) -> None:
        self._stopped.set()
        self._cut_all()
        self._listener.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------------------------

    def _cut_all(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode == "drop":
                _close(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        try:
            self._pump(client, upstream)
        finally:
            with self._lock:
                self._open.difference_update((client, upstream))
            _close(client)
            _close(upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        while not self._stopped.is_set():
            try:
                readable, _, _ = select.select(list(peers), [], [], POLL_S)
            except (OSError, ValueError):  # a socket was closed by a switch
                return
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if self.mode == "hang":
                    continue  # swallowed: the other side never hears of it
                try:
                    peers[sock].sendall(data)
                except OSError:
                    return


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
