"""Issue 18, part 5 in the app: "Re-fetch This Capture" attaches a corpus text's memento to it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "archiver"))
from client_support import FakeIA, manual_session  # noqa: E402

from archiver.attached import attachments  # noqa: E402
from archiver.pipeline import import_paths  # noqa: E402
from archiver.pllc import format_pllc  # noqa: E402
from archiver.storage import Archive  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.settings import Settings  # noqa: E402

URL = "https://example.com/privacy"


def test_refetch_attaches_the_memento_to_the_corpus_capture(
    qtbot: Any, tmp_path: Path, httpserver: HTTPServer
) -> None:
    ia = FakeIA(httpserver)
    ia.add(
        "20200101000000", URL, b"<html><body><h1>Privacy</h1><p>We keep data for 30 days.</p></body></html>"
    )
    doc = tmp_path / "corpus.md"
    doc.write_text(
        format_pllc(
            URL, "20200101000000", "# Privacy\n\nWe keep data for 30 days.\n", archive_prefix=ia.prefix
        ),
        encoding="utf-8",
    )
    arc = Archive.open(tmp_path / "a")
    [imported] = import_paths(arc, [str(doc)])
    win = MainWindow(arc, Settings(tmp_path / "s.ini"), fetch_factory=lambda: manual_session()[0])
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.version_model.rowCount() == 1, timeout=10_000)
    win.versions.choose(0)
    qtbot.waitUntil(lambda: win.details.current() is not None, timeout=10_000)
    assert win.refetch.action.isEnabled()  # a text-only capture naming its memento
    win.refetch.kind = "ia"  # the loopback server answers as the Internet Archive's CDX does
    with qtbot.waitSignal(win.refetch.refetched, timeout=30_000):
        win.refetch.action.trigger()
    assert "agrees with the corpus text" in win.message_bar.label.text()
    assert imported.capture is not None
    [capture] = arc.captures(imported.capture.policy_id)
    assert capture.id == imported.capture.id and attachments(arc, [capture])[capture.id].agrees is True
    win.grab().save(str(tmp_path / "refetch.png"))
