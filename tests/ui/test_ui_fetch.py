"""The main window against a real loopback web archive (pytest-httpserver): add, fetch, compare, cancel, errors.

The archive speaks the Internet Archive's dialect: CDX JSON at /cdx/search/cdx and raw ``id_`` mementos
with Memento-Datetime, built from real Open Terms Archive captures in tests/data/corpus. The client's
pacer runs on a ManualClock, so no test waits for a rate limit.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from pytest_httpserver import HTTPServer
from tls_support import PAGE
from werkzeug import Request, Response

from archiver.client import ManualClock, Pacer, Session
from archiver.client.rows import make_query
from archiver.errors import CancelledError
from archiver.storage import Archive
from archiver.timestamps import to_datetime
from archiver.urls import policy_key
from ui.dialogs import AddPolicyDialog, PolicyRequest
from ui.mainwindow import MainWindow
from ui.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
URL = "https://policies.tinder.com/privacy/intl/en/"
STAMPS = ["20220407003230", "20230120003318", "20240416003323", "20240531183348"]
CDX_HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def manual_session() -> Session:
    return Session(Pacer(clock=ManualClock()))


class LoopbackIA:
    """CDX JSON plus id_ replay of real corpus pages; ``gate`` lets a test hold one memento request."""

    def __init__(self, server: HTTPServer, stamps: list[str] = STAMPS) -> None:
        self.server = server
        self.stamps = stamps
        self.pages = {ts: (CORPUS / "tinder-privacy" / f"{ts}.html").read_bytes() for ts in stamps}
        self.hold: str | None = None  # timestamp whose memento waits for ``release``
        self.entered = threading.Event()
        self.release = threading.Event()
        self.delay = 0.0  # a deliberately slow server: seconds before each memento answer
        self.mementos: list[str] = []
        self.nearby: list[str] = []  # URLs a prefix search finds
        self.originals: dict[str, str] = {}  # timestamp -> another variant of URL it was captured as
        self.cdx_delay = 0.0  # a slow CDX server: seconds before each listing page
        self.page_size = 0  # > 0: listing pages of this many rows, chained by resume keys
        self.cdx_pages = 0
        self.prefix_searches: list[dict[str, str]] = []
        server.expect_request("/cdx/search/cdx").respond_with_handler(self._cdx)
        server.expect_request(re.compile(r"^/web/\d+id_/.*")).respond_with_handler(self._replay)

    @property
    def prefix(self) -> str:
        return str(self.server.url_for("/web/"))

    def _cdx(self, request: Request) -> Response:
        if request.args.get("matchType") == "prefix":
            self.prefix_searches.append(dict(request.args))
            found = [["-", STAMPS[0], url, "text/html", "200", "D", "1"] for url in self.nearby]
            return Response(json.dumps([CDX_HEADER, *found]), content_type="application/json")
        rows = [
            [
                "com,tinder,policies)/privacy/intl/en",
                ts,
                self.originals.get(ts, URL),
                "text/html",
                "200",
                f"D{ts}",
                str(len(self.pages[ts])),
            ]
            for ts in self.stamps
        ]
        self.cdx_pages += 1
        if self.cdx_delay:
            time.sleep(self.cdx_delay)  # the server is slow, not the test
        tail: list[list[str]] = []
        if self.page_size:  # the resume key is the index of the page's first row
            start = int(request.args.get("resumeKey", "0"))
            rows, more = rows[start : start + self.page_size], start + self.page_size < len(rows)
            tail = [[], [str(start + self.page_size)]] if more else []
        return Response(json.dumps([CDX_HEADER, *rows, *tail]), content_type="application/json")

    def _replay(self, request: Request) -> Response:
        m = re.match(r"^/web/(\d+)id_/(.*)$", request.path)
        assert m is not None
        ts = m.group(1)
        self.mementos.append(ts)
        if ts == self.hold:
            self.entered.set()
            self.release.wait(10)
        if self.delay:
            time.sleep(self.delay)  # the server is slow, not the test
        headers = {
            "Memento-Datetime": format_datetime(to_datetime(ts), usegmt=True),
            "Link": f'<{URL}>; rel="original"',
            "Content-Type": "text/html; charset=utf-8",
        }
        return Response(self.pages[ts], status=200, headers=headers)


@pytest.fixture
def ia(httpserver: HTTPServer) -> Iterator[LoopbackIA]:
    server = LoopbackIA(httpserver)
    yield server
    server.release.set()


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    archive = Archive.open(tmp_path / "archive")
    win = MainWindow(archive, Settings(tmp_path / "settings.ini"), fetch_factory=manual_session)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.close()
    archive.close()


def request_for(ia: LoopbackIA) -> PolicyRequest:
    return PolicyRequest(URL, "Tinder", ia.prefix, None, None, "ia")


def test_add_fetch_versions_compare_and_next_change_moves_both_panes(
    qtbot: Any, window: MainWindow, ia: LoopbackIA
) -> None:
    window.add_policy()
    dialog = window.findChild(AddPolicyDialog)
    assert dialog is not None
    dialog.url_edit.setText("not a url")
    assert not dialog.buttons.buttons()[0].isEnabled() or dialog.request is None
    typed = f"  {URL}#cookies "  # as pasted: spaces, a fragment
    dialog.url_edit.setText(typed)
    dialog.archive_combo.setEditText(ia.prefix)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("ia"))
    assert dialog.request is not None and dialog.request.prefix == ia.prefix
    dialog.accept()
    model = window.version_model
    qtbot.waitUntil(
        lambda: (
            model.rowCount() == len(STAMPS)
            and all(model.change(i) is not None for i in range(1, len(STAMPS)))
        ),
        timeout=60_000,
    )
    assert ia.mementos == STAMPS
    assert window.policy_model.rowCount() == 1
    record = window.archive.job_get(f"fetch {ia.prefix} {make_query(URL).key}")
    assert record is not None and record["url"] == typed  # the job keeps the user's exact string
    versions = window.version_model.versions()
    assert [v.timestamp for v in versions] == STAMPS
    assert versions[2].previous_capture is not None and versions[2].previous_capture.timestamp == STAMPS[1]
    assert all(window.version_model.change(i) for i in range(1, len(STAMPS)))

    # compare version 2 with version 1 through the pickers, then step through its changes
    with qtbot.waitSignal(window.diffShown, timeout=30_000):
        window.compare_versions(0, 1)
    compare = window.compare
    assert compare.result is not None and compare.change_count > 1
    assert window.stats_label.text() == compare.stats_text()
    compare.go_to_change(0)
    compare.next_action.trigger()
    assert compare.current_change == 1
    line = compare.layout_info.hunk_lines[1][0]
    left, right = compare.left.verticalScrollBar(), compare.right.verticalScrollBar()
    assert left.value() == right.value() == min(line, left.maximum())

    # a timeline click compares a version with its predecessor
    timeline = window.timeline
    pos = timeline.point_position(3).toPoint()
    with qtbot.waitSignal(window.diffShown, timeout=30_000):
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=pos)
    assert window.left_combo.currentIndex() == 2 and window.right_combo.currentIndex() == 3
    assert window.details.model.rowCount() == 1
    assert window.details.current().timestamp == STAMPS[3]


def test_cancel_mid_fetch_keeps_the_archive_consistent_and_resumes(
    qtbot: Any, window: MainWindow, ia: LoopbackIA
) -> None:
    ia.hold = STAMPS[2]
    task = window.start_fetch(request_for(ia))
    assert window.progress.isVisible() and window.progress.cancel_button.isVisible()
    qtbot.waitUntil(ia.entered.is_set, timeout=30_000)
    with qtbot.waitSignal(task.signals.failed, timeout=30_000) as blocker:
        window.progress.cancel_button.click()
        ia.release.set()
    assert isinstance(blocker.args[0], CancelledError)
    assert "Cancelled" in window.message_bar.label.text()
    qtbot.waitUntil(lambda: not window.progress.isVisible())
    arc = window.archive
    assert arc.verify() == []
    policy = arc.get_policy(URL)
    assert [c.timestamp for c in arc.captures(policy.id)] == STAMPS[:2]

    ia.hold = None
    ia.mementos.clear()
    qtbot.waitUntil(lambda: window.current_policy() is not None)
    with qtbot.waitSignal(window.fetch_action.triggered):
        window.fetch_action.trigger()  # F5: the same archive, asked the same way
    task = window.progress.tasks[-1]
    with qtbot.waitSignal(task.signals.finished, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].skipped == 2 and blocker.args[0].downloaded == 2
    assert ia.mementos == STAMPS[2:]
    assert [c.timestamp for c in arc.captures(policy.id)] == STAMPS


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (
            403,
            "org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error",
            {},
            "excluded",
        ),
        (429, "Too Many Requests", {}, "rate-limited until "),
    ],
)
def test_a_server_error_becomes_a_message_bar(
    qtbot: Any,
    window: MainWindow,
    httpserver: HTTPServer,
    status: int,
    body: str,
    headers: dict[str, str],
    expected: str,
) -> None:
    httpserver.expect_request("/cdx/search/cdx").respond_with_data(body, status=status, headers=headers)
    task = window.start_fetch(PolicyRequest(URL, "", httpserver.url_for("/web/"), None, None, "ia"))
    with qtbot.waitSignal(task.signals.failed, timeout=60_000):
        pass
    bar = window.message_bar
    assert bar.isVisible()
    assert expected in bar.label.text()
    assert "Traceback" not in bar.label.text() and not bar.details_button.isVisible()


def test_no_network_is_explained(qtbot: Any, window: MainWindow) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there: connection refused
    task = window.start_fetch(PolicyRequest(URL, "", f"http://127.0.0.1:{port}/web/", None, None, "ia"))
    with qtbot.waitSignal(task.signals.failed, timeout=60_000):
        pass
    # the server refused: said as such, worded for the app (fetch again), not as the CLI's "run the
    # command again"
    text = window.message_bar.label.text()
    assert text.startswith("Cannot reach 127.0.0.1: connection refused") and "fetch again" in text


def measure_gaps(qtbot: Any, until: Callable[[], bool], timeout_ms: int = 60_000) -> float:
    """Largest gap between 10 ms timer ticks on the GUI thread while ``until`` is false."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    try:
        qtbot.waitUntil(until, timeout=timeout_ms)
    finally:
        timer.stop()
    return max((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=0.0)


def test_the_gui_thread_never_blocks_during_a_slow_fetch(
    qtbot: Any, window: MainWindow, ia: LoopbackIA
) -> None:
    ia.delay = 0.25
    task = window.start_fetch(request_for(ia))
    finished: list[object] = []
    task.signals.done.connect(lambda: finished.append(True))
    gap = measure_gaps(qtbot, lambda: bool(finished))  # while the fetch runs (4 slow mementos, ~1 s)
    assert task.error is None and ia.mementos == STAMPS
    print(f"largest gap between timer ticks: {gap * 1000:.0f} ms")
    assert gap < 0.100, f"the event loop stalled for {gap * 1000:.0f} ms"
    qtbot.waitUntil(lambda: window.version_model.rowCount() == len(STAMPS))


def test_a_slow_cdx_listing_keeps_the_window_responsive_shows_progress_and_cancels_at_once(
    qtbot: Any, window: MainWindow, ia: LoopbackIA
) -> None:
    """docs/fault-cases.md case 8 through the app: CDX pages that take 0.4 s each."""
    ia.cdx_delay, ia.page_size = 0.4, 1
    shown: list[str] = []
    task = window.start_fetch(request_for(ia))
    task.signals.progress.connect(lambda _p: shown.append(window.progress.label.text()))
    finished: list[object] = []
    task.signals.done.connect(lambda: finished.append(True))
    gap = measure_gaps(qtbot, lambda: bool(finished))  # 4 slow pages, then 4 mementos
    assert task.error is None and ia.mementos == STAMPS and ia.cdx_pages == len(STAMPS)
    assert gap < 0.100, f"the event loop stalled for {gap * 1000:.0f} ms"
    # the count shows as each new page starts to arrive (pages of one row here)
    assert [t for t in shown if t.startswith("listed ")] == [
        "listed 2 captures so far",
        "listed 3 captures so far",
        "listed 4 captures so far",
    ]
    # Cancel while a slow page is being sent: the job stops within a second, nothing half-done
    ia.cdx_delay, ia.cdx_pages = 3.0, 0
    task = window.start_fetch(request_for(ia))
    ended: list[float] = []
    task.signals.done.connect(lambda: ended.append(time.monotonic()))
    qtbot.waitUntil(lambda: ia.cdx_pages == 1, timeout=30_000)
    started = time.monotonic()
    window.progress.cancel()
    qtbot.waitUntil(lambda: bool(ended), timeout=30_000)
    assert isinstance(task.error, CancelledError), task.error
    assert ended[0] - started < 1.5
    ia.cdx_delay = 0.0


def test_closing_the_window_cancels_a_fetch_cleanly(qtbot: Any, tmp_path: Path, ia: LoopbackIA) -> None:
    archive = Archive.open(tmp_path / "archive")
    win = MainWindow(archive, Settings(tmp_path / "settings.ini"), fetch_factory=manual_session)
    qtbot.addWidget(win)
    win.show()
    ia.hold = STAMPS[1]
    task = win.start_fetch(request_for(ia))
    qtbot.waitUntil(ia.entered.is_set, timeout=30_000)
    win.close()  # cancels and waits for the pool to drain; the held request is cut by the cancel
    ia.release.set()
    assert isinstance(task.error, CancelledError)
    assert archive.verify() == []
    assert [c.timestamp for c in archive.captures(archive.get_policy(URL).id)] == STAMPS[:1]
    archive.close()


def test_an_empty_listing_says_what_to_try(qtbot: Any, window: MainWindow, ia: LoopbackIA) -> None:
    ia.stamps = []
    task = window.start_fetch(request_for(ia))
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert "lists no capture" in window.message_bar.label.text()


def test_exact_url_only_leaves_out_variants_and_is_remembered_for_the_next_fetch(
    qtbot: Any, window: MainWindow, ia: LoopbackIA
) -> None:
    ia.originals = {STAMPS[1]: "http://policies.tinder.com/privacy/intl/en"}  # the same policy, http
    task = window.start_fetch(dataclasses.replace(request_for(ia), exact=True))
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert sorted(ia.mementos) == sorted(set(STAMPS) - {STAMPS[1]})
    assert "1 captures of other variants of the URL" in window.message_bar.label.text()
    last = window.settings.last_fetch(URL)
    assert last is not None and last[4] is True  # Fetch History (F5) asks the same way
    # an exact fetch of another variant of the policy's URL: F5 asks for that variant, exactly
    variant = "http://policies.tinder.com/privacy/intl/en"
    window.settings.remember_fetch(variant, ia.prefix, "ia", None, None, True)
    asked: list[PolicyRequest] = []
    window.work.start_fetch = asked.append  # type: ignore[method-assign,assignment]
    window.fetch_selected()
    assert [(r.url, r.exact) for r in asked] == [(variant, True)]


def test_an_empty_listing_offers_nearby_pages_and_a_click_fetches_one(
    qtbot: Any, window: MainWindow, ia: LoopbackIA
) -> None:
    ia.stamps = []  # nothing under the URL asked for; the policy lives one folder deeper
    variant = "http://policies.tinder.com/privacy/intl/en"  # the same policy as URL
    ia.nearby = [URL, variant, URL + "?lang=de", "https://policies.tinder.com/privacy"]
    typed = "https://policies.tinder.com/privacy"
    task = window.start_fetch(PolicyRequest(typed, "", ia.prefix, None, None, "ia"))
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    (search,) = ia.prefix_searches  # the URL's own path found something: no parent search
    assert search["url"] == "policies.tinder.com/privacy" and search["filter"] == "statuscode:200"
    label = window.message_bar.label
    assert "lists no capture" in label.text() and "nearby pages" in label.text()
    assert label.textFormat() == Qt.TextFormat.RichText
    # the URL asked for is not suggested, and two variants of one policy are one suggestion
    assert (
        label.text().count("<a href") == 2 and f'href="{URL}"' in label.text() and variant not in label.text()
    )
    # a fetch started since (other dates; it finds nothing and suggests nothing) does not change
    # where a click on the links already shown fetches from
    ia.nearby = []
    other = window.start_fetch(PolicyRequest(URL, "", ia.prefix, "20200101000000", "20200201000000", "ia"))
    with qtbot.waitSignal(other.signals.done, timeout=30_000):
        pass
    assert window.work._suggested_for is not None and window.work._suggested_for.from_date is None
    ia.stamps = STAMPS
    label.linkActivated.emit(URL)  # what a click on the link does
    qtbot.waitUntil(lambda: window.version_model.rowCount() == len(STAMPS), timeout=30_000)
    policy = window.current_policy()
    assert policy is not None and policy_key(policy.url) == policy_key(URL)
    assert sorted(ia.mementos) == sorted(STAMPS)


def test_capture_live_page_now_stores_todays_page(
    qtbot: Any, window: MainWindow, httpserver: HTTPServer
) -> None:
    """Policy > Capture Live Page Now: the site itself (here on loopback), stored with source live."""
    page = (CORPUS / "tinder-privacy" / f"{STAMPS[-1]}.html").read_bytes()
    httpserver.expect_request("/privacy").respond_with_data(page, content_type="text/html; charset=utf-8")
    url = httpserver.url_for("/privacy")
    policy = window.archive.ensure_policy(url, "Loopback policy")
    window.reload_policies(select=policy.id)
    qtbot.waitUntil(lambda: window.current_policy() is not None, timeout=30_000)
    task = window.capture_live_selected()
    assert task is not None
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: window.version_model.rowCount() == 1, timeout=30_000)
    text = window.message_bar.label.text()
    assert text.startswith(f"Captured today's page: HTTP 200, {len(page):,} bytes, a new capture")
    (capture,) = window.archive.captures(policy.id)
    assert capture.source.value == "live" and window.archive.read_body(capture) == page
    assert window.version_model.version(0).words > 1000  # the text was extracted as it was stored

    # the site is down: the message says so, and the archive keeps what it had
    httpserver.clear()
    httpserver.expect_request("/privacy").respond_with_data("down", status=503)
    task = window.capture_live_selected()
    assert task is not None
    with qtbot.waitSignal(task.signals.done, timeout=60_000):
        pass
    assert task.error is not None and window.message_bar.label.text()
    assert "HTTP 503" in window.message_bar.label.text()
    assert "Traceback" not in window.message_bar.label.text()
    assert len(window.archive.captures(policy.id)) == 1


