"""The resumable fetch job and the `captures` / `fetch` commands, against an IA-shaped local server."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from client_support import (
    CDX_PATH,
    FakeIA,
    RawServer,
    brotli_stored,
    cdx_json,
    chunks,
    manual_session,
    memento_headers,
    respond,
    respond_chunked,
    respond_then_stall,
    row,
    stall,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
from archiver.client.jobs import FetchJob, run_fetch
from archiver.client.pacer import ManualClock, Pacer
from archiver.client.session import ServerError, ServerTimeoutError, Session
from archiver.errors import CancelledError, ConnectionBlockedError
from archiver.models import Source
from archiver.storage import Archive

URL = "https://example.com/privacy"


def page(n: int) -> bytes:
    return f"<html><body><h1>Privacy policy</h1><p>Version {n}.</p></body></html>".encode()


def four_captures(fake: FakeIA) -> FakeIA:
    fake.add("20200101000000", URL, page(1), digest="A")
    fake.add("20200201000000", "http://www.example.com/privacy", page(2), digest="B")
    fake.add_revisit("20200301000000", URL, "B", page(2))
    fake.add("20200401000000", URL, b"<html>Not found</html>", status=404, digest="C")
    return fake


@pytest.fixture
def ia(httpserver: HTTPServer) -> FakeIA:
    return four_captures(FakeIA(httpserver))


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A server that answers while another of its requests is held (a stalled CDX page)."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def arc(tmp_path: Path) -> Iterator[Archive]:
    with Archive.open(tmp_path / "archive") as archive:
        yield archive


@pytest.fixture
def simulated_time(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """The commands use the process-wide pacer: give it simulated time."""
    clock = ManualClock()
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=clock))
    return clock


def job(arc: Archive, ia: FakeIA, **kw: object) -> FetchJob:
    session, _ = manual_session()
    return FetchJob(arc, session, ArchiveEndpoint(ia.prefix, ArchiveKind.IA), URL, **kw)  # type: ignore[arg-type]


def test_fetch_stores_every_capture_with_provenance_and_reuses_revisits(arc: Archive, ia: FakeIA) -> None:
    summary = run_fetch(job(arc, ia))
    assert (summary.listed, summary.downloaded, summary.reused, summary.skipped, summary.failed) == (
        4,
        3,
        1,
        0,
        (),
    )
    policy = arc.get_policy(URL)
    caps = arc.captures(policy.id)
    assert [(c.timestamp, c.original_url, c.http_status) for c in caps] == [
        ("20200101000000", URL, 200),
        ("20200201000000", "http://www.example.com/privacy", 200),  # the variant is kept
        ("20200301000000", URL, 200),
        ("20200401000000", URL, 404),
    ]
    assert caps[0].sha256 == hashlib.sha256(page(1)).hexdigest() and caps[0].source is Source.WAYBACK
    assert caps[0].memento_url.endswith(f"/web/20200101000000id_/{URL}")
    assert ("X-Archive-Orig-Server", "nginx") in caps[0].headers
    assert "X-Archive-Src: crawl-20200101" in caps[0].provenance
    assert caps[2].sha256 == caps[1].sha256 and "revisit of 20200201000000" in caps[2].provenance
    assert "error-page" in caps[3].flags
    assert len(ia.memento_requests) == 3  # the revisit's bytes were not downloaded again
    assert arc.read_body(caps[1]) == page(2)


def test_exact_url_only_leaves_out_the_variants_and_says_how_many(
    arc: Archive, ia: FakeIA, tmp_path: Path, simulated_time: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = run_fetch(job(arc, ia, exact=True))
    # the http://www. capture is another variant; the revisit of its digest goes with it
    assert (summary.listed, summary.left_out, summary.downloaded, summary.suggestions) == (3, 1, 3, ())
    caps = arc.captures(arc.get_policy(URL).id)
    assert [c.original_url for c in caps] == [URL, URL, URL]
    assert "http://www.example.com/privacy" not in "".join(f"{r}" for r in ia.memento_requests)
    argv = [
        "--archive",
        str(tmp_path / "a"),
        "captures",
        URL,
        "--archive-url",
        ia.prefix,
        "--archive-kind",
        "ia",
    ]
    argv.append("--exact-url")
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out.count(URL) == 3 and "www." not in out
    assert "1 captures of other variants of this URL left out (--exact-url)" in err
    assert main(argv[:-1] + ["--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4  # without --exact-url: every variant


def test_a_second_fetch_downloads_nothing(arc: Archive, ia: FakeIA) -> None:
    run_fetch(job(arc, ia))
    before = len(ia.memento_requests)
    summary = run_fetch(job(arc, ia))
    assert (summary.downloaded, summary.skipped) == (0, 4)
    assert len(ia.memento_requests) == before


def test_a_cancelled_job_resumes_where_it_stopped(arc: Archive, ia: FakeIA) -> None:
    cancel = threading.Event()
    first = job(arc, ia, cancel=cancel)
    with pytest.raises(CancelledError, match="cancelled; everything downloaded so far is kept"):
        for progress in first.run():
            if progress.done == 1:
                cancel.set()
    assert len(ia.memento_requests) == 1
    summary = run_fetch(job(arc, ia))
    assert (summary.skipped, summary.downloaded, summary.reused) == (1, 2, 1)
    assert len(ia.memento_requests) == 3  # nothing downloaded twice


def test_a_crashed_job_resumes_without_downloading_twice(arc: Archive, ia: FakeIA) -> None:
    progress = job(arc, ia).run()
    for p in progress:  # the process dies after the second capture: the generator is abandoned
        if p.done == 2:
            break
    progress.close()
    assert len(ia.memento_requests) == 2
    summary = run_fetch(job(arc, ia))
    assert summary.skipped == 2 and len(ia.memento_requests) == 3


def test_failures_are_reported_and_error_pages_never_stored(arc: Archive, ia: FakeIA) -> None:
    ia.add("20200501000000", URL, b"<p>This URL has been excluded from the Wayback Machine.</p>")
    ia.pages[("20200501000000", URL)][1].pop("Memento-Datetime")
    ia.rows.append(["k", "20200601000000", URL, "text/html", "200", "Z", "1"])  # listed, not replayable
    summary = run_fetch(job(arc, ia))
    assert summary.downloaded == 3 and len(summary.failed) == 2
    reasons = {f.timestamp: f.reason for f in summary.failed}
    assert "excluded from the Wayback Machine" in reasons["20200501000000"]
    assert "has no capture of" in reasons["20200601000000"]
    stamps = [c.timestamp for c in arc.captures(arc.get_policy(URL).id)]
    assert "20200501000000" not in stamps and "20200601000000" not in stamps


def test_captures_command_json(
    ia: FakeIA, tmp_path: Path, simulated_time: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--archive",
            str(tmp_path / "a"),
            "captures",
            URL,
            "--archive-url",
            ia.prefix,
            "--archive-kind",
            "ia",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["timestamp"] for r in out] == [
        "20200101000000",
        "20200201000000",
        "20200301000000",
        "20200401000000",
    ]
    assert set(out[0]) >= {"timestamp", "original", "status", "mimetype", "digest"}
    assert out[2]["status"] is None and out[2]["mimetype"] == "warc/revisit"
    assert ia.memento_requests == []  # listing downloads nothing


def test_captures_command_says_when_nothing_is_found(
    httpserver: HTTPServer, tmp_path: Path, simulated_time: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    FakeIA(httpserver)
    code = main(
        [
            "--archive",
            str(tmp_path / "a"),
            "captures",
            URL,
            "--archive-url",
            httpserver.url_for("/web/"),
            "--archive-kind",
            "ia",
        ]
    )
    assert code == 0
    assert "No captures found for" in capsys.readouterr().err


def test_fetch_command_json_summary_and_exit_code(
    ia: FakeIA, tmp_path: Path, simulated_time: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    ia.rows.append(["k", "20200601000000", URL, "text/html", "200", "Z", "1"])
    argv = [
        "--archive",
        str(tmp_path / "a"),
        "fetch",
        URL,
        "--archive-url",
        ia.prefix,
        "--archive-kind",
        "ia",
        "--json",
        "--every-capture",  # this test is about downloading every capture
    ]
    assert main(argv) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["listed"], out["downloaded"], out["skipped"], out["failed"]) == (5, 3, 0, 1)
    assert (
        out["failures"][0]["timestamp"] == "20200601000000"
        and "has no capture" in out["failures"][0]["reason"]
    )
    assert "[1/5]" in captured.err  # progress on stderr
    ia.rows.pop()
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 4


@pytest.mark.parametrize(
    "argv,message",
    [
        (["captures", "mailto:dpo@example.com"], "not a web page URL"),
        (["captures", URL, "--from", "2021", "--to", "2020"], "--from is after --to"),
        (["fetch", URL, "--from", "2020123"], "bad date"),
        (["fetch", URL, "--archive-url", "ftp://x/"], "replay prefix"),
    ],
)
def test_bad_input_is_refused_with_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--archive", str(tmp_path / "a"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def _archived_redirect(httpserver: HTTPServer, target: str) -> FakeIA:
    """An archive that lists URL once, at 2020-01-01: an archived 301 to ``target`` (digest "R")."""
    fake = FakeIA(httpserver)
    fake.add(
        "20200101000000",
        URL,
        b"moved",
        status=301,
        digest="R",
        headers={"Location": httpserver.url_for(f"/web/20200101000000id_/{target}")},
    )
    return fake


def test_an_archived_redirect_is_stored_as_evidence_and_the_target_labelled(
    arc: Archive, httpserver: HTTPServer
) -> None:
    target = "https://example.com/legal/privacy"
    fake = _archived_redirect(httpserver, target)
    fake.add("20200101000000", target, page(1), listed=False)
    summary = run_fetch(job(arc, fake))
    assert summary.downloaded == 1 and summary.failed == ()
    caps = arc.captures(arc.get_policy(URL).id)
    redirect = next(c for c in caps if c.http_status == 301)
    content = next(c for c in caps if c.http_status == 200)
    assert redirect.original_url == URL and "archived redirect to" in redirect.provenance
    assert content.original_url == target and arc.read_body(content) == page(1)
    assert content.provenance.startswith(f"via redirect from {URL} at 20200101000000, content captured at")
    assert content.redirects == (f"{fake.prefix}20200101000000id_/{URL}",)


def test_a_network_loss_stops_the_job_and_the_next_run_resumes(
    arc: Archive, ia: FakeIA, httpserver: HTTPServer
) -> None:
    from archiver.errors import NetworkError

    progress = job(arc, ia).run()
    with pytest.raises(NetworkError, match="check the network connection and run the command again"):
        for p in progress:
            if p.done == 1:
                httpserver.stop()  # the laptop goes offline after the first capture
    assert len(ia.memento_requests) == 1
    httpserver.start()
    summary = run_fetch(job(arc, ia))
    assert (summary.skipped, summary.downloaded, summary.reused) == (1, 2, 1)
    assert len(ia.memento_requests) == 3


def test_a_429_met_while_looking_for_nearby_urls_is_kept_for_the_next_run(
    arc: Archive, httpserver: HTTPServer
) -> None:
    def cdx(request: Request) -> Response:
        if request.args.get("matchType") == "prefix":
            return Response("slow down", status=429)
        return Response(cdx_json([]), content_type="application/json")  # nothing under the URL

    httpserver.expect_request(CDX_PATH).respond_with_handler(cdx)
    session, _ = manual_session()
    endpoint = ArchiveEndpoint(httpserver.url_for("/web/"), ArchiveKind.IA)
    summary = run_fetch(FetchJob(arc, session, endpoint, "https://example.com/legal/privacy"))
    assert (summary.listed, summary.suggestions) == (0, ())
    assert sum(1 for r, _ in httpserver.log if r.args.get("matchType") == "prefix") == 1  # asked once
    assert arc.job_get("pacer breakers")["open"]  # type: ignore[index]  # the pause outlives the process


def test_a_firewall_block_outlives_the_process_and_stops_the_next_job_at_once(
    arc: Archive, ia: FakeIA
) -> None:
    session, clock = manual_session()
    host = ArchiveEndpoint(ia.prefix, ArchiveKind.IA).host
    session.pacer.on_429(host, "memento")
    clock.advance(30)
    with pytest.raises(ConnectionBlockedError):
        session.pacer.on_connection_failure(host, "memento")
    first = FetchJob(arc, session, ArchiveEndpoint(ia.prefix, ArchiveKind.IA), URL)
    with pytest.raises(ConnectionBlockedError):  # the same process: the breaker is open
        run_fetch(first)
    assert arc.job_get("pacer breakers")["open"]  # type: ignore[index]
    requests_before = ia.cdx_requests + len(ia.memento_requests)
    later = job(arc, ia)  # a new process: a fresh pacer, same wall clock
    with pytest.raises(ConnectionBlockedError, match="refusing connections .* retry after 01:00 UTC"):
        run_fetch(later)
    assert ia.cdx_requests + len(ia.memento_requests) == requests_before  # nothing sent


WAYBACK = "org.archive.wayback.exception."


def test_archive_notices_are_failures_named_by_their_classification_and_never_stored(
    arc: Archive, ia: FakeIA
) -> None:
    generic = b"<html><title>Wayback Machine</title><p>Hrm.</p></html>"
    ia.add_notice(
        "20200501000000",
        URL,
        generic,
        {"X-Archive-Wayback-Runtime-Error": WAYBACK + "AdministrativeAccessControlException: Blocked Site"},
    )
    ia.add_notice(
        "20200601000000",
        URL,
        generic,
        {"X-Archive-Wayback-Runtime-Error": WAYBACK + "LiveDocumentNotAvailableException: Live document"},
    )
    ia.add_notice("20200701000000", URL, b"<html>The Wayback Machine is down for maintenance</html>")
    first = job(arc, ia)
    summary = run_fetch(first)
    reasons = {f.timestamp: f.reason for f in summary.failed}
    assert set(reasons) == {"20200501000000", "20200601000000", "20200701000000"}
    assert "the archive will not serve" in reasons["20200501000000"]
    assert "excluded from the Wayback Machine" in reasons["20200501000000"]
    assert (
        "(the archive reported LiveDocumentNotAvailableException: Live document)" in reasons["20200601000000"]
    )
    assert "(a maintenance notice; try again later)" in reasons["20200701000000"]
    for ts in ("20200601000000", "20200701000000"):
        assert "without Memento-Datetime" in reasons[ts] and reasons[ts].endswith("nothing stored")
    stored = [c.timestamp for c in arc.captures(arc.get_policy(URL).id)]
    assert stored == ["20200101000000", "20200201000000", "20200301000000", "20200401000000"]
    state = arc.job_get(first.key)
    assert state is not None and state["complete"] is False
    assert {f["timestamp"]: f["reason"] for f in state["failures"]} == reasons  # the saved diagnostic


def test_a_brotli_capture_is_a_failure_that_says_so_and_is_not_stored(arc: Archive, ia: FakeIA) -> None:
    ia.add("20200501000000", URL, brotli_stored(page(5)), digest="E", headers={"Content-Encoding": "br"})
    summary = run_fetch(job(arc, ia))
    assert [(f.timestamp, f.reason.split(": ", 1)[1]) for f in summary.failed] == [
        (
            "20200501000000",
            "the archive sent a brotli-compressed body (Content-Encoding: br) although policydiff asked "
            "for an uncompressed one, and policydiff cannot decode brotli; not stored",
        )
    ]
    assert "20200501000000" not in [c.timestamp for c in arc.captures(arc.get_policy(URL).id)]
    assert summary.downloaded == 3


def test_a_brotli_redirect_hop_does_not_fail_the_capture_it_leads_to(
    arc: Archive, httpserver: HTTPServer
) -> None:
    fake = FakeIA(httpserver)
    target = "https://example.com/legal/privacy"
    fake.add(
        "20200101000000",
        URL,
        brotli_stored(b"<html>moved</html>"),
        status=301,
        digest="R",
        headers={
            "Location": httpserver.url_for(f"/web/20200101000000id_/{target}"),
            "Content-Encoding": "br",
        },
    )
    fake.add("20200101000000", target, page(1), listed=False)
    summary = run_fetch(job(arc, fake))
    assert (summary.downloaded, summary.failed) == (1, ())
    caps = arc.captures(arc.get_policy(URL).id)
    assert sorted(c.http_status for c in caps) == [200, 301]
    content = next(c for c in caps if c.http_status == 200)
    assert arc.read_body(content) == page(1)


@pytest.mark.parametrize("fault", ["504", "read-timeout"])
def test_a_listing_that_fails_part_way_keeps_its_rows_and_resume_key_and_the_next_run_goes_on(
    arc: Archive, threaded_server: HTTPServer, fault: str
) -> None:
    fake = four_captures(FakeIA(threaded_server, page_size=2))
    released = threading.Event()

    def second_page_fails(request: Request) -> Response | None:
        if "resumeKey" not in request.args:
            return None
        if fault == "read-timeout":
            released.wait(10)  # answer nothing until the client has long given up
        return Response("Gateway Time-out", status=504)

    fake.cdx_fault = second_page_fails
    session = Session(Pacer(clock=ManualClock()), retries=0 if fault == "read-timeout" else 4)
    endpoint = ArchiveEndpoint(fake.prefix, ArchiveKind.IA)
    first = FetchJob(arc, session, endpoint, URL, listing_read_timeout=0.2)
    error = ServerTimeoutError if fault == "read-timeout" else ServerError
    try:
        with pytest.raises(error, match="try again later \\(a fetch resumes where it stopped\\)"):
            run_fetch(first)
    finally:
        released.set()
    assert fake.memento_requests == []
    limits = [q["limit"] for q in fake.cdx_queries if q.get("resumeKey") == "page-2"]
    assert limits[0] == "1000" and limits[-1] == "100"  # smaller pages were tried first
    state = arc.job_get(first.key)
    assert state is not None
    assert state["listing"]["resume"] == {"endpoint": "ia-cdx", "key": "page-2", "page_size": 100}
    assert [r[0] for r in state["listing"]["rows"]] == ["20200101000000", "20200201000000"]

    fake.cdx_fault = None
    asked = len(fake.cdx_queries)
    again = job(arc, fake)
    messages = [p.message for p in again.run()]
    assert [(q.get("resumeKey"), q["limit"]) for q in fake.cdx_queries[asked:]] == [("page-2", "100")]
    assert "resuming the listing after 2 captures" in messages
    assert again.summary is not None
    assert (again.summary.listed, again.summary.downloaded, again.summary.reused) == (4, 3, 1)
    assert again.summary.failed == ()
    state = arc.job_get(again.key)
    assert state is not None and "listing" not in state and state["complete"] is True


def test_a_listing_with_another_date_range_does_not_take_up_a_saved_resume_key(
    arc: Archive, ia: FakeIA
) -> None:
    first = job(arc, ia)
    arc.job_put(
        first.key,
        {
            "listing": {
                "url": URL,
                "archive": ia.prefix,
                "from": "20190101000000",
                "to": None,
                "resume": {"endpoint": "ia-cdx", "key": "old", "page_size": 100},
                "rows": [["20190101000000", URL, "text/html", 200, "Z", 1, "", "ia-cdx"]],
            }
        },
    )
    summary = run_fetch(first)  # no --from: the saved listing is of another query
    assert summary.listed == 4 and "resumeKey" not in ia.cdx_queries[0]


def _saved(fake: FakeIA, key: str | None, *stamps: str, url: str = URL, size: int = 2) -> dict[str, Any]:
    """A job state whose listing stopped after ``stamps``, to go on at ``key``."""
    return {
        "listing": {
            "url": url,
            "archive": fake.prefix,
            "from": None,
            "to": None,
            "resume": {"endpoint": "ia-cdx", "key": key, "page_size": size},
            "rows": [[ts, URL, "text/html", 200, f"D{ts}", 1000, "", "ia-cdx"] for ts in stamps],
        }
    }


def test_a_resume_key_the_archive_refuses_is_dropped_and_the_listing_starts_again_at_once(
    arc: Archive, httpserver: HTTPServer
) -> None:
    fake = four_captures(FakeIA(httpserver, page_size=2))
    fake.cdx_fault = lambda request: (
        Response("Invalid resumeKey: expired", status=400)
        if request.args.get("resumeKey") == "expired"
        else None
    )
    first = job(arc, fake)
    arc.job_put(first.key, _saved(fake, "expired", "20200101000000"))
    messages = [p.message for p in first.run()]
    assert [q.get("resumeKey") for q in fake.cdx_queries] == ["expired", None, "page-2"]
    assert "the archive refused the saved resume key; listing from the first page" in messages
    assert first.summary is not None and (first.summary.listed, first.summary.failed) == (4, ())
    state = arc.job_get(first.key)
    assert state is not None and "listing" not in state and state["complete"] is True


def test_a_listing_the_archive_refuses_is_not_saved_so_the_next_run_is_not_stuck_on_it(
    arc: Archive, httpserver: HTTPServer
) -> None:
    from archiver.errors import ArchiveResponseError

    fake = four_captures(FakeIA(httpserver, page_size=2))
    fake.cdx_fault = lambda request: Response("Bad request", status=400)
    first = job(arc, fake)
    arc.job_put(first.key, _saved(fake, "expired", "20200101000000"))
    with pytest.raises(ArchiveResponseError, match="CDX server answered HTTP 400"):
        run_fetch(first)  # the saved key refused, and the first page too: give up, no loop
    assert [q.get("resumeKey") for q in fake.cdx_queries] == ["expired", None]
    state = arc.job_get(first.key)
    assert state is not None and "listing" not in state

    # a refusal after a page of this run: the rows are not saved to resume from either
    fake.cdx_fault = lambda request: (
        Response("Bad request", status=400) if "resumeKey" in request.args else None
    )
    with pytest.raises(ArchiveResponseError):
        run_fetch(job(arc, fake))
    state = arc.job_get(first.key)
    assert state is not None and "listing" not in state
    fake.cdx_fault = None
    asked = len(fake.cdx_queries)
    assert run_fetch(job(arc, fake)).listed == 4
    assert fake.cdx_queries[asked].get("resumeKey") is None  # from the first page


def test_a_saved_listing_of_another_variant_of_the_url_is_not_resumed(
    arc: Archive, httpserver: HTTPServer
) -> None:
    fake = four_captures(FakeIA(httpserver, page_size=2))
    fake.cdx_fault = lambda request: (
        Response("Gateway Time-out", status=504) if "resumeKey" in request.args else None
    )
    endpoint = ArchiveEndpoint(fake.prefix, ArchiveKind.IA)
    variant = FetchJob(arc, manual_session()[0], endpoint, "https://www.example.com/privacy/")
    with pytest.raises(ServerError):
        run_fetch(variant)  # stops on its second page, saving its resume key
    assert variant.key == job(arc, fake).key  # one policy, one job record
    state = arc.job_get(variant.key)
    assert state is not None and state["listing"]["url"] == "https://www.example.com/privacy/"

    fake.cdx_fault = None
    asked = len(fake.cdx_queries)
    summary = run_fetch(job(arc, fake))  # another query URL: the variant's key is not its to use
    assert fake.cdx_queries[asked].get("resumeKey") is None
    assert fake.cdx_queries[asked]["url"] == "example.com/privacy"
    assert summary.listed == 4


def test_a_first_page_that_times_out_at_every_size_keeps_the_smallest_size_for_the_next_run(
    arc: Archive, ia: FakeIA
) -> None:
    ia.cdx_fault = lambda request: Response("Gateway Time-out", status=504)
    first = job(arc, ia)
    with pytest.raises(ServerError, match="answered HTTP 504"):
        run_fetch(first)
    assert [q["limit"] for q in ia.cdx_queries][:3] == ["1000", "1000", "500"]
    state = arc.job_get(first.key)
    assert state is not None
    assert state["listing"]["resume"] == {"endpoint": "ia-cdx", "key": None, "page_size": 100}
    assert state["listing"]["rows"] == []

    ia.cdx_fault = None
    asked = len(ia.cdx_queries)
    again = job(arc, ia)
    messages = [p.message for p in again.run()]
    assert [(q.get("resumeKey"), q["limit"]) for q in ia.cdx_queries[asked:]] == [(None, "100")]
    assert "listing in pages of 100 rows, as the last run had to" in messages
    assert again.summary is not None and again.summary.listed == 4
    state = arc.job_get(again.key)
    assert state is not None and "listing" not in state


def _listing(*stamps: str) -> Callable[[socket.socket], None]:
    body = cdx_json([row(ts, URL) for ts in stamps]).encode()
    return respond("200 OK", {"Content-Type": "application/json"}, body)


def _memento(ts: str, body: bytes) -> Callable[[socket.socket], None]:
    return respond("200 OK", {**memento_headers(ts, URL), "Content-Type": "text/html"}, body)


BROKEN: dict[str, tuple[Callable[[socket.socket], None], str]] = {
    "stalled": (
        respond_then_stall("200 OK", memento_headers("20200101000000", URL), page(1) * 100, send=40),
        "body incomplete (stalled, no data for 0.2 s after 40 of 6",
    ),
    "broken-chunking": (
        respond_chunked(
            "200 OK", memento_headers("20200101000000", URL), chunks(page(1)[:20], end=False) + b"zz\r\n"
        ),
        "body incomplete (broken chunked transfer encoding after 20 bytes)",
    ),
}


@pytest.mark.parametrize("broken,reason", BROKEN.values(), ids=BROKEN.keys())
def test_a_body_that_keeps_breaking_off_is_a_failed_attempt_with_its_reason_and_nothing_is_stored(
    arc: Archive, broken: Callable[[socket.socket], None], reason: str
) -> None:
    t1, t2 = "20200101000000", "20200201000000"
    server = RawServer([_listing(t1, t2), broken, broken, broken, _memento(t2, page(2))])
    try:
        session, _ = manual_session()
        endpoint = ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)
        the_job = FetchJob(arc, session, endpoint, URL, read_timeout=0.2)
        summary = run_fetch(the_job)
        assert all(f"/web/{t1}id_/" in line for line in server.requests[1:4])  # three tries, then on
        assert (summary.listed, summary.downloaded, [f.timestamp for f in summary.failed]) == (2, 1, [t1])
        assert reason in summary.failed[0].reason and summary.failed[0].reason.endswith("; not stored")
        assert [c.timestamp for c in arc.captures(arc.get_policy(URL).id)] == [t2]
        state: dict[str, Any] | None = arc.job_get(the_job.key)
        assert state is not None and state["failures"] == [
            {"timestamp": t1, "original": URL, "reason": summary.failed[0].reason}
        ]
    finally:
        server.close()


def test_a_memento_the_archive_does_not_answer_is_a_failure_and_the_job_goes_on(arc: Archive) -> None:
    t1, t2, t3 = "20200101000000", "20200201000000", "20200301000000"
    server = RawServer(
        [_listing(t1, t2, t3), stall, _memento(t2, page(2)), _memento(t3, page(3))]
        + [_listing(t1, t2, t3), _memento(t1, page(1))]
    )
    try:
        endpoint = ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)
        session = Session(Pacer(clock=ManualClock()), retries=0)
        first = FetchJob(arc, session, endpoint, URL, read_timeout=0.2)
        summary = run_fetch(first)
        assert (summary.downloaded, [f.timestamp for f in summary.failed]) == (2, [t1])
        assert "sent no answer within 0.2 s, once" in summary.failed[0].reason
        assert [c.timestamp for c in arc.captures(arc.get_policy(URL).id)] == [t2, t3]
        summary = run_fetch(FetchJob(arc, manual_session()[0], endpoint, URL))
        assert (summary.skipped, summary.downloaded, summary.failed) == (2, 1, ())
        assert server.connections == 6
    finally:
        server.close()


def test_three_memento_timeouts_in_a_row_stop_the_job_and_the_next_run_resumes(arc: Archive) -> None:
    t1, t2, t3, t4, t5 = (f"2020{m:02d}01000000" for m in range(1, 6))
    server = RawServer(
        [_listing(t1, t2, t3, t4, t5), stall, _memento(t2, page(2)), stall, stall, stall]
        + [_listing(t1, t2, t3, t4, t5), *(_memento(t, page(i)) for i, t in enumerate((t1, t3, t4, t5)))]
    )
    try:
        endpoint = ArchiveEndpoint(server.url("/web/"), ArchiveKind.IA)
        first = FetchJob(arc, Session(Pacer(clock=ManualClock()), retries=0), endpoint, URL, read_timeout=0.2)
        with pytest.raises(ServerTimeoutError, match="sent no answer within 0.2 s, once"):
            run_fetch(first)  # t1 alone is a failure; t3, t4, t5 in a row: the archive is overloaded
        state = arc.job_get(first.key)
        assert state is not None and [f["timestamp"] for f in state["failures"]] == [t1, t3, t4, t5]
        summary = run_fetch(FetchJob(arc, manual_session()[0], endpoint, URL))
        assert (summary.skipped, summary.downloaded, summary.failed) == (1, 4, ())
        assert server.connections == 11
    finally:
        server.close()


def test_a_revisit_of_an_archived_redirect_is_fetched_not_taken_from_the_old_target(
    arc: Archive, httpserver: HTTPServer
) -> None:
    """2020: /privacy 301 -> /legal/privacy (version one). 2021: the same redirect bytes (a revisit of
    its digest) while the target changed: the 2021 capture must be fetched, never copied from 2020."""
    target = "https://example.com/legal/privacy"
    fake = _archived_redirect(httpserver, target)
    fake.add("20200101000000", target, b"<html><body><p>Policy VERSION ONE</p></body></html>", listed=False)
    fake.add_revisit("20210601000000", URL, "R", b"moved")
    status, headers, body = fake.pages[("20210601000000", URL)]
    fake.pages[("20210601000000", URL)] = (
        301,
        {**headers, "Location": httpserver.url_for(f"/web/20210601000000id_/{target}")},
        b"moved",
    )
    fake.add("20210601000000", target, b"<html><body><p>Policy VERSION TWO</p></body></html>", listed=False)
    session, _ = manual_session()
    run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    caps = arc.captures(arc.get_policy(URL).id)
    june = [arc.read_body(c) for c in caps if c.timestamp == "20210601000000"]
    assert any(b"VERSION TWO" in b for b in june) and not any(b"VERSION ONE" in b for b in june)


def test_an_archive_answering_5xx_to_every_memento_stops_the_job(
    arc: Archive, httpserver: HTTPServer
) -> None:
    fake = FakeIA(httpserver)
    for month in range(1, 13):
        fake.add(f"2020{month:02d}01000000", URL, b"<html>x</html>")
    httpserver.handlers.clear()
    httpserver.expect_request(CDX_PATH).respond_with_handler(fake._cdx)
    hits: list[str] = []

    def down(request: Request) -> Response:
        hits.append(request.path)
        return Response("Wayback Machine is temporarily offline", status=503, content_type="text/html")

    httpserver.expect_request(re.compile(r"^/web/")).respond_with_handler(down)
    session, _ = manual_session()
    with pytest.raises(ServerError):
        run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    # three captures in a row (each with its retries), then the job stops; a rerun resumes
    assert len(hits) == 3 * 5


def test_an_archived_redirect_to_a_target_the_archive_lacks_is_kept_and_the_target_named(
    arc: Archive, httpserver: HTTPServer
) -> None:
    target = "https://example.com/legal/privacy"
    fake = _archived_redirect(httpserver, target)  # the target was never captured: the archive answers 404
    session, _ = manual_session()
    summary = run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    (failure,) = summary.failed
    assert f"redirects to {httpserver.url_for(f'/web/20200101000000id_/{target}')}" in failure.reason
    assert "cannot serve" in failure.reason
    (kept,) = arc.captures(arc.get_policy(URL).id)  # the redirect itself, as evidence
    assert (kept.http_status, kept.timestamp, "archived-redirect" in kept.flags) == (
        301,
        "20200101000000",
        True,
    )


def test_a_redirect_whose_target_failed_is_tried_again_by_the_next_run(
    arc: Archive, httpserver: HTTPServer
) -> None:
    """The redirect kept as evidence does not make its row 'already archived'."""
    target = "https://example.com/legal/privacy"
    fake = _archived_redirect(httpserver, target)
    fake.pages[("20200101000000", target)] = (
        200,
        {"Content-Type": "text/html"},
        b"<p>Down for maintenance</p>",
    )
    session, _ = manual_session()
    first = run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    assert len(first.failed) == 1
    fake.add("20200101000000", target, b"<html><p>the policy</p></html>", listed=False)  # back again
    second = run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    assert (second.downloaded, second.failed) == (1, ())
    assert any(c.original_url == target for c in arc.captures(arc.get_policy(URL).id))


def test_captures_that_always_fail_go_last_so_the_others_are_fetched(
    arc: Archive, httpserver: HTTPServer
) -> None:
    """Three captures that always answer 5xx stop a run; the next run tries the others first."""
    fake = FakeIA(httpserver)
    for month in range(1, 5):
        fake.add(f"2020{month:02d}01000000", URL, f"<html><p>version {month}</p></html>".encode())
    broken = {f"2020{month:02d}01000000" for month in range(1, 4)}
    replay = fake._replay

    def flaky(request: Request) -> Response:
        if any(ts in request.path for ts in broken):
            return Response("temporarily offline", status=503)
        return replay(request)

    httpserver.handlers.clear()
    httpserver.expect_request(CDX_PATH).respond_with_handler(fake._cdx)
    httpserver.expect_request(re.compile(r"^/web/")).respond_with_handler(flaky)
    session, _ = manual_session()
    with pytest.raises(ServerError):
        run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    with pytest.raises(ServerError):
        run_fetch(FetchJob(arc, session, ArchiveEndpoint(fake.prefix, ArchiveKind.IA), URL))
    stored = [c.timestamp for c in arc.captures(arc.get_policy(URL).id)]
    assert stored == ["20200401000000"]  # the fourth was fetched before the three failed again
