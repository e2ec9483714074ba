"""Fetching captures: id_ replay as the Internet Archive serves it, reproduced on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Callable

import pytest
from client_support import (
    RawServer,
    brotli_stored,
    chunks,
    ia_endpoint,
    manual_session,
    memento_headers,
    reset,
    respond,
    respond_chunked,
    respond_then_stall,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
from archiver.client.replay import fetch_memento
from archiver.errors import (
    ArchiveResponseError,
    BlockedError,
    BrokenBodyError,
    CancelledError,
    NetworkError,
    NoMementoError,
    PlaybackError,
    TooLargeError,
    TruncatedBodyError,
    UnsupportedEncodingError,
)

URL = "https://example.com/privacy"
TS = "20200101120000"
BODY = b"<html><body><h1>Privacy</h1><p>We care.</p></body></html>"


def replay_path(ts: str, url: str = URL) -> str:
    return f"/web/{ts}id_/{url}"


def test_a_memento_is_fetched_byte_exact_with_its_archived_headers(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        BODY, content_type="text/html; charset=utf-8", headers=memento_headers(TS, URL)
    )
    session, _ = manual_session()
    result = fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    m = result.final
    assert m.body == BODY and m.sha256 == hashlib.sha256(BODY).hexdigest()
    assert m.timestamp == TS and m.status == 200 and m.original_url == URL
    assert m.header("x-archive-orig-server") == "nginx"
    assert m.header("X-Archive-Src") == "crawl-20200101/file-00001.warc.gz"
    assert m.content_type == "text/html; charset=utf-8"
    assert result.via == () and result.flags == ()
    request, _ = httpserver.log[0]
    assert request.headers["Accept-Encoding"] == "identity"


def test_a_200_without_memento_datetime_is_never_a_capture(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "<html>Wayback Machine is under maintenance</html>", content_type="text/html"
    )
    session, _ = manual_session()
    with pytest.raises(ArchiveResponseError, match="without Memento-Datetime .* not a capture"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)


def test_the_200_excluded_page_is_a_blocked_site(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "<p>Sorry.</p><p>This URL has been excluded from the Wayback Machine.</p>", content_type="text/html"
    )
    session, _ = manual_session()
    with pytest.raises(BlockedError, match="excluded from the Wayback Machine"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert len(httpserver.log) == 1  # never retried


WAYBACK = "org.archive.wayback.exception."


@pytest.mark.parametrize(
    "runtime,error,message",
    [
        (
            WAYBACK + "AdministrativeAccessControlException: Blocked Site Error",
            BlockedError,
            "excluded from the Wayback Machine .* try another archive",
        ),
        (WAYBACK + "RobotAccessControlException: Blocked By Robots", BlockedError, "robots.txt"),
        (WAYBACK + "ResourceNotInArchiveException: Not in archive", NoMementoError, "has no capture of"),
        (
            WAYBACK + "LiveDocumentNotAvailableException: Live document unavailable",
            ArchiveResponseError,
            "without Memento-Datetime \\(the archive reported LiveDocumentNotAvailableException: "
            "Live document unavailable\\), so it is not a capture; nothing stored",
        ),
    ],
    ids=["excluded", "robots", "not-archived", "other"],
)
def test_a_200_without_memento_datetime_is_classified_from_the_runtime_error_header(
    httpserver: HTTPServer, runtime: str, error: type[Exception], message: str
) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "<html><title>Wayback Machine</title><p>Hrm.</p></html>",  # the same generic page each time
        content_type="text/html",
        headers={"X-Archive-Wayback-Runtime-Error": runtime},
    )
    session, _ = manual_session()
    with pytest.raises(error, match=message) as caught:
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert type(caught.value) is error  # the specific class, not just any archive error
    assert len(httpserver.log) == 1  # never retried


def test_a_maintenance_page_without_memento_datetime_is_named_from_its_text(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "<html><h1>The Wayback Machine is under scheduled Maintenance</h1></html>", content_type="text/html"
    )
    session, _ = manual_session()
    with pytest.raises(ArchiveResponseError, match="\\(a maintenance notice; try again later\\)"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)


def test_a_404_without_memento_datetime_is_no_memento(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "Hrm. The Wayback Machine has not archived that URL.", status=404, content_type="text/html"
    )
    session, _ = manual_session()
    with pytest.raises(
        NoMementoError, match="has no capture of .* list what it holds with 'policydiff captures"
    ):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert len(httpserver.log) == 1


def test_a_nearest_capture_redirect_within_the_window_is_followed(httpserver: HTTPServer) -> None:
    near = "20200101180000"
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "found capture",
        status=302,
        content_type="text/plain",
        headers={
            "Location": httpserver.url_for(replay_path(near)),
            "X-Archive-Redirect-Reason": f"found capture at {near}",
        },
    )
    httpserver.expect_request(replay_path(near)).respond_with_data(BODY, headers=memento_headers(near, URL))
    session, _ = manual_session()
    result = fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert result.final.timestamp == near
    assert result.chain == (httpserver.url_for(replay_path(TS)), httpserver.url_for(replay_path(near)))


def test_a_nearest_capture_months_away_is_not_taken(httpserver: HTTPServer) -> None:
    far = "20200601000000"
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for(replay_path(far))}
    )
    session, _ = manual_session()
    with pytest.raises(PlaybackError, match="the nearest is 2020-06-01 00:00:00 UTC, more than 24 h away"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert len(httpserver.log) == 1


def test_an_archived_redirect_is_kept_as_evidence_and_followed(httpserver: HTTPServer) -> None:
    target = "https://example.com/legal/privacy"
    later = "20200101130000"
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "moved",
        status=301,
        headers={**memento_headers(TS, URL), "Location": httpserver.url_for(replay_path(TS, target))},
    )
    httpserver.expect_request(replay_path(TS, target)).respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for(replay_path(later, target))}
    )
    httpserver.expect_request(replay_path(later, target)).respond_with_data(
        BODY, headers=memento_headers(later, target)
    )
    session, _ = manual_session()
    result = fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert [m.status for m in result.via] == [301] and result.via[0].body == b"moved"
    assert result.final.original_url == target and result.final.timestamp == later
    assert len(result.chain) == 3


def test_a_pywb_style_archived_redirect_to_the_live_url_is_mapped_into_the_archive(
    httpserver: HTTPServer,
) -> None:
    endpoint = ArchiveEndpoint(httpserver.url_for("/coll/"), ArchiveKind.PYWB)
    target = "https://example.com/legal/privacy"
    httpserver.expect_request(f"/coll/{TS}id_/{URL}").respond_with_data(
        "", status=302, headers={**memento_headers(TS, URL), "Location": target}
    )
    httpserver.expect_request(f"/coll/{TS}id_/{target}").respond_with_data(
        BODY, headers=memento_headers(TS, target)
    )
    session, _ = manual_session()
    result = fetch_memento(session, endpoint, TS, URL)
    assert result.final.body == BODY and result.final.original_url == target


def test_redirect_loops_stop(httpserver: HTTPServer) -> None:
    a, b = replay_path(TS), replay_path(TS, "https://example.com/other")
    httpserver.expect_request(a).respond_with_data(
        "", status=301, headers={**memento_headers(TS, URL), "Location": httpserver.url_for(b)}
    )
    httpserver.expect_request(b).respond_with_data(
        "",
        status=301,
        headers={**memento_headers(TS, "https://example.com/other"), "Location": httpserver.url_for(a)},
    )
    session, _ = manual_session()
    with pytest.raises(PlaybackError, match="capture not playable: redirect loop"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)


def test_more_than_ten_hops_stop(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        n = int(request.path.rsplit("/", 1)[1] or 0) if request.path[-1].isdigit() else 0
        nxt = f"https://example.com/p/{n + 1}"
        return Response(
            "",
            status=301,
            headers={**memento_headers(TS, nxt), "Location": httpserver.url_for(replay_path(TS, nxt))},
        )

    httpserver.expect_request(replay_path(TS)).respond_with_handler(handler)
    for i in range(1, 15):
        httpserver.expect_request(replay_path(TS, f"https://example.com/p/{i}")).respond_with_handler(handler)
    session, _ = manual_session()
    with pytest.raises(PlaybackError, match="more than 10 redirects"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert len(httpserver.log) == 11


def test_a_redirect_to_the_archive_home_page_is_not_a_capture(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/")}
    )
    session, _ = manual_session()
    with pytest.raises(PlaybackError, match="which is not a capture"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)


@pytest.mark.parametrize("status", [404, 403, 429, 500])
def test_archived_error_pages_are_content_flagged_and_never_retried(
    httpserver: HTTPServer, status: int
) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        "archived error", status=status, headers=memento_headers(TS, URL)
    )
    session, _ = manual_session()
    result = fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert result.final.status == status and result.flags == ("error-page",)
    assert len(httpserver.log) == 1


def test_a_gzip_body_despite_identity_is_kept_raw_and_hashed_both_ways(httpserver: HTTPServer) -> None:
    packed = gzip.compress(BODY)
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        packed, headers={**memento_headers(TS, URL), "Content-Encoding": "gzip"}
    )
    session, _ = manual_session()
    m = fetch_memento(session, ia_endpoint(httpserver), TS, URL).final
    assert m.body == packed  # exactly what was received, not decoded by requests
    assert m.sha256 == hashlib.sha256(packed).hexdigest()
    assert m.decoded_sha256 == hashlib.sha256(BODY).hexdigest()
    assert m.content_encoding == "gzip"


@pytest.mark.parametrize("encoding", ["br", "gzip, br"])
def test_a_brotli_body_despite_identity_fails_clearly(httpserver: HTTPServer, encoding: str) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        brotli_stored(BODY), headers={**memento_headers(TS, URL), "Content-Encoding": encoding}
    )
    session, _ = manual_session()
    with pytest.raises(
        UnsupportedEncodingError,
        match=f"the archive sent a brotli-compressed body \\(Content-Encoding: {encoding}\\) although "
        "policydiff asked for an uncompressed one, and policydiff cannot decode brotli; not stored",
    ):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    request, _ = httpserver.log[0]
    assert request.headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize(
    "body",
    [BODY, gzip.compress(BODY), "<p>Datenschutzerklärung</p>".encode("cp1252")],
    ids=["html", "gzip", "cp1252"],
)
def test_a_br_header_on_a_body_that_is_plainly_not_brotli_is_not_trusted(
    httpserver: HTTPServer, body: bytes
) -> None:
    """Archives replay stale Content-Encoding headers: only a body that looks compressed is refused."""
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        body, headers={**memento_headers(TS, URL), "Content-Encoding": "br"}
    )
    session, _ = manual_session()
    m = fetch_memento(session, ia_endpoint(httpserver), TS, URL).final
    assert m.body == body and m.content_encoding == "br"
    assert (m.decoded_sha256 is not None) == body.startswith(b"\x1f\x8b")  # gzip is still sniffed


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00"
NUL_HTML = b"<!DOCTYPE html>\n<html><body><h1>Privacy</h1>\x00<p>We care.</p></body></html>"


@pytest.mark.parametrize("body", [PNG, JPEG, NUL_HTML], ids=["png", "jpeg", "html-with-nul"])
def test_a_stale_br_header_on_a_binary_or_html_body_with_control_bytes_is_not_trusted(
    httpserver: HTTPServer, body: bytes
) -> None:
    """Control bytes alone do not make a body brotli: a PNG, a JPEG or HTML with a NUL is what it says."""
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        body, headers={**memento_headers(TS, URL), "Content-Encoding": "br"}
    )
    session, _ = manual_session()
    m = fetch_memento(session, ia_endpoint(httpserver), TS, URL).final
    assert m.body == body and m.content_encoding == "br"


def test_a_brotli_archived_redirect_is_kept_as_evidence_and_the_memento_after_it_fetched(
    httpserver: HTTPServer,
) -> None:
    target = "https://example.com/legal/privacy"
    moved = brotli_stored(b"<html><body>Moved permanently</body></html>")
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        moved,
        status=301,
        headers={
            **memento_headers(TS, URL),
            "Content-Encoding": "br",
            "Location": httpserver.url_for(replay_path(TS, target)),
        },
    )
    httpserver.expect_request(replay_path(TS, target)).respond_with_data(
        BODY, headers=memento_headers(TS, target)
    )
    session, _ = manual_session()
    result = fetch_memento(session, ia_endpoint(httpserver), TS, URL)
    assert [m.status for m in result.via] == [301] and result.via[0].body == moved  # raw evidence
    assert result.final.body == BODY and result.final.original_url == target


def test_a_body_over_the_cap_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request(replay_path(TS)).respond_with_data(
        b"x" * 300_000, headers=memento_headers(TS, URL)
    )
    session, _ = manual_session()
    with pytest.raises(TooLargeError, match="larger than the 0 MB limit; not stored"):
        fetch_memento(session, ia_endpoint(httpserver), TS, URL, max_bytes=100_000)


def _raw_endpoint(server: RawServer) -> ArchiveEndpoint:
    return ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)


def test_a_truncated_body_is_retried_twice_then_reported_never_returned() -> None:
    short = respond("200 OK", memento_headers(TS, URL), BODY, send=10)
    server = RawServer([short, short, short])
    try:
        session, _ = manual_session()
        with pytest.raises(TruncatedBodyError, match=r"body truncated \(10 of \d+ bytes\); not stored"):
            fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert server.connections == 3
    finally:
        server.close()


def test_a_body_truncated_once_is_fetched_again() -> None:
    server = RawServer(
        [
            respond("200 OK", memento_headers(TS, URL), BODY, send=10),
            respond("200 OK", memento_headers(TS, URL), BODY),
        ]
    )
    try:
        session, _ = manual_session()
        result = fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert result.final.body == BODY and server.connections == 2
    finally:
        server.close()


def test_a_stalled_body_is_retried_twice_then_reported_never_returned() -> None:
    stalled = respond_then_stall("200 OK", memento_headers(TS, URL), b"x" * 100_000, send=100)
    server = RawServer([stalled, stalled, stalled])
    try:
        session, _ = manual_session()
        started = time.monotonic()
        with pytest.raises(
            BrokenBodyError,
            match=r"body incomplete \(stalled, no data for 0.2 s after 100 of 100000 bytes\); not stored",
        ):
            fetch_memento(session, _raw_endpoint(server), TS, URL, read_timeout=0.2)
        assert server.connections == 3
        assert time.monotonic() - started < 5  # three short stalls, not the 60 s default
    finally:
        server.close()


BROKEN_CHUNKING = {
    "bad-chunk-size": chunks(BODY[:16], end=False) + b"zz\r\n" + BODY[16:],
    "closed-mid-chunk": chunks(BODY[:16], end=False) + b"%x\r\n" % len(BODY) + BODY[16:30],
    "no-last-chunk": chunks(BODY, end=False),
}


@pytest.mark.parametrize("raw", BROKEN_CHUNKING.values(), ids=BROKEN_CHUNKING.keys())
def test_broken_chunked_transfer_is_retried_twice_then_reported_never_returned(raw: bytes) -> None:
    broken = respond_chunked("200 OK", memento_headers(TS, URL), raw)
    server = RawServer([broken, broken, broken])
    try:
        session, _ = manual_session()
        with pytest.raises(
            BrokenBodyError, match=r"body incomplete \(broken chunked transfer encoding after \d+ bytes\)"
        ):
            fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert server.connections == 3
    finally:
        server.close()


def test_a_body_whose_chunking_broke_once_is_fetched_again() -> None:
    server = RawServer(
        [
            respond_chunked("200 OK", memento_headers(TS, URL), BROKEN_CHUNKING["bad-chunk-size"]),
            respond_chunked("200 OK", memento_headers(TS, URL), chunks(BODY[:16], BODY[16:])),
        ]
    )
    try:
        session, _ = manual_session()
        result = fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert result.final.body == BODY and server.connections == 2
    finally:
        server.close()


def test_connection_resets_are_retried_with_backoff() -> None:
    server = RawServer([reset, reset, respond("200 OK", memento_headers(TS, URL), BODY)])
    try:
        session, clock = manual_session()
        result = fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert result.final.body == BODY and server.connections == 3
        assert len([s for s in clock.sleeps if s >= 1.0]) == 2
    finally:
        server.close()


def test_a_network_that_stays_down_gives_a_clear_message() -> None:
    server = RawServer([], default=reset)
    try:
        session, _ = manual_session()
        with pytest.raises(
            NetworkError, match="cannot reach 127.0.0.1 .* after 5 attempts; check the network"
        ):
            fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert server.connections == 5
    finally:
        server.close()


def test_certificate_errors_are_shown_and_never_bypassed(httpserver: HTTPServer) -> None:
    endpoint = ArchiveEndpoint(httpserver.url_for("/web/").replace("http://", "https://"), ArchiveKind.IA)
    session, clock = manual_session()
    with pytest.raises(
        NetworkError, match="TLS/certificate error talking to localhost: .* REQUESTS_CA_BUNDLE"
    ):
        fetch_memento(session, endpoint, TS, URL)
    assert clock.sleeps == []  # not retried: a certificate problem does not go away by itself


def test_a_local_clock_far_off_the_servers_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    server = RawServer(
        [respond("200 OK", {**memento_headers(TS, URL), "Date": "Mon, 01 Jan 2001 00:00:00 GMT"}, BODY)]
    )
    try:
        session, _ = manual_session()
        fetch_memento(session, _raw_endpoint(server), TS, URL)
        assert "the local clock differs from 127.0.0.1's" in caplog.text
    finally:
        server.close()


IN_FLIGHT = threading.Event()


def _hang(conn: socket.socket) -> None:
    """Accept the request, never answer; return when the client goes away."""
    IN_FLIGHT.set()
    conn.settimeout(30)
    while conn.recv(1024):
        pass


def _dribble(conn: socket.socket) -> None:
    """Send headers and a little of a big body, then stall."""
    respond("200 OK", memento_headers(TS, URL), b"x" * 100_000, send=100)(conn)
    _hang(conn)


@pytest.mark.parametrize("behaviour", [_hang, _dribble], ids=["waiting-for-headers", "reading-the-body"])
def test_cancel_stops_a_request_in_flight_within_a_second(behaviour: Callable[[socket.socket], None]) -> None:
    IN_FLIGHT.clear()
    server = RawServer([behaviour])
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def fetch() -> None:
        session, _ = manual_session()
        try:
            fetch_memento(session, _raw_endpoint(server), TS, URL, cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=fetch)
    thread.start()
    try:
        assert IN_FLIGHT.wait(5)  # the archive has the request and stalls
        started = time.monotonic()
        cancel.set()
        thread.join(3)
        assert not thread.is_alive()
        assert time.monotonic() - started < 1.0
        assert len(outcome) == 1 and isinstance(outcome[0], CancelledError)
    finally:
        server.close()


def test_a_relative_archived_location_is_resolved_against_the_page_not_the_archive(
    httpserver: HTTPServer,
) -> None:
    """pywb passes an archived Location through in id_ mode; a site's relative value is relative to
    the page's original URL (here /legal/privacy on example.com), never to the archive's host."""
    endpoint = ArchiveEndpoint(httpserver.url_for("/coll/"), ArchiveKind.PYWB)
    ts, target = "20200101120000", "https://example.com/legal/privacy"
    httpserver.expect_request(f"/coll/{ts}id_/{URL}").respond_with_data(
        "", status=302, headers={**memento_headers(ts, URL), "Location": "/legal/privacy"}
    )
    httpserver.expect_request(f"/coll/{ts}id_/{target}").respond_with_data(
        b"<html><body><p>policy</p></body></html>", headers=memento_headers(ts, target)
    )
    session, _ = manual_session()
    result = fetch_memento(session, endpoint, ts, URL)
    assert result.final.original_url == target and len(result.via) == 1
    assert result.chain == (endpoint.replay_url(ts, URL), endpoint.replay_url(ts, target))


def test_a_path_relative_archived_location_is_resolved_against_the_page(httpserver: HTTPServer) -> None:
    endpoint = ArchiveEndpoint(httpserver.url_for("/coll/"), ArchiveKind.PYWB)
    ts, page = "20200101120000", "https://example.com/legal/privacy"
    target = "https://example.com/legal/privacy-2020"
    httpserver.expect_request(f"/coll/{ts}id_/{page}").respond_with_data(
        "", status=302, headers={**memento_headers(ts, page), "Location": "privacy-2020"}
    )
    httpserver.expect_request(f"/coll/{ts}id_/{target}").respond_with_data(
        b"<html><body><p>policy</p></body></html>", headers=memento_headers(ts, target)
    )
    session, _ = manual_session()
    result = fetch_memento(session, endpoint, ts, page)
    assert result.final.original_url == target
