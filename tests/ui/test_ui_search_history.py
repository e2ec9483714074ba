"""The search panel (ui/search_panel.py) and the paragraph history (ui/paragraph_history.py), driven
with qtbot on real widgets offscreen.

The search runs on a copy of the demo archive (real Tinder and GitHub captures, snapshots/README.md):
"biometric" is in every Tinder capture from 2023-01-20 on and in no GitHub one (grep of the raw
captures in tests/data/corpus). The paragraph history runs on versions made by hand from real
paragraphs, so the expected dates are the ones they were stored at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from archiver.extraction import from_markdown
from archiver.models import Capture, Source
from archiver.storage import Archive
from ui.mainwindow import MainWindow
from ui.settings import Settings

TINDER = "https://policies.tinder.com/privacy/intl/en"


def open_window(qtbot: Any, arc: Archive, tmp_path: Path) -> MainWindow:
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.show()
    return win


def test_search_panel_finds_when_a_passage_appeared_and_opens_a_version_at_it(
    qtbot: Any, demo: Archive, tmp_path: Path
) -> None:
    win = open_window(qtbot, demo, tmp_path)
    controller = win.search_controller
    controller.action.trigger()
    panel = controller.panel
    assert controller.dock.isVisible()
    qtbot.keyClicks(panel.query, "BIOMETRIC")
    with qtbot.waitSignal(controller.searched, timeout=30_000) as searched:
        qtbot.keyClick(panel.query, Qt.Key.Key_Return)
    assert searched.args == [1]
    assert panel.tree.topLevelItemCount() == 1
    top = panel.tree.topLevelItem(0)
    assert top.text(0).startswith("Tinder Privacy Policy  —  6 of 7 versions")
    assert top.text(1) == "2023-01-20 00:33 (not in 2022-04-07 00:32)"
    assert top.text(2) == "2026-03-06 00:32 (still there)"
    assert "biometric" in top.text(3).lower()
    dates = [top.child(k).text(0) for k in range(top.childCount())]
    assert dates[0] == "2023-01-20 00:33" and dates[-1] == "2026-03-06 00:32" and len(dates) == 6

    # open the version of 2024-05-31 at its paragraph (the window shows GitHub's newest version now)
    child = next(
        top.child(k) for k in range(top.childCount()) if top.child(k).text(0).startswith("2024-05-31")
    )
    with qtbot.waitSignal(controller.opened, timeout=30_000):
        panel.tree.itemActivated.emit(child, 0)
    policy = win.current_policy()
    assert policy is not None and policy.url == TINDER
    versions = win.version_model.versions()
    assert versions[win.right_combo.currentIndex()].timestamp == "20240531183348"
    compare = win.compare
    result, lay = compare.result, compare.layout_info
    assert result is not None and lay is not None
    shown_row = lay.row_at_line(compare.right.first_visible_line())
    assert shown_row is not None
    block = result.rows[shown_row].right
    assert block is not None and "biometric" in block.text.lower()


def test_a_bad_query_says_why_in_the_panel(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = open_window(qtbot, demo, tmp_path)
    controller = win.search_controller
    controller.open_panel()
    controller.panel.query.setText("opt-out")
    with qtbot.waitSignal(controller.searched, timeout=30_000) as searched:
        controller.panel.button.click()
    assert searched.args == [-1]
    assert controller.panel.status.text().startswith("cannot search for 'opt-out'")
    assert controller.panel.tree.topLevelItemCount() == 0


# --- paragraph history ---------------------------------------------------------------------------

URL = "https://example.com/privacy"
INTRO = "We respect your privacy and explain here what we collect, why, and for how long we keep it."
SHARE = "We share your contact details with payment processors only to complete the purchases you make."
RETAIN = "We keep your account data while your account is open and for one year after it is closed."
RETAIN_EDITED = "We keep your account data while your account is open and for two years after it is closed."
CONTACT = "Write to privacy@example.com with any question about this policy or your personal data."
NEW = "We now use your personal data to train artificial intelligence models."
STAMPS = ("20200101000000", "20200601000000", "20210101000000", "20220101000000")


def history_archive(root: Path) -> Archive:
    """v1: intro, share, retain, contact; v2: retain moved up; v3: retain edited; v4: a new paragraph."""
    texts = [
        [INTRO, SHARE, RETAIN, CONTACT],
        [INTRO, RETAIN, SHARE, CONTACT],
        [INTRO, RETAIN_EDITED, SHARE, CONTACT],
        [INTRO, RETAIN_EDITED, SHARE, NEW, CONTACT],
    ]
    arc = Archive.open(root)
    policy = arc.ensure_policy(URL, "Example")
    for ts, paras in zip(STAMPS, texts, strict=True):
        capture = Capture(
            id=0,
            policy_id=0,
            source=Source.FILE,
            timestamp=ts,
            original_url=URL,
            content_type="text/markdown",
        )
        arc.add_capture(policy, capture, None, from_markdown("# Privacy\n\n" + "\n\n".join(paras) + "\n"))
    return arc


def line_of(win: MainWindow, text: str) -> int:
    result, lay = win.compare.result, win.compare.layout_info
    assert result is not None and lay is not None
    row = next(k for k, r in enumerate(result.rows) if r.right is not None and r.right.text.startswith(text))
    return lay.row_lines[row][0]


def test_hover_and_history_panel_follow_a_paragraph_through_a_move_and_an_edit(
    qtbot: Any, tmp_path: Path
) -> None:
    arc = history_archive(tmp_path / "a")
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.show()
    history = win.paragraph_history
    qtbot.waitUntil(lambda: history.current_blame() is not None, timeout=30_000)
    assert win.right_combo.currentIndex() == 3  # the newest version, compared with the one before

    # hovering a paragraph of the newer side: where it came from
    line = line_of(win, RETAIN_EDITED)
    viewport = win.compare.right.viewport()
    pos = history.point_of_line(line)
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos)))
    assert QToolTip.text() == (
        "Introduced in v1 · 2020-01-01 00:00\nLast changed in v3 · 2021-01-01 00:00\nCtrl+Shift+H: its history"
    )
    assert history.tooltip(line_of(win, NEW)).startswith(
        "Introduced in v4 · 2022-01-01 00:00\nLast changed in v4"
    )
    assert history.tooltip(line_of(win, CONTACT)).startswith(
        "Introduced in v1 · 2020-01-01 00:00\nLast changed in v1"
    )

    # the panel, on the paragraph at the text cursor
    cursor = win.compare.right.textCursor()
    cursor.setPosition(win.compare.right.document().findBlockByNumber(line).position())
    cursor.movePosition(QTextCursor.MoveOperation.Right)
    win.compare.right.setTextCursor(cursor)
    history.action.trigger()
    assert history.dock.isVisible()
    panel = history.panel
    assert panel.heading.text() == (
        "Introduced in v1 · 2020-01-01 00:00, last changed in v3 · 2021-01-01 00:00 (1 change)"
    )
    shown = panel.browser.toPlainText()
    # moved in v2, not changed: the first wording lasted through v2
    assert "v1 · 2020-01-01 00:00 — introduced (the same through v2 · 2020-06-01 00:00)" in shown
    assert "v3 · 2021-01-01 00:00 — changed (the same through v4 · 2022-01-01 00:00)" in shown
    marked = panel.browser.toHtml()
    assert "line-through" in marked and "#b4f1c0" in marked  # the word diff: "one year" -> "two years"

    # while open, the panel follows a click on another paragraph
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=history.point_of_line(line_of(win, NEW)))
    assert panel.heading.text().startswith("Introduced in v4 · 2022-01-01 00:00, last changed in v4")
    win.close()
    arc.close()


def test_history_panel_screenshot(qtbot: Any, tmp_path: Path) -> None:
    """The window with both panels renders (a PNG for the docs is written when asked)."""
    arc = history_archive(tmp_path / "a")
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.show()
    qtbot.waitUntil(lambda: win.paragraph_history.current_blame() is not None, timeout=30_000)
    win.paragraph_history.show_line(line_of(win, RETAIN_EDITED))
    win.search_controller.open_panel()
    win.search_controller.panel.query.setText('"account data"')
    with qtbot.waitSignal(win.search_controller.searched, timeout=30_000):
        win.search_controller.panel.button.click()
    image = win.grab()
    assert image.width() > 0
    target = tmp_path / "history.png"
    assert image.save(str(target)) and target.stat().st_size > 0
    win.close()
    arc.close()
