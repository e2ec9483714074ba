"""The process-wide pacer and the session's retry policy, in simulated time (no test sleeps)."""

from __future__ import annotations

import random
import threading
import time

import pytest
from client_support import cdx_json, ia_endpoint, iter_windows, row
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from archiver.client.listing import list_captures
from archiver.client.pacer import LISTING, MEMENTO, ManualClock, Pacer, SystemClock
from archiver.client.session import ServerError, Session
from archiver.errors import CancelledError, ConnectionBlockedError, RateLimitedError

URL = "https://example.com/privacy"


def test_default_rates_follow_the_internet_archive_limits() -> None:
    assert Pacer.default_rate("web.archive.org", LISTING) == 0.4
    assert Pacer.default_rate("web.archive.org", MEMENTO) == 1.0
    assert Pacer.default_rate("arquivo.pt", LISTING) == 1.0


def test_requests_are_spaced_by_the_rate_per_host_and_group() -> None:
    clock = ManualClock()
    pacer = Pacer(clock=clock)
    starts = []
    for _ in range(5):
        pacer.wait("web.archive.org", LISTING)
        starts.append(clock.now())
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)] == [2.5] * 4
    before = clock.now()
    pacer.wait("web.archive.org", MEMENTO)  # another group: its own budget, no wait
    pacer.wait("other.example", LISTING)
    assert clock.now() == before


def test_a_429_pauses_the_group_at_least_60_s_then_runs_at_half_rate() -> None:
    clock = ManualClock()
    pacer = Pacer(clock=clock)
    pacer.wait("web.archive.org", LISTING)
    t429 = clock.now()
    assert pacer.on_429("web.archive.org", LISTING) == 60.0
    pacer.wait("web.archive.org", LISTING)
    assert clock.now() - t429 >= 60.0
    t1 = clock.now()
    pacer.wait("web.archive.org", LISTING)
    assert clock.now() - t1 == pytest.approx(5.0)  # 0.4/s halved
    clock.advance(700)
    t2 = clock.now()
    pacer.wait("web.archive.org", LISTING)
    pacer.wait("web.archive.org", LISTING)
    assert clock.now() - t2 == pytest.approx(2.5)  # back to full rate after 10 min


def test_retry_after_longer_than_60_s_is_honoured() -> None:
    clock = ManualClock()
    pacer = Pacer(clock=clock)
    assert pacer.on_429("h", LISTING, retry_after=300) == 300
    start = clock.now()
    pacer.wait("h", LISTING)
    assert clock.now() - start >= 300


def test_the_third_429_within_ten_minutes_stops_with_a_clear_message() -> None:
    clock = ManualClock()
    pacer = Pacer(clock=clock)
    pacer.on_429("web.archive.org", LISTING)
    clock.advance(700)  # the first one is now outside the 10-minute window
    pacer.on_429("web.archive.org", LISTING)
    clock.advance(100)
    pacer.on_429("web.archive.org", LISTING)
    clock.advance(100)
    with pytest.raises(RateLimitedError, match=r"rate-limiting us \(repeated HTTP 429\); stopped until"):
        pacer.on_429("web.archive.org", LISTING)


def test_connection_failures_right_after_a_429_open_the_breaker_for_an_hour() -> None:
    clock = ManualClock()
    pacer = Pacer(clock=clock)
    pacer.on_connection_failure("h", LISTING)  # no 429 before: an ordinary failure
    pacer.on_429("h", LISTING)
    clock.advance(61)
    with pytest.raises(ConnectionBlockedError, match="refusing connections .* retry after"):
        pacer.on_connection_failure("h", LISTING)
    assert pacer.blocked_until("h", LISTING) >= clock.now() + 3599


def test_backoff_is_jittered_exponential() -> None:
    pacer = Pacer(clock=ManualClock(), rng=random.Random(1))
    for attempt, (low, high) in enumerate([(1, 2), (2, 4), (4, 8), (8, 16)], start=1):
        for _ in range(20):
            assert low <= pacer.backoff(attempt) <= high


