"""Change windows in the app: an open window shows as open in the version table and on the
timeline, and "Narrow This Window" downloads only inside it until it is exact (loopback archive,
pacer on a ManualClock)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from archiver.client import ManualClock, Pacer, Session
from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
from archiver.client.jobs import FetchJob
from archiver.errors import CancelledError
from archiver.history.discovery import ChangeJob
from archiver.storage import Archive
from archiver.timestamps import to_datetime
from ui.mainwindow import MainWindow
from ui.settings import Settings

URL = "https://example.com/privacy"
STAMPS = [f"202001{day:02d}000000" for day in range(1, 31)]  # one capture a day
CHANGE_AT = 17  # captures 0..16 carry text A, 17..29 text B


def page(ts: str) -> bytes:
    text = "A" if STAMPS.index(ts) < CHANGE_AT else "B"
    clauses = "".join(f"<p>Clause {i}: we keep your personal data safe, text {text}.</p>" for i in range(30))
    return f"<html><body><main><h1>Privacy policy {text}</h1>{clauses}</main></body></html>".encode()


class Archive30:
    """CDX JSON and id_ replay of 30 daily captures."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.mementos: list[str] = []
        server.expect_request("/cdx/search/cdx").respond_with_handler(self._cdx)
        server.expect_request(re.compile(r"^/web/\d+id_/.*")).respond_with_handler(self._replay)

    @property
    def prefix(self) -> str:
        return str(self.server.url_for("/web/"))

    def _cdx(self, request: Request) -> Response:
        low, high = request.args.get("from", ""), request.args.get("to", "9" * 14)
        rows = [
            ["com,example)/privacy", ts, URL, "text/html", "200", f"D{ts}", "1"]
            for ts in STAMPS
            if low <= ts <= high
        ]
        header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        return Response(json.dumps([header, *rows]), content_type="application/json")

    def _replay(self, request: Request) -> Response:
        m = re.match(r"^/web/(\d+)id_/(.*)$", request.path)
        assert m is not None
        self.mementos.append(m.group(1))
        headers = {
            "Memento-Datetime": format_datetime(to_datetime(m.group(1)), usegmt=True),
            "Content-Type": "text/html; charset=utf-8",
        }
        return Response(page(m.group(1)), status=200, headers=headers)


def manual_session() -> Session:
    return Session(Pacer(clock=ManualClock()))


@pytest.fixture
def served(httpserver: HTTPServer) -> Archive30:
    return Archive30(httpserver)


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, served: Archive30) -> Iterator[MainWindow]:
    # a search stopped after its first two downloads (the ends): one change, its window open
    with Archive.open(tmp_path / "archive") as arc:
        cancel = threading.Event()
        fetch = FetchJob(
            arc, manual_session(), ArchiveEndpoint(served.prefix, ArchiveKind.IA), URL, cancel=cancel
        )
        with pytest.raises(CancelledError):
            for progress in ChangeJob(fetch, sample=None).run():
                if progress.done == 2:
                    cancel.set()
    archive = Archive.open(tmp_path / "archive")
    settings = Settings(tmp_path / "settings.ini")
    settings.remember_fetch(URL, served.prefix, "ia", None, None, False)
    win = MainWindow(archive, settings, fetch_factory=manual_session)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.close()
    archive.close()


def window_cell(win: MainWindow, row: int) -> str:
    model = win.version_model
    return str(model.data(model.index(row, model.COL_WINDOW)))


def test_an_open_window_is_shown_and_narrowing_it_makes_it_exact(
    qtbot: Any, window: MainWindow, served: Archive30, tmp_path: Path
) -> None:
    qtbot.waitUntil(
        lambda: window.version_model.rowCount() == 2 and "(open)" in window_cell(window, 1), timeout=30_000
    )
    assert window_cell(window, 1) == "2020-01-01 00:00 → 2020-01-30 00:00 (open)"
    assert window.timeline.windows() == {1: (STAMPS[0], True)}
    window.version_view.selectRow(1)
    assert window.change_windows.narrow_action.isEnabled()
    tip = window.version_model.data(window.version_model.index(1, window.version_model.COL_WINDOW), 3)
    assert "Open: 28 captures listed between them are not downloaded yet" in str(tip)
    window.grab().save(str(tmp_path.parent / "open-window.png"))
    served.mementos.clear()
    window.change_windows.narrow_action.trigger()
    qtbot.waitUntil(lambda: "Narrowed" in window.message_bar.label.text(), timeout=60_000)
    assert "each between two adjacent captures" in window.message_bar.label.text()
    assert served.mementos and all(STAMPS[0] < ts < STAMPS[-1] for ts in served.mementos)
    assert len(served.mementos) <= 6  # a binary search over 28 captures, not all of them
    qtbot.waitUntil(lambda: "(exact)" in window_cell(window, 1), timeout=30_000)
    versions = window.version_model.versions()
    assert versions[1].previous_capture is not None
    assert (versions[1].previous_capture.timestamp, versions[1].timestamp) == (
        STAMPS[CHANGE_AT - 1],
        STAMPS[CHANGE_AT],
    )
    assert window.timeline.windows() == {1: (STAMPS[CHANGE_AT - 1], False)}
    window.version_view.selectRow(1)
    assert not window.change_windows.narrow_action.isEnabled()
