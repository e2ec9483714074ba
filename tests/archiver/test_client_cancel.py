"""Cancelling a request stops it within a second (docs/fault-cases.md cases 8, 38), also while its
TCP connect hangs and behind an HTTP proxy."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from client_support import RawServer, manual_session, stall

from archiver.errors import CancelledError


@pytest.fixture
def port_that_never_accepts() -> Iterator[int]:
    """A listening socket whose accept queue is full: further SYNs are dropped, as a firewall does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    time.sleep(0.2)  # the kernel queues the fillers (not a rate-limit wait)
    yield port
    for s in fillers:
        s.close()
    listener.close()


def test_a_cancel_aborts_a_connect_that_hangs(port_that_never_accepts: int) -> None:
    session, _ = manual_session()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        session.request(
            f"http://127.0.0.1:{port_that_never_accepts}/cdx/search/cdx", group="listing", cancel=cancel
        )
    assert time.monotonic() - started < 1.5  # not the 10 s connect timeout


def test_a_cancel_is_not_undone_by_the_next_address_of_a_host(
    port_that_never_accepts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host with two addresses (IPv6 and IPv4, or several A records): the connect to the second
    one, tried after the cancel cut the first, is not left to run to its timeout."""
    real = socket.getaddrinfo

    def two_addresses(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        if host == "archive.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port)),
            ]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    session, _ = manual_session()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        session.request(f"http://archive.test:{port_that_never_accepts}/cdx", group="listing", cancel=cancel)
    assert time.monotonic() - started < 1.5


def test_a_cancel_aborts_a_request_behind_an_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = RawServer([], default=stall)  # the proxy takes the request; the archive never answers
    monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session, _ = manual_session()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    try:
        with pytest.raises(CancelledError):
            session.request(
                "http://web.archive.org.invalid/cdx/search/cdx",
                group="listing",
                cancel=cancel,
                read_timeout=8.0,
            )
        assert time.monotonic() - started < 1.5  # not the 8 s read timeout
        assert proxy.connections == 1  # the request did go to the proxy
    finally:
        proxy.close()
