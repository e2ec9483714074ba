"""Live capture from the site itself, and Save Page Now 2 against an SPN-shaped local server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from client_support import brotli_stored, manual_session
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.iakeys import IAKeys, keys_from_env
from archiver.client.live import SpnJob, fetch_live, save_page_now
from archiver.client.pacer import ManualClock, Pacer
from archiver.errors import (
    ArchiveResponseError,
    KeysRefusedError,
    MissingCredentialsError,
    PlaybackError,
    SavePageNowPendingError,
    UnsupportedEncodingError,
)
from archiver.models import Source
from archiver.storage import Archive

BODY = b"<html><body><h1>Privacy</h1><p>Today's text.</p></body></html>"
KEYS = IAKeys("ACCESS123", "SECRET456")


def test_live_fetch_follows_redirects_and_keeps_headers(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/privacy").respond_with_data(
        "", status=301, headers={"Location": "/legal/privacy"}
    )
    httpserver.expect_request("/legal/privacy").respond_with_data(
        BODY, content_type="text/html; charset=utf-8", headers={"Server": "site"}
    )
    session, _ = manual_session()
    page = fetch_live(session, httpserver.url_for("/privacy"))
    assert page.body == BODY and page.status == 200
    assert page.final_url == httpserver.url_for("/legal/privacy")
    assert page.redirects == (httpserver.url_for("/privacy"),)
    assert ("Server", "site") in page.headers
    assert len(page.timestamp) == 14 and page.retrieved_at.endswith("Z")
    capture = page.to_capture()
    assert capture.source is Source.LIVE and capture.http_status == 200


def test_a_live_page_sent_brotli_compressed_despite_identity_fails_clearly(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/privacy").respond_with_data(
        brotli_stored(BODY), content_type="text/html", headers={"Content-Encoding": "br"}
    )
    session, _ = manual_session()
    with pytest.raises(
        UnsupportedEncodingError, match="the site sent a brotli-compressed body .* not stored"
    ):
        fetch_live(session, httpserver.url_for("/privacy"))


def test_live_redirect_loops_stop(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    session, _ = manual_session()
    with pytest.raises(PlaybackError, match="redirects in a loop"):
        fetch_live(session, httpserver.url_for("/a"))


def test_capture_command_stores_a_live_capture(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    httpserver.expect_request("/privacy").respond_with_data(BODY, content_type="text/html")
    url = httpserver.url_for("/privacy")
    assert main(["--archive", str(tmp_path / "a"), "capture", url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["created"] and out["status"] == 200
    with Archive.open(tmp_path / "a") as arc:
        (cap,) = arc.captures(arc.get_policy(url).id)
        assert cap.source is Source.LIVE and arc.read_body(cap) == BODY and cap.retrieved_at


def test_save_page_now_refuses_without_keys_before_any_request(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IA_ACCESS_KEY", raising=False)
    monkeypatch.delenv("IA_SECRET_KEY", raising=False)
    assert keys_from_env() is None
    session, _ = manual_session()
    with pytest.raises(
        MissingCredentialsError, match=r"needs Internet Archive S3 keys .*policydiff keys --set"
    ):
        save_page_now(session, "https://example.com/privacy", None, base=httpserver.url_for(""))
    assert (
        main(["--archive", str(tmp_path / "a"), "capture", "https://example.com/p", "--save-page-now"]) == 2
    )
    assert len(httpserver.log) == 0


def spn_server(httpserver: HTTPServer, final: dict[str, str], polls_pending: int = 2) -> list[Request]:
    seen: list[Request] = []
    polls = {"n": 0}

    def status(request: Request) -> Response:
        seen.append(request)
        polls["n"] += 1
        if polls["n"] <= polls_pending:
            return Response(
                json.dumps({"status": "pending", "job_id": "j1"}), content_type="application/json"
            )
        return Response(json.dumps({"job_id": "j1", **final}), content_type="application/json")

    def record(payload: dict[str, object]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            seen.append(request)
            return Response(json.dumps(payload), content_type="application/json")

        return handler

    httpserver.expect_request("/save/status/user").respond_with_handler(
        record({"available": 3, "processing": 0})
    )
    httpserver.expect_request("/save", method="POST").respond_with_handler(
        record({"url": "x", "job_id": "j1"})
    )
    httpserver.expect_request("/save/status/j1").respond_with_handler(status)
    return seen


def test_save_page_now_submits_with_keys_and_polls_until_success(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = spn_server(
        httpserver,
        {"status": "success", "timestamp": "20260101000100", "original_url": "https://example.com/privacy"},
    )
    session, clock = manual_session()
    result = save_page_now(
        session, "https://example.com/privacy", KEYS, base=httpserver.url_for("").rstrip("/")
    )
    assert result.job_id == "j1" and result.timestamp == "20260101000100" and not result.reused
    assert result.memento_url.endswith("/web/20260101000100/https://example.com/privacy")
    assert all(r.headers["Authorization"] == "LOW ACCESS123:SECRET456" for r in seen)
    post = next(r for r in seen if r.method == "POST")
    assert post.form["url"] == "https://example.com/privacy" and "delay_wb_availability" not in post.form
    assert 6.0 in clock.sleeps  # polled every 6 s (simulated)
    assert "SECRET456" not in caplog.text and "SECRET456" not in repr(KEYS)


def test_save_page_now_labels_a_reused_capture(httpserver: HTTPServer) -> None:
    spn_server(
        httpserver,
        {"status": "success", "timestamp": "20251231230000", "original_url": "https://example.com/privacy"},
        polls_pending=0,
    )
    session, _ = manual_session()
    result = save_page_now(
        session, "https://example.com/privacy", KEYS, base=httpserver.url_for("").rstrip("/")
    )
    assert result.reused


def test_save_page_now_errors_are_reported_with_their_code(httpserver: HTTPServer) -> None:
    spn_server(
        httpserver,
        {
            "status": "error",
            "status_ext": "error:too-many-daily-captures",
            "message": "This URL has been already captured 10 times today.",
        },
        polls_pending=0,
    )
    session, _ = manual_session()
    with pytest.raises(
        ArchiveResponseError,
        match="too-many-daily-captures: This URL has been already captured .* after midnight UTC",
    ):
        save_page_now(session, "https://example.com/privacy", KEYS, base=httpserver.url_for("").rstrip("/"))


def test_save_page_now_rejected_keys(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/save/status/user").respond_with_data("unauthorized", status=401)
    session, _ = manual_session()
    with pytest.raises(KeysRefusedError, match=r"refused .* \(HTTP 401\): check your S3 keys at https://"):
        save_page_now(session, "https://example.com/privacy", KEYS, base=httpserver.url_for("").rstrip("/"))


def test_save_page_now_retries_a_transient_error_60_s_later(httpserver: HTTPServer) -> None:
    answers = [
        {"status": "error", "status_ext": "error:no-browsers-available", "message": "busy"},
        {"status": "success", "timestamp": "20260101000500", "original_url": "https://example.com/privacy"},
    ]
    httpserver.expect_request("/save/status/user").respond_with_json({"available": 3})
    httpserver.expect_request("/save", method="POST").respond_with_json({"job_id": "j1"})
    httpserver.expect_request("/save/status/j1").respond_with_handler(
        lambda r: Response(json.dumps(answers.pop(0)), content_type="application/json")
    )
    session, clock = manual_session()
    result = save_page_now(
        session, "https://example.com/privacy", KEYS, base=httpserver.url_for("").rstrip("/")
    )
    assert result.timestamp == "20260101000500"
    assert 60.0 in clock.sleeps
    assert sum(1 for r, _ in httpserver.log if r.method == "POST") == 2


class SlowSpn:
    """A Save Page Now whose job j1 stays pending; its status can expire (404) and its CDX can
    start listing the capture, as the Wayback Machine does after a while."""

    def __init__(self, server: HTTPServer) -> None:
        self.expired = False
        self.cdx_rows: list[list[str]] = []
        self.cdx_queries: list[dict[str, str]] = []
        server.expect_request("/save/status/user").respond_with_json({"available": 3})
        server.expect_request("/save", method="POST").respond_with_json({"job_id": "j1"})
        server.expect_request("/save/status/j1").respond_with_handler(self._status)
        server.expect_request("/cdx/search/cdx").respond_with_handler(self._cdx)
        server.expect_request("/privacy").respond_with_data(BODY, content_type="text/html")
        self.server = server

    def _status(self, request: Request) -> Response:
        if self.expired:
            return Response("job not found", status=404)
        return Response(json.dumps({"status": "pending", "job_id": "j1"}), content_type="application/json")

    def _cdx(self, request: Request) -> Response:
        self.cdx_queries.append(dict(request.args))
        rows = [["timestamp", "original", "statuscode"], *self.cdx_rows] if self.cdx_rows else []
        return Response(json.dumps(rows), content_type="application/json")

    @property
    def posts(self) -> int:
        return sum(1 for r, _ in self.server.log if r.method == "POST")


def test_a_pending_job_is_kept_waited_for_again_and_found_with_cdx_when_spn_forgets_it(
    httpserver: HTTPServer,
) -> None:
    spn = SlowSpn(httpserver)
    base, url = httpserver.url_for("").rstrip("/"), "https://example.com/privacy"
    session, clock = manual_session()
    kept: list[SpnJob] = []
    with pytest.raises(
        SavePageNowPendingError, match="still pending after 15 min.* waits for this job again"
    ):
        save_page_now(session, url, KEYS, base=base, on_submit=kept.append)
    (job,) = kept
    assert (job.job_id, job.url, spn.posts) == ("j1", url, 1)
    # 15 min later it asked CDX for the newest capture only
    assert spn.cdx_queries == [
        {"url": "example.com/privacy", "limit": "-1", "output": "json", "fl": "timestamp,original,statuscode"}
    ]
    # the next run waits for the same job; SPN has forgotten it, and CDX now lists the capture
    spn.expired = True
    spn.cdx_rows = [["20251231000000", url, "200"], ["20260101000900", url, "200"]]
    result = save_page_now(session, url, KEYS, base=base, pending=job, on_submit=kept.append)
    assert (result.job_id, result.timestamp, result.reused, spn.posts, len(kept)) == (
        "j1",
        "20260101000900",
        False,
        1,
        1,
    )
    # a capture older than the submission is not the job's: SPN forgot it, nothing is claimed
    spn.cdx_rows = [["20251231000000", url, "200"]]
    with pytest.raises(ArchiveResponseError, match="no longer knows job j1"):
        save_page_now(session, url, KEYS, base=base, pending=job)
    # after an hour SPN no longer answers for a job: it is submitted again
    clock.advance(3600)
    spn.expired = False
    with pytest.raises(SavePageNowPendingError):
        save_page_now(session, url, KEYS, base=base, pending=job)
    assert spn.posts == 2


def test_capture_command_keeps_a_pending_save_page_now_job_for_the_next_run(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from archiver.client import jobs

    spn = SlowSpn(httpserver)
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    monkeypatch.setattr(
        jobs, "save_page_now", partial(save_page_now, base=httpserver.url_for("").rstrip("/"))
    )
    monkeypatch.setenv("IA_ACCESS_KEY", KEYS.access)
    monkeypatch.setenv("IA_SECRET_KEY", KEYS.secret)
    url = httpserver.url_for("/privacy")
    argv = ["--archive", str(tmp_path / "a"), "capture", url, "--save-page-now", "--json"]
    assert main(argv) == 1
    assert "still pending" in json.loads(capsys.readouterr().out)["save_page_now"]["error"]
    with Archive.open(tmp_path / "a") as arc:
        assert arc.job_get(f"save page now {url}") is not None
    spn.expired = True
    spn.cdx_rows = [["20260101000900", url, "200"]]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)["save_page_now"]
    assert (out["job_id"], out["timestamp"], spn.posts) == ("j1", "20260101000900", 1)
    with Archive.open(tmp_path / "a") as arc:
        assert arc.job_get(f"save page now {url}") is None  # done: the next run submits anew


def test_a_transient_error_of_a_kept_job_is_submitted_again_only_60_s_later_and_counts_as_a_try(
    httpserver: HTTPServer,
) -> None:
    session, clock = manual_session()
    log: list[tuple[float, str]] = []

    def note(name: str, payload: dict[str, object]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            log.append((clock.now(), name))
            return Response(json.dumps(payload), content_type="application/json")

        return handler

    error = {"status": "error", "status_ext": "error:too-many-requests", "message": "slow down"}
    httpserver.expect_request("/save/status/user").respond_with_handler(note("user", {"available": 3}))
    httpserver.expect_request("/save", method="POST").respond_with_handler(note("submit", {"job_id": "j2"}))
    httpserver.expect_request("/save/status/j1").respond_with_handler(note("status j1", error))
    httpserver.expect_request("/save/status/j2").respond_with_handler(note("status j2", error))
    pending = SpnJob("j1", "https://example.com/privacy", "20260101000000")
    with pytest.raises(ArchiveResponseError, match="too-many-requests"):
        save_page_now(
            session,
            "https://example.com/privacy",
            KEYS,
            base=httpserver.url_for("").rstrip("/"),
            pending=pending,
        )
    error_at = next(t for t, name in log if name == "status j1")
    submits = [t for t, name in log if name == "submit"]
    assert submits[0] - error_at >= 60  # docs/protocols.md §8: transient retries 60 s apart
    assert len(submits) == 2  # the kept job was the first of three tries


def test_a_job_cut_off_by_5xx_while_waiting_is_kept_and_not_submitted_again(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from archiver.client import jobs

    state = {"down": True}

    def status(request: Request) -> Response:
        if state["down"]:
            return Response("bad gateway", status=502)
        return Response(json.dumps({"status": "pending", "job_id": "j1"}), content_type="application/json")

    httpserver.expect_request("/save/status/user").respond_with_json({"available": 3})
    httpserver.expect_request("/save", method="POST").respond_with_json({"job_id": "j1"})
    httpserver.expect_request("/save/status/j1").respond_with_handler(status)
    httpserver.expect_request("/cdx/search/cdx").respond_with_json([])
    httpserver.expect_request("/privacy").respond_with_data(BODY, content_type="text/html")
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    monkeypatch.setattr(
        jobs, "save_page_now", partial(save_page_now, base=httpserver.url_for("").rstrip("/"))
    )
    monkeypatch.setenv("IA_ACCESS_KEY", KEYS.access)
    monkeypatch.setenv("IA_SECRET_KEY", KEYS.secret)
    url = httpserver.url_for("/privacy")
    argv = ["--archive", str(tmp_path / "a"), "capture", url, "--save-page-now", "--json"]
    assert main(argv) == 1  # the status answers 502 every time: a ServerError
    capsys.readouterr()
    with Archive.open(tmp_path / "a") as arc:
        assert arc.job_get(f"save page now {url}") is not None  # kept for the next run
    state["down"] = False
    main(argv)
    assert sum(1 for r, _ in httpserver.log if r.method == "POST") == 1  # waited for, not submitted again