def test_save_page_now_asks_for_keys_remembers_them_and_asks_again_when_refused(
    qtbot: Any,
    window: MainWindow,
    httpserver: HTTPServer,
    keychain: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Policy > Save Page Now in the Wayback Machine (docs/fault-cases.md case 30): no keys anywhere,
    so the key dialog asks; keys the Internet Archive refuses are not kept and the dialog says why;
    accepted keys go to the (real) system keychain and into the Authorization header only, and the
    next time they come from the keychain."""
    from functools import partial

    from archiver.client import find_keys, jobs
    from archiver.client.live import save_page_now
    from ui.dialogs import KeysDialog

    monkeypatch.setattr(
        jobs, "save_page_now", partial(save_page_now, base=httpserver.url_for("").rstrip("/"))
    )
    url = "https://example.com/privacy"
    good = "LOW AKEY7:Secret-7c1d"

    def user_status(request: Request) -> Response:
        if request.headers.get("Authorization") != good:
            return Response("unauthorized", status=401)
        return Response(json.dumps({"available": 3}), content_type="application/json")

    httpserver.expect_request("/save/status/user").respond_with_handler(user_status)
    httpserver.expect_request("/save", method="POST").respond_with_json({"job_id": "j7"})
    httpserver.expect_request("/save/status/j7").respond_with_json(
        {"status": "success", "job_id": "j7", "timestamp": "20260101000030", "original_url": url}
    )
    policy = window.archive.ensure_policy(url, "Example")
    window.reload_policies(select=policy.id)
    qtbot.waitUntil(lambda: window.current_policy() is not None, timeout=30_000)
    assert window.save_page_now_action in window.menuBar().actions()[2].menu().actions()

    def dialog_shown() -> KeysDialog:
        window.work.keys_dialog = None
        qtbot.waitUntil(lambda: isinstance(window.keys_dialog, KeysDialog), timeout=30_000)
        assert window.keys_dialog.isVisible()
        return window.keys_dialog

    def answer(dialog: KeysDialog, access: str, secret: str) -> None:
        ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        assert not ok.isEnabled()
        dialog.access_edit.setText(access)
        dialog.secret_edit.setText(secret)
        assert dialog.remember_check.isChecked() and dialog.remember_check.isEnabled()
        ok.click()

    assert window.keys_dialog is None
    window.save_page_now_action.trigger()  # no keys in the environment or the keychain
    dialog = dialog_shown()
    assert not dialog.problem_label.isVisible()
    assert dialog.secret_edit.echoMode() == dialog.secret_edit.EchoMode.Password
    answer(dialog, "AKEY7", "mistyped")
    dialog = dialog_shown()  # refused: asked again, saying why, and nothing was kept
    assert "The Internet Archive refused the Save Page Now status (HTTP 401)" in dialog.problem_label.text()
    assert find_keys() == (None, "")
    answer(dialog, "AKEY7", "Secret-7c1d")
    qtbot.waitUntil(lambda: "saved the page" in window.message_bar.label.text(), timeout=30_000)
    text = window.message_bar.label.text()
    assert "2026-01-01 00:00:30 UTC" in text and "/web/20260101000030/https://example.com/privacy" in text
    assert "Secret-7c1d" not in text and "not remembered" not in text
    keys, where = find_keys()
    assert keys is not None and keys.access == "AKEY7" and where == "the system keychain"
    auth = [r.headers["Authorization"] for r, _ in httpserver.log]
    assert auth[0] == "LOW AKEY7:mistyped" and set(auth[1:]) == {good}
    posts = sum(r.method == "POST" for r, _ in httpserver.log)
    assert posts == 1  # nothing was submitted with the refused keys

    # next time the keychain's keys are used, without asking; one job per URL at a time
    from ui.workers import running_tasks

    qtbot.waitUntil(lambda: not running_tasks(), timeout=30_000)
    httpserver.clear_log()
    window.work.keys_dialog = None
    task = window.save_page_now_selected()
    assert task is not None
    assert window.save_page_now_selected() is None
    assert (
        window.message_bar.label.text() == "Save Page Now is already running for https://example.com/privacy."
    )
    with qtbot.waitSignal(task.signals.done, timeout=30_000):
        pass
    assert task.error is None and window.keys_dialog is None
    assert {r.headers["Authorization"] for r, _ in httpserver.log} == {good}


def test_trusted_certificates_are_checked_remembered_and_used_for_live_captures(
    qtbot: Any,
    tmp_path: Path,
    tls_server: HTTPServer,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Policy > Trusted Certificates: a corporate proxy's CA, for HTTPS (docs/fault-cases.md case 28)."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    archive = Archive.open(tmp_path / "archive")
    win = MainWindow(archive, Settings(tmp_path / "settings.ini"))  # the app's own sessions
    qtbot.addWidget(win)
    policy = archive.ensure_policy(tls_server.url_for("/privacy"), "Behind a proxy")
    win.reload_policies(select=policy.id)
    qtbot.waitUntil(lambda: win.current_policy() is not None, timeout=30_000)

    def capture() -> str:
        task = win.capture_live_selected()
        assert task is not None
        with qtbot.waitSignal(task.signals.done, timeout=30_000):
            pass
        return win.message_bar.label.text()

    assert "CERTIFICATE_VERIFY_FAILED" in capture()  # the system does not trust the test CA
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    win.set_certificates(str(bad))
    assert f"certificate bundle {bad} cannot be used" in win.message_bar.label.text()
    assert win.settings.ca_bundle == ""  # refused: nothing changed
    win.set_certificates(str(certificate[0]))
    assert Settings(tmp_path / "settings.ini").ca_bundle == str(certificate[0])
    assert capture().startswith("Captured today's page: HTTP 200")
    assert archive.read_body(archive.captures(policy.id)[0]) == PAGE
    win.set_certificates("")  # back to the system's
    assert "CERTIFICATE_VERIFY_FAILED" in capture()
    win.close()
    archive.close()
