"""Listing captures: the Internet Archive's CDX formats reproduced on 127.0.0.1, pywb NDJSON, TimeMaps."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from client_support import CDX_PATH, RawServer, cdx_json, ia_endpoint, manual_session, respond, row, stall
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind, archive_endpoint
from archiver.client.linkformat import parse_http_date, parse_link_format
from archiver.client.listing import MAX_ROWS, ResumePoint, list_captures, repair_timestamp, similar_urls
from archiver.client.memento import MAX_TIMEMAP_PAGES, parse_pywb_ndjson, parse_timemap
from archiver.client.pacer import ManualClock, Pacer
from archiver.client.session import ServerError, ServerTimeoutError, Session
from archiver.errors import (
    ArchiveResponseError,
    BlockedError,
    CancelledError,
    InvalidDateError,
    InvalidURLError,
)
from archiver.timestamps import from_datetime

URL = "https://example.com/privacy"


def queries(httpserver: HTTPServer) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(req.url).query) for req, _ in httpserver.log]


def test_paging_follows_resume_keys_with_an_explicit_limit(httpserver: HTTPServer) -> None:
    pages = {
        None: cdx_json([row("20200101000000", URL), row("20200201000000", URL)], "key-1"),
        "key-1": cdx_json([row("20200301000000", URL)], "key-2"),
        "key-2": cdx_json([row("20200401000000", URL)]),
    }

    def handler(request: Request) -> Response:
        return Response(pages[request.args.get("resumeKey")], content_type="application/json")

    httpserver.expect_request(CDX_PATH).respond_with_handler(handler)
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, page_size=2))
    assert [r.timestamp for r in rows] == [
        "20200101000000",
        "20200201000000",
        "20200301000000",
        "20200401000000",
    ]
    sent = queries(httpserver)
    assert [q.get("resumeKey") for q in sent] == [None, ["key-1"], ["key-2"]]
    for q in sent:
        assert q["limit"] == ["2"] and q["showResumeKey"] == ["true"] and q["output"] == ["json"]
        assert q["fl"][0].startswith("urlkey,")  # resume keys misbehave without urlkey
        assert q["url"] == ["example.com/privacy"]  # scheme-less: SURT ignores the scheme


def test_repeated_rows_and_duplicates_across_pages_are_dropped(httpserver: HTTPServer) -> None:
    dup = row("20200101000000", URL)
    pages = {None: cdx_json([dup, dup, row("20200102000000", URL)], "k"), "k": cdx_json([dup])}
    httpserver.expect_request(CDX_PATH).respond_with_handler(
        lambda r: Response(pages[r.args.get("resumeKey")], content_type="application/json")
    )
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert [r.timestamp for r in rows] == ["20200101000000", "20200102000000"]


def test_revisit_rows_and_dash_fields_parse(httpserver: HTTPServer) -> None:
    body = cdx_json(
        [
            row("20200101000000", URL, digest="AAA"),
            row("20200102000000", URL, status="-", mime="warc/revisit", digest="AAA", length="-"),
            row("20200103000000", URL, mime="unk"),
        ]
    )
    httpserver.expect_request(CDX_PATH).respond_with_data(body, content_type="application/json")
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert (
        rows[1].is_revisit and rows[1].status is None and rows[1].length is None and rows[1].digest == "AAA"
    )
    assert rows[0].status == 200 and rows[0].length == 1000
    assert rows[2].mimetype == "unk"


def test_malformed_rows_are_skipped_with_a_warning(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(
        [
            ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
            ["k", "20200101000000", URL, "text/html", "200", "D1", "10"],
            ["k", "20200102000000", URL, "text/html"],  # short row
            ["k", "2020010x000000", URL, "text/html", "200", "D2", "10"],  # bad timestamp
            ["k", "20200103000000", "http://mailto:someone@example.com", "text/html", "200", "D3", "1"],
            ["k", "20200104000000", "data:image/jpeg;base64,AAAA", "image/jpeg", "200", "D4", "1"],
            [
                "k",
                "20000008241731",
                "http://example.com:80/privacy",
                "text/html",
                "200",
                "D5",
                "10",
            ],  # month 00
        ]
    )
    httpserver.expect_request(CDX_PATH).respond_with_data(body, content_type="application/json")
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert [(r.timestamp, r.original) for r in rows] == [
        ("20200101000000", URL),
        ("20000824173100", "http://example.com/privacy"),  # "00" insertion removed, :80 stripped
    ]
    assert "skipped a malformed CDX row" in caplog.text
    assert "skipped a row with a malformed URL" in caplog.text
    assert "repaired malformed timestamp 20000008241731" in caplog.text


@pytest.mark.parametrize("body", ["", "[]"])
def test_an_empty_result_is_no_rows_not_an_error(httpserver: HTTPServer, body: str) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data(body, content_type="application/json")
    session, _ = manual_session()
    assert list(list_captures(session, ia_endpoint(httpserver), URL)) == []


def test_nearby_urls_come_from_a_prefix_search_then_the_parent_folder(httpserver: HTTPServer) -> None:
    asked = "https://example.com/legal/privacy"
    found = {
        "example.com/legal/privacy": [],
        "example.com/privacy": [],
        "example.com/legal/": [
            row("20200101000000", "http://example.com/legal/privacy-policy"),
            row("20200102000000", "https://www.example.com/legal/privacy-policy/"),  # the same policy
            row("20200103000000", "https://example.com/legal/terms"),
            row("20200104000000", "https://example.com/legal/privacy"),  # the URL asked for
            row("20200105000000", "mailto:legal@example.com"),  # junk
        ],
    }

    def handler(request: Request) -> Response:
        return Response(cdx_json(found[request.args["url"]]), content_type="application/json")

    httpserver.expect_request(CDX_PATH).respond_with_handler(handler)
    session, _ = manual_session()
    urls = similar_urls(session, ia_endpoint(httpserver), asked)
    # what names the same thing first ("privacy"), then shorter URLs
    assert urls == ("http://example.com/legal/privacy-policy", "https://example.com/legal/terms")
    first, second = queries(httpserver)
    assert first["url"] == ["example.com/legal/privacy"] and second["url"] == ["example.com/legal/"]
    for q in (first, second):
        assert (q["matchType"], q["collapse"], q["filter"]) == (["prefix"], ["urlkey"], ["statuscode:200"])
        assert int(q["limit"][0]) <= 50
    # a URL at the top of a site is searched as a prefix only, never the whole site
    httpserver.clear_log()
    assert similar_urls(session, ia_endpoint(httpserver), "https://example.com/privacy") == ()
    assert [q["url"] for q in queries(httpserver)] == [["example.com/privacy"]]


def test_nearby_urls_are_a_courtesy_asked_once_in_the_date_range_and_never_of_a_whole_site(
    httpserver: HTTPServer,
) -> None:
    answers: list[Response] = []
    httpserver.expect_request(CDX_PATH).respond_with_handler(lambda request: answers.pop(0))
    session, clock = manual_session()
    endpoint = ia_endpoint(httpserver)
    # a busy archive (5xx, 429) is not asked again, and nothing is waited for
    for busy in (Response("busy", status=503), Response("slow down", status=429)):
        answers.append(busy)
        httpserver.clear_log()
        with pytest.raises(ServerError):
            similar_urls(session, endpoint, "https://example.com/legal/privacy")
        assert len(httpserver.log) == 1
    assert max(clock.sleeps, default=0.0) < 2.0  # the pacing between requests only: no backoff, no pause
    # the date range is the listing's; a query string is part of the prefix (no parent search)
    httpserver.clear_log()
    answers.append(Response(cdx_json([]), content_type="application/json"))
    asked = "https://example.com/index.php?page=privacy"
    assert similar_urls(session, endpoint, asked, "2020", "2021") == ()
    (q,) = queries(httpserver)
    assert q["url"] == ["example.com/index.php?page=privacy"]
    assert (q["from"], q["to"]) == (["20200101000000"], ["20211231235959"])
    # a URL at the root of a site gets no suggestion: its prefix would be the whole site
    httpserver.clear_log()
    assert similar_urls(session, endpoint, "https://example.com/") == ()
    assert httpserver.log == []


def test_blocked_site_403_is_reported_and_not_retried(httpserver: HTTPServer) -> None:
    text = (
        "org.archive.util.io.RuntimeIOException: org.archive.wayback.exception."
        "AdministrativeAccessControlException: Blocked Site Error"
    )
    httpserver.expect_request(CDX_PATH).respond_with_data(
        text,
        status=403,
        content_type="text/plain;charset=UTF-8",
        headers={"X-Archive-Wayback-Runtime-Error": text},
    )
    session, _ = manual_session()
    with pytest.raises(BlockedError, match="excluded from the Wayback Machine .* try another archive"):
        list(list_captures(session, ia_endpoint(httpserver), URL))
    assert len(httpserver.log) == 1


def test_robots_exclusion_falls_back_to_the_wayback_timemap(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data(
        "org.archive.wayback.exception.RobotAccessControlException: Blocked By Robots", status=403
    )
    httpserver.expect_request("/web/timemap/json").respond_with_data(
        cdx_json([row("20200101000000", URL)]), content_type="application/json"
    )
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert [(r.timestamp, r.endpoint) for r in rows] == [("20200101000000", "ia-timemap")]
    assert "listing from the Wayback TimeMap instead" in caplog.text
    assert queries(httpserver)[1]["url"] == ["example.com/privacy"]


def test_robots_exclusion_everywhere_is_reported(httpserver: HTTPServer) -> None:
    text = "org.archive.wayback.exception.RobotAccessControlException: Blocked By Robots"
    httpserver.expect_request(CDX_PATH).respond_with_data(text, status=403)
    httpserver.expect_request("/web/timemap/json").respond_with_data(text, status=403)
    session, _ = manual_session()
    with pytest.raises(BlockedError, match="robots.txt"):
        list(list_captures(session, ia_endpoint(httpserver), URL))
    assert len(httpserver.log) == 2


def test_bad_parameters_400_show_the_servers_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data("Invalid filter: statuscode:[", status=400)
    session, _ = manual_session()
    with pytest.raises(ArchiveResponseError, match="answered HTTP 400: Invalid filter"):
        list(list_captures(session, ia_endpoint(httpserver), URL, filters=("statuscode:[",)))
    assert queries(httpserver)[0]["filter"] == ["statuscode:["]


def test_transient_5xx_is_retried_then_the_listing_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(CDX_PATH).respond_with_data("oops", status=503)
    httpserver.expect_ordered_request(CDX_PATH).respond_with_data("oops", status=502)
    httpserver.expect_ordered_request(CDX_PATH).respond_with_data(cdx_json([row("20200101000000", URL)]))
    session, clock = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert len(rows) == 1 and len(httpserver.log) == 3
    assert len([s for s in clock.sleeps if s >= 1.0]) >= 2  # two backoff waits, simulated


def test_a_504_on_a_big_query_halves_the_page_size_and_keeps_going(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.args["limit"] == "1000":
            return Response("Gateway Time-out", status=504)
        return Response(cdx_json([row("20200101000000", URL)]), content_type="application/json")

    httpserver.expect_request(CDX_PATH).respond_with_handler(handler)
    session, _ = manual_session()
    points: list[ResumePoint | None] = []
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, on_page=points.append))
    assert len(rows) == 1
    assert queries(httpserver)[-1]["limit"] == ["500"]
    # a run stopping before the first page came would still start at the smaller size
    assert points == [ResumePoint("ia-cdx", None, 500), None]


def test_a_504_mid_listing_keeps_the_rows_and_asks_again_from_the_same_key_at_half_size(
    httpserver: HTTPServer,
) -> None:
    def handler(request: Request) -> Response:
        key, limit = request.args.get("resumeKey"), request.args["limit"]
        if key is None:
            return Response(cdx_json([row("20200101000000", URL), row("20200201000000", URL)], "k1"))
        if limit == "1000":
            return Response("Gateway Time-out", status=504)
        return Response(cdx_json([row("20200301000000", URL)]), content_type="application/json")

    httpserver.expect_request(CDX_PATH).respond_with_handler(handler)
    session, _ = manual_session()
    points: list[ResumePoint | None] = []
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, on_page=points.append))
    assert [r.timestamp for r in rows] == ["20200101000000", "20200201000000", "20200301000000"]
    sent = [(q.get("resumeKey"), q["limit"]) for q in queries(httpserver)]
    # the 504 is asked once more (docs/protocols.md §8: on the 2nd attempt), then half the page, same key
    assert sent == [(None, ["1000"]), (["k1"], ["1000"]), (["k1"], ["1000"]), (["k1"], ["500"])]
    # where a run stopping at each moment would go on: k1, and after the halving k1 at 500
    assert points == [ResumePoint("ia-cdx", "k1", 1000), ResumePoint("ia-cdx", "k1", 500), None]


def test_a_504_that_outlasts_the_smallest_page_is_raised_after_the_rows_already_given(
    httpserver: HTTPServer,
) -> None:
    def handler(request: Request) -> Response:
        if request.args.get("resumeKey") is None:
            return Response(cdx_json([row("20200101000000", URL)], "k1"), content_type="application/json")
        return Response("Gateway Time-out", status=504)

    httpserver.expect_request(CDX_PATH).respond_with_handler(handler)
    session, _ = manual_session()
    got: list[str] = []
    points: list[ResumePoint | None] = []
    with pytest.raises(ServerError, match="answered HTTP 504 5 times"):
        for r in list_captures(session, ia_endpoint(httpserver), URL, page_size=400, on_page=points.append):
            got.append(r.timestamp)
    assert got == ["20200101000000"] and points[0] == ResumePoint("ia-cdx", "k1", 400)
    assert points[-1] == ResumePoint("ia-cdx", "k1", 100)  # the rows given and where to go on
    limits = [q["limit"][0] for q in queries(httpserver)[1:]]
    assert limits == ["400", "400", "200", "200", "100", "100", "100", "100", "100"]  # never below 100


def test_a_read_timeout_on_a_big_page_halves_it_from_the_same_resume_key() -> None:
    first = cdx_json([row("20200101000000", URL)], "k1").encode()
    last = cdx_json([row("20200201000000", URL)]).encode()
    json_head = {"Content-Type": "application/json"}
    server = RawServer(
        [respond("200 OK", json_head, first), stall, stall, respond("200 OK", json_head, last)]
    )
    try:
        session, _ = manual_session()
        endpoint = ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)
        rows = list(list_captures(session, endpoint, URL, page_size=1000, read_timeout=0.2))
        assert [r.timestamp for r in rows] == ["20200101000000", "20200201000000"]
        sent = [parse_qs(urlsplit(line.split()[1]).query) for line in server.requests]
        assert [(q.get("resumeKey"), q["limit"]) for q in sent] == [
            (None, ["1000"]),
            (["k1"], ["1000"]),
            (["k1"], ["1000"]),
            (["k1"], ["500"]),
        ]
    finally:
        server.close()


def test_a_cdx_page_that_never_answers_is_reported_as_a_timeout_not_a_lost_network() -> None:
    server = RawServer([], default=stall)
    try:
        session = Session(Pacer(clock=ManualClock()), retries=0)
        endpoint = ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)
        with pytest.raises(ServerTimeoutError, match="sent no answer within 0.1 s, once; .* try again"):
            list(list_captures(session, endpoint, URL, page_size=200, read_timeout=0.1))
        assert [parse_qs(urlsplit(line.split()[1]).query)["limit"] for line in server.requests] == [
            ["200"],
            ["100"],
        ]
    finally:
        server.close()


def test_a_listing_resumes_at_a_saved_key_and_page_size(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data(
        cdx_json([row("20200301000000", URL)]), content_type="application/json"
    )
    session, _ = manual_session()
    resume = ResumePoint("ia-cdx", "k1", 250)
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, resume=resume))
    assert [r.timestamp for r in rows] == ["20200301000000"]
    q = queries(httpserver)[0]
    assert q["resumeKey"] == ["k1"] and q["limit"] == ["250"]


def test_a_listing_resumed_in_the_robots_fallback_goes_on_in_the_timemap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/web/timemap/json").respond_with_data(
        cdx_json([row("20200301000000", URL)]), content_type="application/json"
    )
    session, _ = manual_session()
    resume = ResumePoint("ia-timemap", "k7", 1000)
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, resume=resume))
    assert [(r.timestamp, r.endpoint) for r in rows] == [("20200301000000", "ia-timemap")]
    assert [urlsplit(req.url).path for req, _ in httpserver.log] == ["/web/timemap/json"]  # no CDX
    assert queries(httpserver)[0]["resumeKey"] == ["k7"]


CDX_IN_FLIGHT = threading.Event()


def _stall_and_signal(conn: socket.socket) -> None:
    CDX_IN_FLIGHT.set()
    stall(conn)


def test_cancel_stops_a_slow_cdx_query_within_a_second() -> None:
    CDX_IN_FLIGHT.clear()
    server = RawServer([_stall_and_signal])
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def listing() -> None:
        session, _ = manual_session()
        endpoint = ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)
        try:
            list(list_captures(session, endpoint, URL, cancel=cancel))
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=listing)
    thread.start()
    try:
        assert CDX_IN_FLIGHT.wait(5)  # the CDX server has the query and is slow (120 s read timeout)
        started = time.monotonic()
        cancel.set()
        thread.join(3)
        assert not thread.is_alive() and time.monotonic() - started < 1.0
        assert len(outcome) == 1 and isinstance(outcome[0], CancelledError)
    finally:
        server.close()


def test_a_repeating_resume_key_stops_paging(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    pages = {
        None: cdx_json([row("20200101000000", URL)], "same"),
        "same": cdx_json([row("20200102000000", URL)], "same"),
    }
    httpserver.expect_request(CDX_PATH).respond_with_handler(
        lambda r: Response(pages[r.args.get("resumeKey")], content_type="application/json")
    )
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert len(rows) == 2 and len(httpserver.log) == 2
    assert "resume key repeated" in caplog.text


def test_a_resume_key_looping_back_to_an_earlier_page_stops_paging(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    pages = {
        None: cdx_json([row("20200101000000", URL)], "k1"),
        "k1": cdx_json([row("20200102000000", URL)], "k2"),
        "k2": cdx_json([row("20200103000000", URL)], "k1"),  # back to page 2: an endless cycle
    }
    httpserver.expect_request(CDX_PATH).respond_with_handler(
        lambda r: Response(pages[r.args.get("resumeKey")], content_type="application/json")
    )
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert [r.timestamp for r in rows] == ["20200101000000", "20200102000000", "20200103000000"]
    assert len(httpserver.log) == 3
    assert "resume key repeated ('k1' after page 3); stopped paging to avoid a loop" in caplog.text


def test_a_page_with_no_rows_but_a_new_resume_key_stops_paging(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    pages = {
        None: cdx_json([row("20200101000000", URL)], "k1"),
        "k1": cdx_json([], "k2"),  # no progress: nothing listed, yet "more to come"
        "k2": cdx_json([row("20200102000000", URL)], "k3"),
    }
    httpserver.expect_request(CDX_PATH).respond_with_handler(
        lambda r: Response(pages[r.args.get("resumeKey")], content_type="application/json")
    )
    session, _ = manual_session()
    points: list[ResumePoint | None] = []
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, on_page=points.append))
    assert [r.timestamp for r in rows] == ["20200101000000"]
    assert [q.get("resumeKey") for q in queries(httpserver)] == [None, ["k1"]]
    assert "CDX page 2 brought no rows, only a new resume key; stopped paging" in caplog.text
    assert "the listing may be incomplete" in caplog.text
    assert points == [ResumePoint("ia-cdx", "k1", 1000), None]  # nothing left to resume from


def test_a_page_ending_without_a_resume_key_is_the_last(httpserver: HTTPServer) -> None:
    body = json.dumps([*json.loads(cdx_json([row("20200101000000", URL)])), []])  # "[]" but no key row
    httpserver.expect_request(CDX_PATH).respond_with_data(body, content_type="application/json")
    session, _ = manual_session()
    assert len(list(list_captures(session, ia_endpoint(httpserver), URL))) == 1
    assert len(httpserver.log) == 1


def test_variants_are_grouped_under_one_policy_and_kept_on_each_row(httpserver: HTTPServer) -> None:
    body = cdx_json(
        [
            row("20200101000000", "http://example.com/privacy"),
            row("20200102000000", "https://www.example.com/privacy/"),
            row("20200103000000", "https://example.com/privacy?utm_source=news"),
            row("20200104000000", "https://example.com/privacy?lang=de"),  # another document
            row("20200105000000", "https://example.com/Privacy"),  # SURT collision: another path
        ]
    )
    httpserver.expect_request(CDX_PATH).respond_with_data(body, content_type="application/json")
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL))
    assert [r.original for r in rows] == [
        "http://example.com/privacy",
        "https://www.example.com/privacy/",
        "https://example.com/privacy?utm_source=news",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "mailto:a@example.com",
        "javascript:alert(1)",
        "data:text/html,hi",
        "http://",
        "ftp://example.com/x",
        "http://exa mple.com/",
        "http://example.com:99999/",
    ],
)
def test_bad_urls_are_refused_before_any_request(httpserver: HTTPServer, bad: str) -> None:
    session, _ = manual_session()
    with pytest.raises(InvalidURLError):
        list_captures(session, ia_endpoint(httpserver), bad)
    assert len(httpserver.log) == 0


def test_url_input_is_trimmed_fragment_dropped_and_idn_encoded(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data("[]", content_type="application/json")
    session, _ = manual_session()
    list(list_captures(session, ia_endpoint(httpserver), "  Bücher.de/datenschutz/привет?lang=de#cookies \n"))
    assert queries(httpserver)[0]["url"] == [
        "xn--bcher-kva.de/datenschutz/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82?lang=de"
    ]


def test_dates_are_padded_like_the_cdx_api_and_validated(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data("[]", content_type="application/json")
    session, _ = manual_session()
    list(list_captures(session, ia_endpoint(httpserver), URL, "2019", "202002"))
    q = queries(httpserver)[0]
    assert q["from"] == ["20190101000000"] and q["to"] == ["20200229235959"]
    for args in [("2021", "2020"), ("2020123", None), ("20x0", None), ("20201301", None)]:
        with pytest.raises(InvalidDateError):
            list_captures(session, ia_endpoint(httpserver), URL, *args)
    assert len(httpserver.log) == 1


def test_repair_timestamp() -> None:
    assert repair_timestamp("20000008241731") == "20000824173100"
    assert repair_timestamp("20000800241731") == "20000824173100"
    assert repair_timestamp("20200101000000") == "20200101000000"
    assert repair_timestamp("20201340000000") is None
    assert repair_timestamp("abc") is None


# --- pywb -------------------------------------------------------------------------------------


PYWB_LINES = "\n".join(
    [
        json.dumps(
            {
                "urlkey": "com,example)/privacy",
                "timestamp": "20190301120000",
                "url": URL,
                "mime": "text/html",
                "status": "200",
                "digest": "RQIU",
                "length": "619",
                "offset": "1586",
                "filename": "a.warc.gz",
            }
        ),
        json.dumps(
            {
                "urlkey": "com,example)/privacy",
                "timestamp": "20210111000000",
                "url": URL,
                "mime": "warc/revisit",
                "digest": "RQIU",
                "length": "450",
            }
        ),
        json.dumps(
            {
                "urlkey": "com,example)/privacy",
                "timestamp": "20200101000000",
                "url": URL,
                "mime": "text/html",
                "status": "200",
                "digest": "FUZZ",
                "is_fuzzy": "1",
            }
        ),
        '{"urlkey": "com,example)/privacy", "timestamp": "2021',  # corrupt last line (stream broke)
    ]
)


def test_pywb_ndjson_is_parsed_line_by_line_with_its_field_names() -> None:
    rows = parse_pywb_ndjson(PYWB_LINES.encode())
    assert [(r.timestamp, r.original, r.mimetype, r.status, r.digest) for r in rows] == [
        ("20190301120000", URL, "text/html", 200, "RQIU"),
        ("20210111000000", URL, "warc/revisit", None, "RQIU"),
    ]


def test_pywb_listing_sends_allow_fuzzy_false(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/coll/cdx").respond_with_data(PYWB_LINES, content_type="text/x-ndjson")
    session, _ = manual_session()
    endpoint = archive_endpoint(httpserver.url_for("/coll/"), "pywb")
    rows = list(list_captures(session, endpoint, URL, "2019"))
    assert len(rows) == 2
    q = queries(httpserver)[0]
    assert q["allowFuzzy"] == ["false"] and q["output"] == ["json"] and q["from"] == ["20190101000000"]


# --- Memento TimeMaps ---------------------------------------------------------------------------


def test_link_format_parser_handles_combined_rels_commas_and_extra_attributes() -> None:
    text = (
        '<http://a.example/x?a=1,2;b=3>; rel="original",\n'
        '<http://arch.example/web/20200101000000/http://a.example/x?a=1,2;b=3>;rel="first last memento";'
        ' datetime="Wed, 01 Jan 2020 00:00:00 GMT"; collection="c",'
        '<http://arch.example/web/timemap/link/2>; rel="timemap"; type="application/link-format"'
    )
    links = parse_link_format(text)
    assert [lk.uri for lk in links] == [
        "http://a.example/x?a=1,2;b=3",
        "http://arch.example/web/20200101000000/http://a.example/x?a=1,2;b=3",
        "http://arch.example/web/timemap/link/2",
    ]
    assert links[1].rels == {"first", "last", "memento"}
    assert links[1].param("collection") == "c"


@pytest.mark.parametrize(
    "value", ["Sun, 27 Apr 1997 19:12:01 GMT", "Sunday, 27-Apr-97 19:12:01 GMT", "Sun Apr 27 19:12:01 1997"]
)
def test_http_dates_in_rfc_1123_850_and_asctime(value: str) -> None:
    when = parse_http_date(value)
    assert when is not None and when.isoformat() == "1997-04-27T19:12:01+00:00"


def test_timemap_pages_are_followed_and_dates_read(httpserver: HTTPServer) -> None:
    prefix = httpserver.url_for("/arch/")
    page1 = (
        f'<{URL}>; rel="original",\n'
        f'<{prefix}timemap/link/{URL}>; rel="self"; type="application/link-format",\n'
        f'<{prefix}20200101000000/{URL}>; rel="first memento"; datetime="Wed, 01 Jan 2020 00:00:00 GMT",\n'
        f'<{prefix}20200601000000/http://www.example.com:80/privacy>; rel="memento"; '
        f'datetime="Mon, 01 Jun 2020 00:00:00 GMT",\n'
        f'<{prefix}timemap/link/2/{URL}>; rel="timemap"; type="application/link-format"'
    )
    page2 = (
        f'<{URL}>; rel="original",\n'
        f'<http://elsewhere.example/m/123>; rel="last memento"; datetime="Monday, 01-Feb-21 10:00:00 GMT"'
    )
    httpserver.expect_request(f"/arch/timemap/link/{URL}").respond_with_data(
        page1, content_type="application/link-format"
    )
    httpserver.expect_request(f"/arch/timemap/link/2/{URL}").respond_with_data(
        page2, content_type="application/link-format"
    )
    session, _ = manual_session()
    rows = list(list_captures(session, ArchiveEndpoint(prefix, ArchiveKind.TIMEMAP), URL))
    assert [(r.timestamp, r.original) for r in rows] == [
        ("20200101000000", URL),
        ("20200601000000", "http://www.example.com/privacy"),
        ("20210201100000", URL),
    ]
    assert all(r.digest is None and r.status is None for r in rows)


def test_timemap_pages_are_followed_at_most_20_times(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = httpserver.url_for("/arch/")

    def handler(request: Request) -> Response:
        m = re.match(r"^/arch/timemap/link/(?:(\d+)/)?", request.path)
        assert m is not None
        n = int(m.group(1) or 0)
        when = datetime(2020, 1, 1) + timedelta(days=n)
        return Response(
            f'<{prefix}{from_datetime(when)}/{URL}>; rel="memento"; '
            f'datetime="{when:%a, %d %b %Y %H:%M:%S} GMT",\n'
            f'<{prefix}timemap/link/{n + 1}/{URL}>; rel="timemap"',  # every page links one more
            content_type="application/link-format",
        )

    httpserver.expect_request(re.compile(r"^/arch/timemap/link/.*")).respond_with_handler(handler)
    session, _ = manual_session()
    rows = list(list_captures(session, ArchiveEndpoint(prefix, ArchiveKind.TIMEMAP), URL))
    assert MAX_TIMEMAP_PAGES == 20
    assert len(httpserver.log) == 20 and len(rows) == 20
    assert rows[-1].timestamp == "20200120000000"
    assert "stopped after 20 TimeMap pages (the cap), 1 more not followed" in caplog.text


def test_auto_kind_falls_back_to_the_timemap_when_there_is_no_pywb_cdx(httpserver: HTTPServer) -> None:
    prefix = httpserver.url_for("/m/")
    httpserver.expect_request("/m/cdx").respond_with_data("nope", status=404, content_type="text/html")
    httpserver.expect_request(f"/m/timemap/link/{URL}").respond_with_data(
        f'<{prefix}20200101000000/{URL}>; rel="memento"; datetime="Wed, 01 Jan 2020 00:00:00 GMT"'
    )
    session, _ = manual_session()
    rows = list(list_captures(session, archive_endpoint(prefix), URL))
    assert [r.endpoint for r in rows] == ["timemap"]


def test_an_unknown_url_in_a_timemap_archive_is_no_rows(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/m/timemap/link/{URL}").respond_with_data("", status=404)
    session, _ = manual_session()
    assert (
        list(list_captures(session, ArchiveEndpoint(httpserver.url_for("/m/"), ArchiveKind.TIMEMAP), URL))
        == []
    )


def test_parse_timemap_ignores_non_memento_links() -> None:
    ep = ArchiveEndpoint("http://a.example/web/", ArchiveKind.TIMEMAP)
    rows, pages = parse_timemap('<http://a.example/web/>; rel="timegate", <x>; rel="self timemap"', ep)
    assert rows == [] and pages == []


def test_archive_prefixes() -> None:
    assert archive_endpoint().kind is ArchiveKind.IA
    ia = archive_endpoint("https://web.archive.org/web")
    assert (
        ia.prefix == "https://web.archive.org/web/" and ia.cdx_url == "https://web.archive.org/cdx/search/cdx"
    )
    assert ia.replay_url("20200101000000", URL) == f"https://web.archive.org/web/20200101000000id_/{URL}"
    pywb = archive_endpoint("http://127.0.0.1:8080/coll/")
    assert pywb.kind is ArchiveKind.AUTO and pywb.cdx_url == "http://127.0.0.1:8080/coll/cdx"
    assert pywb.timemap_url(URL) == f"http://127.0.0.1:8080/coll/timemap/link/{URL}"
    assert ia.parse_replay_url(f"http://web.archive.org/web/2020id_/{URL}") == ("2020", "id_", URL)
    for bad in ["ftp://x/", "web.archive.org/web/", "https://web.archive.org/web/?x=1"]:
        with pytest.raises(InvalidURLError):
            archive_endpoint(bad)


@pytest.mark.parametrize(
    "raw,encoded",
    [
        ("https://example.cn/隐私政策", "example.cn/%E9%9A%90%E7%A7%81%E6%94%BF%E7%AD%96"),
        ("https://example.com/privacy/🍪", "example.com/privacy/%F0%9F%8D%AA"),
        ("HTTPS://Example.COM/Privacy", "example.com/Privacy"),
    ],
)
def test_cjk_emoji_and_mixed_case_urls_are_encoded_for_the_query(
    httpserver: HTTPServer, raw: str, encoded: str
) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data("[]", content_type="application/json")
    session, _ = manual_session()
    list(list_captures(session, ia_endpoint(httpserver), raw))
    assert queries(httpserver)[0]["url"] == [encoded]


def test_the_row_cap_stops_a_runaway_listing_with_a_warning(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = cdx_json([row(f"2020010{d}000000", URL) for d in range(1, 6)])
    httpserver.expect_request(CDX_PATH).respond_with_data(body, content_type="application/json")
    session, _ = manual_session()
    rows = list(list_captures(session, ia_endpoint(httpserver), URL, max_rows=3))
    assert len(rows) == 3 and "stopped listing after 3 captures" in caplog.text


def test_the_default_cap_is_100k_rows_and_stops_the_paging(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    per_page, pages = 30_000, 5  # 150k distinct captures; the cap falls inside page 4
    start = datetime(2000, 1, 1)
    stamps = [from_datetime(start + timedelta(minutes=i)) for i in range(per_page * pages)]
    bodies = {
        None if p == 0 else f"k{p}": cdx_json(
            [row(ts, URL) for ts in stamps[p * per_page : (p + 1) * per_page]],
            f"k{p + 1}" if p + 1 < pages else None,
        )
        for p in range(pages)
    }
    httpserver.expect_request(CDX_PATH).respond_with_handler(
        lambda r: Response(bodies[r.args.get("resumeKey")], content_type="application/json")
    )
    session, _ = manual_session()
    count = sum(1 for _ in list_captures(session, ia_endpoint(httpserver), URL, page_size=per_page))
    assert MAX_ROWS == 100_000 and count == 100_000
    assert "stopped listing after 100000 captures (the per-job cap); narrow --from/--to" in caplog.text
    assert len(httpserver.log) == 4  # page 5 is never asked for


def test_an_html_page_instead_of_a_timemap_means_the_archive_is_unavailable(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/m/timemap/link/{URL}").respond_with_data(
        "<!DOCTYPE html><html><body>Please complete the security check</body></html>",
        content_type="text/html",
    )
    session, _ = manual_session()
    with pytest.raises(
        ArchiveResponseError, match="answered a web page instead of a TimeMap .* unavailable now"
    ):
        list(list_captures(session, ArchiveEndpoint(httpserver.url_for("/m/"), ArchiveKind.TIMEMAP), URL))


def test_filters_and_collapse_are_passed_to_the_ia_cdx_server(httpserver: HTTPServer) -> None:
    httpserver.expect_request(CDX_PATH).respond_with_data("[]", content_type="application/json")
    session, _ = manual_session()
    list(
        list_captures(
            session,
            ia_endpoint(httpserver),
            URL,
            filters=("statuscode:200", "!mimetype:warc/revisit"),
            collapse=("digest", "timestamp:10"),
        )
    )
    q = queries(httpserver)[0]
    assert q["filter"] == ["statuscode:200", "!mimetype:warc/revisit"]
    assert q["collapse"] == ["digest", "timestamp:10"]
