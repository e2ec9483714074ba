"""Cancelling a request in flight: shut its socket down from a watcher thread.

A cancel must stop a job within a second (PROTOCOLS.md §8.3 case 38), but a read blocked on a slow
archive only returns at its 60-120 s timeout. So every connection a session opens is remembered,
and while a request runs a watcher shuts those sockets down as soon as the cancel event is set:
the blocked read fails at once and the session turns the failure into CancelledError.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

POLL = 0.05  # seconds between looks at the cancel event


class SocketTracker:
    """The live sockets of one session."""

    def __init__(self) -> None:
        self._socks: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._socks.add(sock)

    def abort(self) -> None:
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _pool_classes(tracker: SocketTracker) -> dict[str, type[HTTPConnectionPool]]:
    class Conn(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            tracker.add(self.sock)

    class SecureConn(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            tracker.add(self.sock)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConn

    return {"http": Pool, "https": SecurePool}


class TrackingAdapter(HTTPAdapter):
    """requests' adapter with no urllib3 retries, whose direct connections can be aborted."""

    def __init__(self, tracker: SocketTracker) -> None:
        self._tracker = tracker
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._tracker)


@contextlib.contextmanager
def watch(cancel: threading.Event | None, tracker: SocketTracker) -> Iterator[None]:
    """While the block runs, abort the session's sockets as soon as ``cancel`` is set."""
    if cancel is None:
        yield
        return
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