def test_cancel_ends_a_long_pacer_wait_within_a_second() -> None:
    pacer = Pacer(clock=SystemClock(), rates={("slow.example", LISTING): 0.001})
    pacer.wait("slow.example", LISTING)  # the first request starts at once
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def waiter() -> None:
        try:
            pacer.wait("slow.example", LISTING, cancel)  # would wait 1000 s
        except CancelledError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    started = time.monotonic()
    cancel.set()
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.0
    assert outcome and "cancelled" in str(outcome[0])


def test_cancel_during_backoff_stops_the_session(httpserver: HTTPServer) -> None:
    cancel = threading.Event()

    class CancellingClock(ManualClock):
        def sleep(self, seconds: float, cancel_event: threading.Event | None = None) -> None:
            cancel.set()  # the user presses Cancel while we wait to retry
            super().sleep(seconds, cancel_event)

    httpserver.expect_request("/x").respond_with_data("busy", status=503)
    session = Session(Pacer(clock=CancellingClock()))
    with pytest.raises(CancelledError):
        session.request(httpserver.url_for("/x"), group=MEMENTO, cancel=cancel)
    assert len(httpserver.log) == 1


def test_5xx_without_memento_datetime_is_retried_four_times_with_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data("down", status=502)
    clock = ManualClock()
    session = Session(Pacer(clock=clock, rng=random.Random(3)))
    with pytest.raises(ServerError, match="answered HTTP 502 5 times; the server is having trouble"):
        session.request(httpserver.url_for("/x"), group=MEMENTO)
    assert len(httpserver.log) == 5
    backoffs = [s for s in clock.sleeps if s > 1.0 or s < 1.0]
    assert len(backoffs) >= 4 and max(backoffs) <= 16


def test_an_archived_503_is_content_and_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "archived", status=503, headers={"Memento-Datetime": "Fri, 24 Nov 2017 15:13:15 GMT"}
    )
    session = Session(Pacer(clock=ManualClock()))
    resp = session.request(httpserver.url_for("/x"), group=MEMENTO)
    assert resp.status_code == 503
    assert len(httpserver.log) == 1


def test_a_429_storm_never_exceeds_the_rate_and_pauses_at_least_60_s(httpserver: HTTPServer) -> None:
    """A CDX listing of 30 pages while the server throws 429s: the pacing holds, the job completes."""
    clock = ManualClock()
    pacer = Pacer(clock=clock, rates={(httpserver.host, LISTING): 0.4})
    session = Session(pacer)
    times: list[float] = []
    statuses: list[int] = []
    storm_at = {4, 12}  # the 5th and 13th requests are answered 429

    def handler(request: Request) -> Response:
        n = len(times)
        times.append(clock.now())
        if n in storm_at:
            statuses.append(429)
            return Response("Too Many Requests", status=429)
        statuses.append(200)
        page = int(request.args.get("resumeKey", "0"))
        rows = [row(f"2020{(page % 12) + 1:02d}{(page % 27) + 1:02d}000000", URL)]
        more = str(page + 1) if page < 29 else None
        return Response(cdx_json(rows, more), content_type="application/json")

    httpserver.expect_request("/cdx/search/cdx").respond_with_handler(handler)
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert len(rows) == 30
    assert max(iter_windows(times, 60.0)) <= 24  # 0.4 requests/s = 24 per minute
    for i, status in enumerate(statuses[:-1]):
        if status == 429:
            assert times[i + 1] - times[i] >= 60.0
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 2.5


def test_a_continuous_429_storm_stops_the_job_after_the_third(httpserver: HTTPServer) -> None:
    clock = ManualClock()
    session = Session(Pacer(clock=clock, rates={(httpserver.host, LISTING): 0.4}))
    times: list[float] = []

    def handler(request: Request) -> Response:
        times.append(clock.now())
        return Response("Too Many Requests", status=429)

    httpserver.expect_request("/cdx/search/cdx").respond_with_handler(handler)
    with pytest.raises(RateLimitedError, match="is rate-limiting us"):
        list(list_captures(session, ia_endpoint(httpserver), URL))
    assert len(times) == 3
    assert times[1] - times[0] >= 60 and times[2] - times[1] >= 60


