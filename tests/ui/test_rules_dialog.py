"""Policy → Extraction Rules…: a live preview as the selector is typed, "matches nothing", and Apply
re-extracting the policy's captures. The page is a real capture (tests/data/corpus-wide/README.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from archiver.pipeline import import_paths
from archiver.rules import RulePreview
from archiver.storage import Archive
from ui.mainwindow import MainWindow
from ui.rules_dialog import RulesDialog, RulesOutcome
from ui.settings import Settings

PAGE = Path(__file__).resolve().parents[1] / "data" / "corpus-wide" / "mpesa-tos" / "20250530043018.html"
URL = "https://www.safaricom.co.ke/media-center-landing/terms-and-conditions/m-pesa-customer-terms-conditions"
DATE_LINE = "Last Updated: May 28, 2024 at 1:54 PM"


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    arc = Archive.open(tmp_path / "A")
    for n, date in enumerate(("20250530043018", "20250807163022")):
        path = tmp_path / f"capture{n}.html"  # each capture its own bytes (the same bytes are one capture)
        path.write_bytes(PAGE.read_bytes() + f"<!-- capture {n} -->".encode())
        assert [r.error for r in import_paths(arc, [str(path)], url=URL, date=date)] == [""]
    yield arc
    arc.close()


def open_dialog(qtbot: Any, arc: Archive, tmp_path: Path) -> tuple[MainWindow, RulesDialog]:
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.current_version() is not None, timeout=30_000)
    policy_menu = next(a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == "Policy")
    assert win.rules_action in policy_menu.actions()
    win.rules_action.trigger()
    dialog = win.rules_dialog
    assert isinstance(dialog, RulesDialog)
    qtbot.addWidget(dialog)
    return win, dialog


def test_the_preview_follows_the_selector_as_it_is_typed(
    qtbot: Any, archive: Archive, tmp_path: Path
) -> None:
    _win, dialog = open_dialog(qtbot, archive, tmp_path)
    with qtbot.waitSignal(dialog.previewed, timeout=30_000) as first:
        pass  # the capture is read, then previewed with no rule
    assert isinstance(first.args[0], RulePreview)
    assert DATE_LINE in dialog.preview.toPlainText()
    assert dialog.status.text().startswith("Automatic extraction:")

    with qtbot.waitSignal(dialog.previewed, timeout=30_000) as typed:
        qtbot.keyClicks(dialog.select_edit, ".m-pesa-global-content")
    assert isinstance(typed.args[0], RulePreview)
    assert dialog.preview.toPlainText().startswith(
        "Download PDF\n\nThis Agreement contains the complete terms"
    )
    assert DATE_LINE not in dialog.preview.toPlainText()
    assert dialog.status.text().startswith("The selector matches 1 element(s)")

    dialog.select_edit.clear()
    with qtbot.waitSignal(dialog.previewed, timeout=30_000):
        qtbot.keyClicks(dialog.select_edit, "#no-such-block")
    assert (
        "‘#no-such-block’ matches nothing on this capture; the text is found automatically"
        in dialog.status.text()
    )
    assert DATE_LINE in dialog.preview.toPlainText()

    dialog.select_edit.clear()
    with qtbot.waitSignal(dialog.previewed, timeout=30_000) as bad:
        qtbot.keyClicks(dialog.select_edit, "div[")
    assert dialog.status.text().startswith("⚠ bad CSS selector 'div['")
    assert not isinstance(bad.args[0], RulePreview)


def test_apply_re_extracts_and_says_which_captures_changed(
    qtbot: Any, archive: Archive, tmp_path: Path
) -> None:
    win, dialog = open_dialog(qtbot, archive, tmp_path)
    with qtbot.waitSignal(dialog.previewed, timeout=30_000):
        pass
    qtbot.keyClicks(dialog.select_edit, ".m-pesa-global-content")
    qtbot.keyClicks(dialog.remove_edit, "a[href$='.pdf']")
    with qtbot.waitSignal(dialog.applied, timeout=60_000) as applied:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    outcome = applied.args[0]
    assert isinstance(outcome, RulesOutcome)
    assert outcome.changed == ("20250530043018", "20250807163022")
    assert dialog.status.text().startswith(
        "2 capture(s) have a new text: 2025-05-30 04:30:18, 2025-08-07 16:30:22. Versions:"
    )
    assert "select .m-pesa-global-content; remove a[href$='.pdf']" in dialog.rules_label.text()
    policy = archive.get_policy(URL)
    assert [r.select for r in policy.rules] == [(".m-pesa-global-content",)]
    for capture in archive.captures(policy.id):
        extraction = archive.extraction(capture.id)
        assert extraction is not None and extraction.text.startswith("This Agreement contains")

    with qtbot.waitSignal(dialog.applied, timeout=60_000) as cleared:
        qtbot.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    assert cleared.args[0].rules == ()
    assert dialog.rules_label.text() == "No rules: the policy's text is found automatically."
    assert archive.get_policy(URL).rules == ()
    assert win.isVisible()
