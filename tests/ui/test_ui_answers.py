"""The answers in the app (ui/answers.py), driven with qtbot on real widgets offscreen: the date-flag
filter of the version table, the changes by topic (filter, hover, list), the measures plot and the
watchlist editor, on two real Heloa captures (tests/data/corpus) whose change added sub-processors;
the topic words underlined in the compare panes, on two Tinder captures."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QToolTip

from archiver.cli import main
from archiver.storage import Archive
from ui.mainwindow import MainWindow
from ui.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
HELOA = "https://heloa.app/fr/privacy"


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[MainWindow]:
    root = tmp_path / "archive"
    for stamp in ("20250902003011", "20250926123039"):
        path = CORPUS / "heloa-privacy-fr" / f"{stamp}.html"
        assert main(["--archive", str(root), "import", str(path), "--url", HELOA, "--date", stamp]) == 0
    capsys.readouterr()
    arc = Archive.open(root)
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.answers.tagged, timeout=30_000) as tagged:
        win.show()
    assert tagged.args == [2]  # the announcement; the block of new bullets (transfers, refunds)
    yield win
    win.close()
    arc.close()


def _visible(win: MainWindow) -> list[int]:
    return [r for r in range(win.compare.model.rowCount()) if not win.compare.change_list.isRowHidden(r)]


def test_topics_filter_hover_and_list(qtbot: Any, window: MainWindow) -> None:
    answers = window.answers
    answers.action.trigger()
    assert answers.dock.isVisible()
    found = [m.topic for c in range(window.compare.model.rowCount()) for m in answers.change_topics(c)]
    assert set(found) == {"third-party-sharing", "international-transfers", "arbitration"}
    everything = _visible(window)
    answers.topic_filter.setCurrentIndex(answers.topic_filter.findText("International transfers"))
    shown = _visible(window)
    assert len(shown) == 1 < len(everything)  # one change: the two inserted bullets are one hunk
    assert answers.changes.count() == 1
    assert "International transfers: transiter hors, clauses contractuelles" in answers.changes.item(0).text()
    # hovering the change in the compare view's list shows its topics, changed words in bold
    view = window.compare.change_list
    rect = view.visualRect(window.compare.model.index(shown[0], 0))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), view.viewport().mapToGlobal(rect.center()))
    QApplication.sendEvent(view.viewport(), event)
    assert "<b>transiter hors</b>" in QToolTip.text() and "International transfers" in QToolTip.text()
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5_000)  # before the window goes
    # activating the dock's item goes to that change
    answers.changes.itemActivated.emit(answers.changes.item(0))
    assert window.compare.current_change == shown[0]
    answers.topic_filter.setCurrentIndex(0)
    assert _visible(window) == everything


def test_flag_filter_and_measures(qtbot: Any, window: MainWindow) -> None:
    answers = window.answers
    if len(answers._measures) < 2:
        qtbot.waitUntil(lambda: len(answers._measures) == 2, timeout=30_000)
    answers.flag_filter.setCurrentText("silent-change")
    assert [window.version_view.isRowHidden(r) for r in range(2)] == [True, False]
    answers.flag_filter.setCurrentText("date-only-change")
    assert [window.version_view.isRowHidden(r) for r in range(2)] == [True, True]
    answers.flag_filter.setCurrentText("All versions")
    assert [window.version_view.isRowHidden(r) for r in range(2)] == [False, False]
    answers.measure_choice.setCurrentIndex(answers.measure_choice.findData("third_parties"))
    values = answers.plot.values()
    assert values[1] == values[0] + 1  # RevenueCat joined
    answers.measure_choice.setCurrentIndex(answers.measure_choice.findData("readability"))
    assert all(isinstance(v, float) for v in answers.plot.values())


def test_watchlist_editor_checks_and_saves(qtbot: Any, window: MainWindow) -> None:
    answers = window.answers
    answers.watchlist_action.trigger()
    dialog = answers.dialog
    assert '"international-transfers"' in dialog.editor.toPlainText()
    dialog.editor.setPlainText('{"topics": []}')
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert "it lists no topics" in dialog.error.text() and dialog.isVisible()
    mine = {
        "topics": [{"id": "revenuecat", "name": "RevenueCat", "weight": 3, "terms": {"fr": ["revenuecat"]}}]
    }
    dialog.editor.setPlainText(json.dumps(mine))
    with qtbot.waitSignal(answers.tagged, timeout=30_000) as tagged:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert tagged.args == [2]  # the announcement and the RevenueCat bullets
    saved = json.loads((window.archive.root / "topics.json").read_text(encoding="utf-8"))
    assert [t["id"] for t in saved["topics"]] == ["revenuecat"]
    assert [answers.topic_filter.itemText(i) for i in range(answers.topic_filter.count())] == [
        "All changes",
        "RevenueCat",
    ]


TINDER = "https://policies.tinder.com/privacy/intl/en"


@pytest.fixture
def tinder(qtbot: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[MainWindow]:
    """Two Tinder captures whose change adds a paragraph on selling data and targeted advertising."""
    root = tmp_path / "archive"
    for stamp in ("20230120003318", "20240416003323"):
        path = CORPUS / "tinder-privacy" / f"{stamp}.html"
        assert main(["--archive", str(root), "import", str(path), "--url", TINDER, "--date", stamp]) == 0
    capsys.readouterr()
    arc = Archive.open(root)
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.answers.tagged, timeout=30_000):
        win.show()
    yield win
    win.close()
    arc.close()


def _underlined(pane: Any, pos: int) -> bool:
    cursor = QTextCursor(pane.document())
    cursor.setPosition(pos + 1)  # the format of the character at pos
    fmt = cursor.charFormat()
    if fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.NoUnderline:
        return False
    assert fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    assert fmt.underlineColor() == QColor(5, 80, 174)
    return True


def _starts(pane: Any, pattern: str) -> list[int]:
    return [m.start() for m in re.finditer(pattern, pane.toPlainText())]


def test_the_compare_panes_underline_the_changed_topic_words(qtbot: Any, tinder: MainWindow) -> None:
    compare, answers = tinder.compare, tinder.answers
    right = compare.right
    # "targeted advertising" three times in the newer version: in two unchanged paragraphs (vendors,
    # non-personal information), then in the paragraph added at the end of the appeal rights
    # ("we do not “sell” your personal data, or use it for “targeted advertising”")
    *unchanged, added = _starts(right, r"targeted\s+advertising")
    assert len(unchanged) == 2
    assert _underlined(right, added) and not any(_underlined(right, pos) for pos in unchanged)
    (sell,) = _starts(right, r"do\s+not\s+“sell")
    assert _underlined(right, sell)
    assert compare.topics_action.isEnabled() and compare.topics_action.isChecked()
    # hovering the word names its topic, before the paragraph's history
    cursor = QTextCursor(right.document())
    cursor.setPosition(added + 3)
    right.setTextCursor(cursor)
    right.ensureCursorVisible()
    point = right.cursorRect(cursor).center()
    event = QHelpEvent(QEvent.Type.ToolTip, point, right.viewport().mapToGlobal(point))
    QApplication.sendEvent(right.viewport(), event)
    assert QToolTip.text().startswith("Topic: Cookies and tracking")
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5_000)
    # the dock's topic filter narrows the marks to that topic's words
    answers.topic_filter.setCurrentIndex(answers.topic_filter.findText("Sale of data"))
    assert _underlined(right, sell) and not _underlined(right, added)
    answers.topic_filter.setCurrentIndex(0)
    assert _underlined(right, added)
    # the toolbar's Topics toggle takes them all away
    compare.topics_action.trigger()
    assert not _underlined(right, added) and not _underlined(right, sell)
    compare.topics_action.trigger()
    assert _underlined(right, added)