def test_a_read_timeout_soon_after_a_429_is_not_a_firewall_block() -> None:
    """A read timeout means the connection was made: it must not open the one-hour breaker."""
    from client_support import RawServer, respond, stall

    from archiver.client.session import ServerTimeoutError

    server = RawServer([respond("429 Too Many Requests", {}, b"slow down"), stall])
    try:
        clock = ManualClock()
        session = Session(Pacer(clock=clock), retries=0)
        with pytest.raises(ServerTimeoutError, match="sent no answer within 0.2 s"):
            session.request(server.url("/web/x"), group=MEMENTO, read_timeout=0.2)
        assert server.connections == 2  # the 429, then the request that timed out 60 s later
        assert session.pacer.blocked_until("127.0.0.1", MEMENTO) < clock.now() + 600  # no hour's pause
        assert session.pacer.open_breakers() == {}
    finally:
        server.close()


def test_a_body_that_breaks_off_after_a_429_is_not_a_firewall_block() -> None:
    """The server answered (its chunked body broke off): no firewall refuses or resets like that."""
    from client_support import RawServer, chunks, respond, respond_chunked

    from archiver.errors import ConnectionBlockedError, NetworkError

    server = RawServer(
        [
            respond("429 Too Many Requests", {"Content-Type": "text/plain"}, b"slow down"),
            respond_chunked(
                "200 OK", {"Content-Type": "application/json"}, chunks(b'[["urlkey",', end=False)
            ),
        ]
    )
    clock = ManualClock()
    session = Session(Pacer(clock=clock), retries=0)
    try:
        with pytest.raises(NetworkError) as caught:
            session.request(server.url("/cdx/search/cdx"), group=LISTING)
        assert not isinstance(caught.value, ConnectionBlockedError)
        assert server.connections == 2
        assert session.pacer.blocked_until("127.0.0.1", LISTING) < clock.now() + 600  # no hour's pause
    finally:
        server.close()


def test_a_429_pause_holds_back_a_request_already_waiting_for_its_slot() -> None:
    """Two threads share a pacer (two fetch jobs in the app): the one waiting for its slot when
    the other gets a 429 waits for the pause too, instead of going at its booked time."""
    clock = ManualClock()
    pacer = Pacer(clock=clock, rates={("h", LISTING): 1.0})
    pacer.wait("h", LISTING)  # the first request goes now; the next slot is 1 s away
    started: list[float] = []
    in_sleep = threading.Event()
    release = threading.Event()
    real_sleep = clock.sleep

    def sleep(seconds: float, cancel: threading.Event | None = None) -> None:
        in_sleep.set()
        release.wait(5)  # hold the waiter asleep until the 429 has been recorded
        real_sleep(seconds, cancel)

    clock.sleep = sleep  # type: ignore[method-assign]
    waiter = threading.Thread(target=lambda: (pacer.wait("h", LISTING), started.append(clock.now())))
    waiter.start()
    assert in_sleep.wait(5)
    clock.sleep = real_sleep  # type: ignore[method-assign]
    pause = pacer.on_429("h", LISTING)  # the first request's answer
    release.set()
    waiter.join(5)
    assert started and started[0] >= 1000.0 + pause  # not at its booked 1001.0


def test_connections_refused_after_a_429_on_another_endpoint_are_a_firewall_block() -> None:
    """The Wayback Machine's firewall blocks the address: a 429 on the CDX then refused memento
    connections is a block of the whole host, kept for an hour on every endpoint."""
    from archiver.errors import ConnectionBlockedError

    pacer = Pacer(clock=ManualClock())
    pacer.on_429("web.archive.org", LISTING)
    with pytest.raises(ConnectionBlockedError):
        pacer.on_connection_failure("web.archive.org", MEMENTO)
    for group in (LISTING, MEMENTO):
        assert pacer.blocked_until("web.archive.org", group) >= pacer.clock.now() + 3000
    pacer.on_connection_failure("other.example", MEMENTO)  # no 429 from that host: a plain failure
