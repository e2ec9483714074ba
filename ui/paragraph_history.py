"""Paragraph history in the compare view: where each paragraph of the newer version came from.

Hovering a paragraph of the newer pane says which version introduced it and which last changed it;
View → History of This Paragraph (Ctrl+Shift+H) opens a panel listing the versions the paragraph at
the text cursor went through, each with the word diff from the one before; while it is open, a
click on another paragraph shows that one. The history is ``archiver.analysis.blame``
of the version shown on the right, computed in a worker once per version (a few recent ones kept).

The main window's hook is one line (``ParagraphHistory(window, compare)``); this controller owns
its action, its dock and its state.
"""

from __future__ import annotations

import html
import threading
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QHelpEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTextBrowser, QToolTip, QVBoxLayout, QWidget

from archiver.analysis.blame import Blame, ParagraphBlame, blame
from archiver.diffing import DiffOptions
from archiver.diffing.words import inline_ops
from archiver.errors import CancelledError
from archiver.models import Version
from archiver.storage import Archive

from .cache import LRUCache
from .models import short_date
from .workers import Task, run_task

if TYPE_CHECKING:
    from .compare import CompareView

BLAME_BUDGET = 8 * 1024 * 1024  # estimated bytes of paragraph histories kept (ui.cache)


def blame_size(blame: Blame) -> int:
    """About what a paragraph history holds: its texts, and ~150 bytes a record around them."""
    return sum(len(p.text) + 150 + sum(len(s.text) + 150 for s in p.history) for p in blame.paragraphs)


_DEL = "background-color:#ffc7c4;text-decoration:line-through"
_INS = "background-color:#b4f1c0"


def job_blame(archive: Archive, version: Version) -> Any:
    def run(cancel: threading.Event, report: Any) -> Blame:
        if cancel.is_set():
            raise CancelledError()
        return blame(archive, version)

    return run


def version_name(v: Version) -> str:
    return f"v{v.index + 1} · {short_date(v.timestamp)}"


def history_html(result: Blame, para: ParagraphBlame) -> str:
    """The states a paragraph went through, oldest first: the versions that said it so, and the word
    diff from the state before."""
    parts = []
    previous = None
    states = para.history
    for n, state in enumerate(states):
        version = result.versions[state.version]
        until = (states[n + 1].version if n + 1 < len(states) else len(result.versions)) - 1
        what = "introduced" if n == 0 else "changed"
        same = f" (the same through {version_name(result.versions[until])})" if until > state.version else ""
        parts.append(f"<h4>{html.escape(version_name(version))} — {what}{html.escape(same)}</h4><p>")
        if previous is None:
            parts.append(html.escape(state.text))
        else:
            for op, piece in inline_ops(previous, state.text, DiffOptions()):
                text = html.escape(piece)
                parts.append(
                    text if op == "=" else f'<span style="{_DEL if op == "-" else _INS}">{text}</span>'
                )
        parts.append("</p>")
        previous = state.text
    return "".join(parts).replace("\n", "<br>")


