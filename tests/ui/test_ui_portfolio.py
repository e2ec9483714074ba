"""The portfolio in the window, driven with qtbot: names, tags and the to-review mark in the policy
list, the filter box and sorting, editing a policy, marking a change reviewed, and Update All
against a loopback archive (pytest-httpserver; the pacer on simulated time)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "archiver"))
from client_support import FakeIA  # noqa: E402
from pytest_httpserver import HTTPServer  # noqa: E402

from archiver.client import ManualClock, Pacer, Session  # noqa: E402
from archiver.models import Capture, Extraction, Source  # noqa: E402
from archiver.portfolio import Portfolio  # noqa: E402
from archiver.storage import Archive, text_sha256  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.portfolio import PolicyEditDialog, ReviewDialog, UpdateDialog  # noqa: E402
from ui.settings import Settings  # noqa: E402

ACME = "https://acme.example/privacy"
GLOBEX = "https://globex.example/legal/privacy"
INITECH = "https://initech.example/privacy"


def manual_session() -> Session:
    return Session(Pacer(clock=ManualClock()))


def page(words: str) -> bytes:
    return f"<html><head><title>Privacy</title></head><body><main><h1>Privacy</h1><p>{words}</p></main></body></html>".encode()


def store(arc: Archive, url: str, ts: str, text: str, archive: str = "") -> None:
    policy = arc.ensure_policy(url)
    capture = Capture(
        id=0,
        policy_id=0,
        source=Source.MEMENTO if archive else Source.FILE,
        timestamp=ts,
        original_url=url,
        archive=archive,
        memento_url=f"{archive}{ts}id_/{url}" if archive else "",
        content_type="text/html",
    )
    extraction = Extraction(
        text=text, text_sha256=text_sha256(text), extractor_version="t", words=len(text.split())
    )
    arc.add_capture(policy, capture, page(text), extraction)


@pytest.fixture
def portfolio_archive(tmp_path: Path) -> Iterator[Archive]:
    arc = Archive.open(tmp_path / "archive")
    store(arc, ACME, "20230101000000", "Acme keeps your email.")
    store(arc, ACME, "20230601000000", "Acme keeps your email and phone.")
    store(arc, ACME, "20240101000000", "Acme keeps your email, phone and address.")
    store(arc, GLOBEX, "20220101000000", "Globex sells nothing.")
    store(arc, GLOBEX, "20240301000000", "Globex sells your data to partners.")
    store(arc, INITECH, "20200101000000", "Initech never changed its text.")
    p = Portfolio(arc)
    p.set_name(arc.get_policy(ACME), "Acme Corp")
    p.set_tags(arc.get_policy(ACME), ["vendor", "eu"])
    p.set_tags(arc.get_policy(GLOBEX), ["vendor", "us"])
    p.set_note(arc.get_policy(GLOBEX), "payroll provider")
    yield arc
    arc.close()


def open_window(qtbot: Any, arc: Archive, tmp_path: Path) -> MainWindow:
    win = MainWindow(arc, Settings(tmp_path / "s.ini"), fetch_factory=manual_session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.policy_model.rowCount() == 3, timeout=10_000)
    return win


def shown(win: MainWindow) -> list[str]:
    lst = win.policies
    return [str(lst.model.data(lst.model.index(r))).split("\n")[0] for r in lst.visible_rows()]


def test_names_tags_review_marks_filter_and_sort(
    qtbot: Any, portfolio_archive: Archive, tmp_path: Path
) -> None:
    win = open_window(qtbot, portfolio_archive, tmp_path)
    # names (their own, else the page title, else the host and path), the changes nobody reviewed
    assert shown(win) == [
        "Acme Corp  ● 2 to review",
        "globex.example/legal/privacy  ● 1 to review",
        "initech.example/privacy",
    ]
    first = str(win.policy_model.data(win.policy_model.index(0)))
    assert first.endswith("3 versions · 3 captures · eu, vendor")
    win.policies.filter_edit.setText("tag:us")
    assert shown(win) == ["globex.example/legal/privacy  ● 1 to review"]
    win.policies.filter_edit.setText("payroll")  # the note
    assert [win.policy_model.policy(r).url for r in win.policies.visible_rows()] == [GLOBEX]
    win.policies.filter_edit.setText("initech.example")  # the URL
    assert [win.policy_model.policy(r).url for r in win.policies.visible_rows()] == [INITECH]
    win.policies.filter_edit.setText("")
    win.policies.sort_actions["Last change"].trigger()
    assert [win.policy_model.policy(r).url for r in win.policies.visible_rows()] == [GLOBEX, ACME, INITECH]


def test_edit_a_policy_and_mark_a_change_reviewed(
    qtbot: Any, portfolio_archive: Archive, tmp_path: Path
) -> None:
    win = open_window(qtbot, portfolio_archive, tmp_path)
    row = win.policy_model.row_of(portfolio_archive.get_policy(GLOBEX).id)
    with qtbot.waitSignal(win.versionsLoaded, timeout=10_000):
        win.policy_view.setCurrentIndex(win.policy_model.index(row))
    dialog = win.portfolio.edit(win.policies.current_info())
    assert isinstance(dialog, PolicyEditDialog) and dialog.note_edit.toPlainText() == "payroll provider"
    dialog.name_edit.setText("Globex Payroll")
    dialog.tags_edit.setText("vendor; us; hr")
    with qtbot.waitSignal(win.policiesLoaded, timeout=10_000):
        dialog.accept()
    info = win.policies.current_info()
    assert info is not None and (info.name, info.tags) == ("Globex Payroll", ("hr", "us", "vendor"))
    # the newest version is a change: review it, with a note, under a name kept for next time
    qtbot.waitUntil(lambda: win.portfolio.review_action.isEnabled(), timeout=10_000)
    review = win.portfolio.mark_reviewed()
    assert isinstance(review, ReviewDialog)
    review.reviewer_edit.setText("Ana")
    review.note_edit.setPlainText("now sells data: escalate")
    with qtbot.waitSignal(win.policiesLoaded, timeout=10_000):
        review.accept()
    qtbot.waitUntil(lambda: win.version_model.reviews(1) != (), timeout=10_000)
    col = win.version_model.COL_REVIEW
    assert win.version_model.data(win.version_model.index(1, col)) == "✓ Ana"
    assert "escalate" in str(win.version_model.data(win.version_model.index(1, col), 3))  # tooltip
    assert win.policies.current_info().unreviewed == 0
    assert win.settings.reviewer == "Ana"
    (logged,) = Portfolio(portfolio_archive).reviews()
    assert (logged.reviewer, logged.note, logged.version_timestamp) == (
        "Ana",
        "now sells data: escalate",
        "20240301000000",
    )


def test_update_all_shows_each_policy_and_names_what_changed(
    qtbot: Any, tmp_path: Path, httpserver: HTTPServer
) -> None:
    ia = FakeIA(httpserver)
    ia.add("20230101000000", ACME, page("Acme keeps your email."), digest="1")
    arc = Archive.open(tmp_path / "archive")
    store(arc, ACME, "20230101000000", "Acme keeps your email.", ia.prefix)
    store(arc, GLOBEX, "20230101000000", "Globex sells nothing.", ia.prefix)
    store(arc, INITECH, "20200101000000", "Initech never changed its text.", ia.prefix)
    win = open_window(qtbot, arc, tmp_path)
    win.settings.remember_fetch(ACME, ia.prefix, "ia", None, None)  # how the user listed this archive
    with qtbot.waitSignal(win.policiesLoaded, timeout=30_000):
        task = win.portfolio.update_all()
        assert task is not None
    first = win.portfolio.dialog
    assert isinstance(first, UpdateDialog) and first.list.count() == 3
    assert "No changes in 3 policies" in win.message_bar.label.text()
    first.close()
    ia.add("20230601000000", ACME, page("Acme keeps your email and phone."), digest="2")
    with qtbot.waitSignal(win.policiesLoaded, timeout=30_000):
        win.portfolio.update_all()
    lines = [win.portfolio.dialog.list.item(r).text() for r in range(3)]
    assert lines[0].endswith(": 1 new change") and all(line.endswith(": no change") for line in lines[1:]), (
        lines
    )
    assert "1 of 3 policies changed: acme.example/privacy" in win.message_bar.label.text()
    win.close()
    arc.close()


def test_the_timeline_says_where_each_version_came_from_and_where_archives_disagree(
    qtbot: Any, tmp_path: Path
) -> None:
    ia, library = "https://web.archive.org/web/", "https://webarchive.library.example/wayback/"
    arc = Archive.open(tmp_path / "archive")
    store(arc, ACME, "20230101080000", "We keep data for one year.", ia)
    store(arc, ACME, "20230301080000", "We keep data for one year.", ia)
    store(arc, ACME, "20230301170000", "We keep data for two years.", library)  # same day, other text
    store(arc, GLOBEX, "20230101080000", "Globex text.")
    store(arc, INITECH, "20230101080000", "Initech text.")
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.policy_model.rowCount() == 3, timeout=10_000)
    row = win.policy_model.row_of(arc.get_policy(ACME).id)
    win.policy_view.setCurrentIndex(win.policy_model.index(row))  # the first row: maybe chosen already
    qtbot.waitUntil(lambda: len(win.timeline.points()) == 2, timeout=10_000)
    points = win.timeline.points()
    assert [(p.source, p.disagree) for p in points] == [
        ("web.archive.org", True),
        ("webarchive.library.example", True),
    ]
    win.close()
    arc.close()
