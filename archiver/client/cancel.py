"""Cancelling a request in flight: shut its socket down from a watcher thread.

A cancel must stop a job within a second (docs/fault-cases.md case 38), but a read blocked on a slow
archive only returns at its 60-120 s timeout. So every connection a session opens is remembered,
and while a request runs a watcher shuts those sockets down as soon as the cancel event is set:
the blocked read fails at once and the session turns the failure into CancelledError.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

POLL = 0.05  # seconds between looks at the cancel event


class SocketTracker:
    """The live sockets of one session."""

    def __init__(self) -> None:
        self._socks: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.aborted = False  # set by a cancel until the next request starts

    def add(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._socks.add(sock)
                aborted = self.aborted
            if aborted:  # made after the cancel (the next address of a host): cut it at once
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _pool_classes(tracker: SocketTracker) -> dict[str, type[HTTPConnectionPool]]:
    class Conn(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _tracked_conn(self, tracker)

        def connect(self) -> None:
            super().connect()
            tracker.add(self.sock)

    class SecureConn(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _tracked_conn(self, tracker)

        def connect(self) -> None:
            super().connect()
            tracker.add(self.sock)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConn

    return {"http": Pool, "https": SecurePool}


def _tracked_conn(conn: HTTPConnection, tracker: SocketTracker) -> socket.socket:
    """urllib3's ``HTTPConnection._new_conn`` (urllib3 2.x), with each socket tracked as soon as it
    exists: a connect that hangs (dropped SYNs, as a firewall block does) is then aborted by a
    cancel within a second, not at its connect timeout. DNS resolution itself cannot be aborted."""
    try:
        sock = _create_connection(
            (conn._dns_host, conn.port), conn.timeout, conn.source_address, conn.socket_options, tracker
        )
    except socket.gaierror as e:
        raise NameResolutionError(conn.host, conn, e) from e
    except TimeoutError as e:
        raise ConnectTimeoutError(
            conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
        ) from e
    except OSError as e:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {e}") from e
    sys.audit("http.client.connect", conn, conn.host, conn.port)
    return sock


def _create_connection(
    address: tuple[str, int],
    timeout: Any,
    source_address: tuple[str, int] | None,
    socket_options: Any,
    tracker: SocketTracker,
) -> socket.socket:
    """``urllib3.util.connection.create_connection``, telling ``tracker`` of each socket before its
    connect."""
    host, port = address
    if host.startswith("["):
        host = host.strip("[]")
    err: OSError | None = None
    for af, socktype, proto, _name, sa in socket.getaddrinfo(
        host, port, allowed_gai_family(), socket.SOCK_STREAM
    ):
        sock = None
        if tracker.aborted:  # cancelled while an earlier address hung: try no other
            raise OSError("cancelled")
        try:
            sock = socket.socket(af, socktype, proto)
            tracker.add(sock)
            for opt in socket_options or ():
                sock.setsockopt(*opt)
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sa)
            return sock
        except OSError as exc:
            err = exc
            if sock is not None:
                sock.close()
    if err is not None:
        raise err
    raise OSError("getaddrinfo returns an empty list")


class TrackingAdapter(HTTPAdapter):
    """requests' adapter with no urllib3 retries, whose connections (direct, or through an HTTP
    proxy) can be aborted."""

    def __init__(self, tracker: SocketTracker) -> None:
        self._tracker = tracker
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._tracker)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if proxy.lower().startswith(("http://", "https://")):  # (SOCKS managers make their own)
            manager.pool_classes_by_scheme = _pool_classes(self._tracker)
        return manager


@contextlib.contextmanager
def watch(cancel: threading.Event | None, tracker: SocketTracker) -> Iterator[None]:
    """While the block runs, abort the session's sockets as soon as ``cancel`` is set."""
    if cancel is None:
        yield
        return
    tracker.aborted = False
    done = threading.Event()

    def watcher() -> None:
        while not done.is_set():
            if cancel.wait(POLL):
                if not done.is_set():
                    tracker.abort()
                return

    thread = threading.Thread(target=watcher, name="policydiff-cancel-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