class HistoryPanel(QWidget):
    """The "History of this paragraph" panel: a heading and the states as rich text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Point at a paragraph of the newer version and press Ctrl+Shift+H.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("History of this paragraph")
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.heading)
        box.addWidget(self.browser, 1)

    def show_history(self, result: Blame, para: ParagraphBlame) -> None:
        versions = result.versions
        changes = len(para.history) - 1
        self.heading.setText(
            f"Introduced in {version_name(versions[para.introduced])}, last changed in "
            f"{version_name(versions[para.last_changed])} ({changes} change{'s' if changes != 1 else ''})"
        )
        self.browser.setHtml(history_html(result, para))

    def show_message(self, text: str) -> None:
        self.heading.setText(text)
        self.browser.clear()


class ParagraphHistory(QObject):
    """Tooltips on the newer pane and the history panel, following the version shown on the right.

    Signals:
        blameReady(): the history of the version on the right has arrived (tests wait for it).
    """

    blameReady = Signal()

    def __init__(self, window: QMainWindow, compare: CompareView) -> None:
        super().__init__(window)
        self.window: Any = cast(Any, window)  # ui.mainwindow.MainWindow (not imported: no import cycle)
        self.compare = compare
        self.panel = HistoryPanel()
        self.dock = QDockWidget("History of This Paragraph", window)
        self.dock.setObjectName("paragraph-history")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.action = QAction("History of This &Paragraph", self)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.action.setStatusTip("The versions the paragraph at the cursor went through, with word diffs")
        self.action.triggered.connect(self.show_at_cursor)
        window.addAction(self.action)
        self._cache: LRUCache[tuple[int, str], Blame] = LRUCache(BLAME_BUDGET, blame_size)
        self._archive = self.window.archive
        self._version: Version | None = None
        self._task: Task | None = None
        self._show_when_ready = False
        self.window.diffShown.connect(self._diff_shown)
        compare.right.viewport().installEventFilter(self)  # hover: tooltips; a click: the panel follows

    # --- the version on the right ---------------------------------------------------------------

    def _right_version(self) -> Version | None:
        versions = self.window.version_model.versions()
        index = self.window.right_combo.currentIndex()
        return versions[index] if 0 <= index < len(versions) else None

    def _diff_shown(self, _result: object) -> None:
        if self._archive is not self.window.archive:  # File → Open Archive: another archive's histories
            self._archive = self.window.archive
            self._cache.clear()
            self._version = None
        version = self._right_version()
        if version is None or version == self._version:
            return
        self._version = version
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.current_blame() is not None:
            self.blameReady.emit()
            return
        archive = self.window.archive
        self._task = run_task(
            job_blame(archive, version),
            name="paragraph history",
            context=self,
            on_finished=lambda r: self._arrived(archive, version, r),
            on_failed=lambda exc: self.panel.show_message(f"The paragraph history could not be made: {exc}"),
        )

    def _arrived(self, archive: Archive, version: Version, result: Blame) -> None:
        if archive is not self.window.archive:
            return
        self._cache[(version.policy_id, version.text_sha256 + version.timestamp)] = result
        if version == self._version:
            self._task = None
            self.blameReady.emit()
            if self._show_when_ready or self.dock.isVisible():
                self._show_when_ready = False
                self.show_at_cursor()

    def current_blame(self) -> Blame | None:
        v = self._version
        return None if v is None else self._cache.get((v.policy_id, v.text_sha256 + v.timestamp))

    # --- which paragraph --------------------------------------------------------------------------

    def paragraph_at_line(self, line: int) -> ParagraphBlame | None:
        """The paragraph of the newer version shown at a view line of the compare view."""
        result, lay, history = self.compare.result, self.compare.layout_info, self.current_blame()
        if result is None or lay is None or history is None:
            return None
        row = lay.row_at_line(line)
        block = result.rows[row].right if row is not None else None
        return history.at_block(block.index) if block is not None else None

    def tooltip(self, line: int) -> str:
        para = self.paragraph_at_line(line)
        history = self.current_blame()
        if history is None:
            return "Paragraph history: loading…"
        if para is None:
            return ""
        versions = history.versions
        return (
            f"Introduced in {version_name(versions[para.introduced])}\n"
            f"Last changed in {version_name(versions[para.last_changed])}\n"
            "Ctrl+Shift+H: its history"
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            line = self.compare.right.cursorForPosition(event.pos()).blockNumber()
            text = self.tooltip(line)
            topics = self.compare.topic_tip(self.compare.right, event.pos())  # an underlined topic word
            text = f"{topics}\n\n{text}" if topics and text else topics or text
            if text:
                QToolTip.showText(event.globalPos(), text, self.compare.right)
            else:
                QToolTip.hideText()
            return True
        if event.type() == QEvent.Type.MouseButtonRelease and self.dock.isVisible():
            self.show_at_cursor()  # the click has placed the text cursor
        return False

    def show_at_cursor(self) -> None:
        """Open the panel on the paragraph at the newer pane's text cursor."""
        self.show_line(self.compare.right.textCursor().blockNumber())

    def show_line(self, line: int) -> None:
        self.dock.show()
        if self.current_blame() is None:
            self._show_when_ready = True
            self.panel.show_message("Following the paragraphs through the versions…")
            return
        para = self.paragraph_at_line(line)
        history = self.current_blame()
        if para is None or history is None:
            self.panel.show_message("No paragraph of the newer version here.")
            return
        self.panel.show_history(history, para)

    def point_of_line(self, line: int) -> QPoint:
        """Where a view line of the newer pane is drawn (for tests that hover it)."""
        block = self.compare.right.document().findBlockByNumber(line)
        return (
            self.compare.right.blockBoundingGeometry(block)
            .translated(self.compare.right.contentOffset())
            .center()
            .toPoint()
        )
