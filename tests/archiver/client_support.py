"""Helpers for the web-archive client tests: simulated time, IA-format responses, a raw TCP server.

Everything runs on 127.0.0.1. Time is a ManualClock: the pacer and backoff "sleep" by advancing it.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
from archiver.client.pacer import ManualClock, Pacer
from archiver.client.session import Session
from archiver.timestamps import to_datetime

CDX_PATH = "/cdx/search/cdx"
CDX_HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def manual_session() -> tuple[Session, ManualClock]:
    clock = ManualClock()
    return Session(Pacer(clock=clock)), clock


def ia_endpoint(httpserver: object) -> ArchiveEndpoint:
    return ArchiveEndpoint(httpserver.url_for("/web/"), ArchiveKind.IA)  # type: ignore[attr-defined]


def cdx_json(rows: list[list[str]], resume: str | None = None) -> str:
    """IA CDX output=json: header row, rows, then [] and [resumeKey] when more pages exist."""
    data: list[list[str]] = [CDX_HEADER, *rows]
    if resume:
        data += [[], [resume]]
    return json.dumps(data)


def row(
    ts: str, url: str, status: str = "200", mime: str = "text/html", digest: str = "", length: str = "1000"
) -> list[str]:
    return ["com,example)/privacy", ts, url, mime, status, digest or f"D{ts}", length]


def http_date(ts: str) -> str:
    return format_datetime(to_datetime(ts), usegmt=True)


def memento_headers(ts: str, original: str, **extra: str) -> dict[str, str]:
    """Headers of an IA id_ memento."""
    headers = {
        "Memento-Datetime": http_date(ts),
        "Link": f'<{original}>; rel="original"',
        "X-Archive-Orig-Server": "nginx",
        "X-Archive-Orig-Date": http_date(ts),
        "X-Archive-Src": "crawl-20200101/file-00001.warc.gz",
    }
    headers.update(extra)
    return headers


@dataclass
class RawServer:
    """A bare TCP server: each connection is handled by the next behaviour in ``behaviours``.

    For what an HTTP server framework will not do on purpose: reset connections, bodies shorter
    than their Content-Length, stalls, broken chunking. ``requests`` holds each request line.
    """

    behaviours: list[Callable[[socket.socket], None]]
    default: Callable[[socket.socket], None] | None = None
    connections: int = 0
    requests: list[str] = field(default_factory=list)
    _sock: socket.socket = field(init=False)
    _thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                request = _read_request(conn)
                self.requests.append(request.split(b"\r\n", 1)[0].decode("latin-1"))
                i = self.connections
                self.connections += 1
                handler = self.behaviours[i] if i < len(self.behaviours) else self.default
                if handler is not None:
                    try:
                        handler(conn)
                    except OSError:
                        pass

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def reset(conn: socket.socket) -> None:
    """Close the connection without an answer (RemoteDisconnected / reset)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def respond(
    status: str,
    headers: dict[str, str],
    body: bytes,
    *,
    send: int | None = None,
    content_length: int | None = None,
) -> Callable[[socket.socket], None]:
    """An HTTP/1.1 answer; ``send`` bytes of the body only (truncation), ``content_length`` to lie."""

    def handler(conn: socket.socket) -> None:
        head = [
            f"HTTP/1.1 {status}",
            f"Content-Length: {content_length if content_length is not None else len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        conn.sendall(
            ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body[: send if send is not None else None]
        )

    return handler


def stall(conn: socket.socket) -> None:
    """Answer nothing more; return when the client gives up and closes the connection."""
    conn.settimeout(30)
    while conn.recv(1024):
        pass


def respond_then_stall(
    status: str, headers: dict[str, str], body: bytes, send: int
) -> Callable[[socket.socket], None]:
    """Send the head and ``send`` bytes of the body, then go silent (a stalled transfer)."""

    def handler(conn: socket.socket) -> None:
        respond(status, headers, body, send=send)(conn)
        stall(conn)

    return handler


def respond_chunked(status: str, headers: dict[str, str], raw: bytes) -> Callable[[socket.socket], None]:
    """Transfer-Encoding: chunked with ``raw`` sent as the chunked body, whatever it holds."""

    def handler(conn: socket.socket) -> None:
        head = [f"HTTP/1.1 {status}", "Transfer-Encoding: chunked", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + raw)

    return handler


def chunks(*parts: bytes, end: bool = True) -> bytes:
    """A well-formed chunked body of ``parts`` (without the final empty chunk if not ``end``)."""
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    return body + (b"0\r\n\r\n" if end else b"")


def brotli_stored(data: bytes) -> bytes:
    """A valid brotli stream holding ``data`` in one uncompressed meta-block (RFC 7932 §9.2).

    Any brotli decoder gives ``data`` back; no brotli package is needed to make it.
    """
    assert 0 < len(data) <= 1 << 16
    # bits, least significant first: WBITS=16 (0), ISLAST=0, MNIBBLES=4 (00), MLEN-1 (16 bits),
    # ISUNCOMPRESSED=1, padding to the byte; then the bytes; then an empty last meta-block (11)
    header = ((len(data) - 1) << 4) | (1 << 20)
    return header.to_bytes(3, "little") + data + b"\x03"


def iter_windows(times: list[float], width: float) -> Iterator[int]:
    """For each request time t, how many requests fall in [t, t + width)."""
    for t in times:
        yield sum(1 for u in times if t <= u < t + width)


@dataclass
class FakeIA:
    """An Internet-Archive-shaped archive on a pytest-httpserver: CDX JSON plus id_ replay."""

    httpserver: Any
    rows: list[list[str]] = field(default_factory=list)
    pages: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    memento_requests: list[str] = field(default_factory=list)
    cdx_requests: int = 0
    page_size: int = 0  # > 0: the CDX answers in pages of this many rows, chained by resume keys
    cdx_queries: list[dict[str, str]] = field(default_factory=list)
    #: when set, called with each CDX request first; a Response it returns is the answer
    cdx_fault: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        self.httpserver.expect_request(CDX_PATH).respond_with_handler(self._cdx)
        self.httpserver.expect_request(re.compile(r"^/web/\d+id_/.*")).respond_with_handler(self._replay)

    @property
    def prefix(self) -> str:
        return str(self.httpserver.url_for("/web/"))

    def add(
        self,
        ts: str,
        url: str,
        body: bytes,
        *,
        status: int = 200,
        mime: str = "text/html",
        digest: str = "",
        listed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        if listed:
            self.rows.append(row(ts, url, status=str(status), mime=mime, digest=digest or f"D{ts}"))
        self.pages[(ts, url)] = (
            status,
            {**memento_headers(ts, url), "Content-Type": mime, **(headers or {})},
            body,
        )

    def add_notice(self, ts: str, url: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A listed capture the archive answers with a page of its own: 200, no Memento-Datetime."""
        self.rows.append(row(ts, url))
        self.pages[(ts, url)] = (200, {"Content-Type": "text/html", **(headers or {})}, body)

    def add_revisit(self, ts: str, url: str, digest: str, body: bytes) -> None:
        self.rows.append(row(ts, url, status="-", mime="warc/revisit", digest=digest, length="-"))
        self.pages[(ts, url)] = (200, {**memento_headers(ts, url), "Content-Type": "text/html"}, body)

    def _cdx(self, request: Any) -> Any:
        from werkzeug import Response

        self.cdx_requests += 1
        self.cdx_queries.append(dict(request.args))
        if self.cdx_fault is not None:
            answer = self.cdx_fault(request)
            if answer is not None:
                return answer
        low, high = request.args.get("from", ""), request.args.get("to", "")
        if low or high:  # as IA does: both ends inclusive (the client sends 14 digits)
            rows = [r for r in self.rows if (not low or r[1] >= low) and (not high or r[1] <= high)]
            return Response(cdx_json(rows), content_type="application/json")
        if not self.page_size:
            return Response(cdx_json(self.rows), content_type="application/json")
        start = int(request.args.get("resumeKey", "page-0").removeprefix("page-"))
        end = start + self.page_size
        more = f"page-{end}" if end < len(self.rows) else None
        return Response(cdx_json(self.rows[start:end], more), content_type="application/json")

    def _replay(self, request: Any) -> Any:
        from werkzeug import Response

        path = request.full_path if request.query_string else request.path
        m = re.match(r"^/web/(\d+)id_/(.*)$", path.rstrip("?"))
        assert m is not None
        self.memento_requests.append(path)
        page = self.pages.get((m.group(1), m.group(2)))
        if page is None:
            return Response(
                "Hrm. The Wayback Machine has not archived that URL.",
                status=404,
                content_type="text/html; charset=utf-8",
            )
        status, headers, body = page
        return Response(body, status=status, headers=headers)
