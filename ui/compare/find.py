"""Find in the compare panes: the bar (Enter / Shift+Enter next / previous, Esc closes) and the search."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTextEdit, QToolButton, QWidget

from .layout import Layout
from .panes import DiffPane, blend

_MAX_MATCHES = 10_000
_MAX_HIGHLIGHTS = 1_000  # per pane: extra selections are slow in bulk (docs/performance.md)


def _button(parent: QWidget, text: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    return button


class _FindEdit(QLineEdit):
    stepped = Signal(bool)  # True: backwards
    closed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.stepped.emit(bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            return
        if key == Qt.Key.Key_Escape:
            self.closed.emit()
            return
        super().keyPressEvent(event)


class FindBar(QWidget):
    """Signals:
    searched(str, bool): find the next match (True: the previous one).
    edited(str): the text changed (incremental search; empty: clear).
    closed(): the bar was closed.
    """

    searched = Signal(str, bool)
    edited = Signal(str)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Find:"))
        self.edit = _FindEdit(self)
        self.edit.setPlaceholderText("text in either version")
        self.edit.setClearButtonEnabled(True)
        layout.addWidget(self.edit, 1)
        prev_button = _button(self, "▲", "Previous match (Shift+Enter)")
        next_button = _button(self, "▼", "Next match (Enter)")
        close_button = _button(self, "✕", "Close (Esc)")
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setMinimumWidth(90)
        for w in (prev_button, next_button, self.status, close_button):
            layout.addWidget(w)
        self.edit.textChanged.connect(self.edited)
        self.edit.stepped.connect(lambda back: self.searched.emit(self.edit.text(), back))
        prev_button.clicked.connect(lambda: self.searched.emit(self.edit.text(), True))
        next_button.clicked.connect(lambda: self.searched.emit(self.edit.text(), False))
        self.edit.closed.connect(self.close_bar)
        close_button.clicked.connect(self.close_bar)

    def open_bar(self) -> None:
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def set_status(self, text: str) -> None:
        self.status.setText(text)


class PaneFinder(QObject):
    """Finds text in the panes of a layout: incremental as typed, Enter / Shift+Enter to step, every
    match highlighted (up to a cap), the current one selected and scrolled into view."""

    def __init__(
        self, bar: FindBar, panes: tuple[DiffPane, DiffPane], scroll_center: Callable[[int], None]
    ) -> None:
        super().__init__(bar)
        self._bar = bar
        self._panes = panes
        self._scroll_center = scroll_center
        self._layout: Layout | None = None
        self._matches: list[tuple[int, int, int, int]] = []  # (view line, pane, start, end in the text)
        self._match = -1
        self._find_text = ""
        self._find_layout: Layout | None = None
        bar.searched.connect(self.find)
        bar.edited.connect(self._find_as_typed)
        bar.closed.connect(self._closed)

    def set_layout(self, layout: Layout | None) -> None:
        """New pane text: search it again if the bar is open (the old offsets are gone)."""
        self._layout = layout
        self._search(self._bar.edit.text() if self._bar.isVisible() and layout is not None else "")

    def find(self, text: str, backwards: bool = False) -> int:
        """Select the next (or previous) case-insensitive match of ``text`` in either pane, in reading
        order (by view line, left pane first); returns the number of matches."""
        count = self._search(text)
        if not count:
            return 0
        if 0 <= self._match < count:
            self._match = (self._match + (-1 if backwards else 1)) % count
        else:
            top = self._panes[0].first_visible_line()
            k = next((i for i, m in enumerate(self._matches) if m[0] >= top), 0)
            self._match = (k - 1) % count if backwards else k
        self._show_match()
        return count

    def _find_as_typed(self, text: str) -> None:
        """Incremental search: stay on the current match while it still matches."""
        if 0 <= self._match < len(self._matches):
            anchor = self._matches[self._match][:3]
        else:
            anchor = (self._panes[0].first_visible_line(), 0, 0)
        count = self._search(text)
        if count:
            self._match = next((i for i, m in enumerate(self._matches) if m[:3] >= anchor), 0)
            self._show_match()

    def _search(self, text: str) -> int:
        lay = self._layout
        if text == self._find_text and lay is self._find_layout:
            return len(self._matches)
        self._find_text, self._find_layout = text, lay
        self._matches, self._match = [], -1
        if lay is not None and text:
            needle = text.lower()
            for p, pane in enumerate(lay.panes):
                hay = pane.search_text.lower()
                if len(hay) != len(pane.search_text):  # lower() changed lengths: search as is
                    hay, needle = pane.search_text, text
                offsets = pane.line_offsets()
                pos = hay.find(needle)
                while pos != -1 and len(self._matches) < _MAX_MATCHES:
                    start, end = pane.text_range(pos, pos + len(needle))
                    self._matches.append((bisect_right(offsets, start) - 1, p, start, end))
                    pos = hay.find(needle, pos + max(1, len(needle)))
            self._matches.sort()
        self._highlight_matches()
        count = len(self._matches)
        self._bar.set_status("" if not text else f"{count} matches" if count else "No matches")
        return count

    def _highlight_matches(self) -> None:
        panes = self._panes
        selections: list[list[QTextEdit.ExtraSelection]] = [[], []]
        fmt = QTextCharFormat()
        fmt.setBackground(
            blend(self._panes[0].palette().color(QPalette.ColorRole.Base), QColor(255, 190, 0), 0.55)
        )
        for _line, p, start, end in self._matches:
            if len(selections[p]) >= _MAX_HIGHLIGHTS:
                continue
            sel = QTextEdit.ExtraSelection()
            cursor = QTextCursor(panes[p].document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cursor
            sel.format = fmt
            selections[p].append(sel)
        for pane, sels in zip(panes, selections, strict=True):
            pane.setExtraSelections(sels)

    def _show_match(self) -> None:
        line, p, start, end = self._matches[self._match]
        panes = self._panes
        for q, pane in enumerate(panes):
            if q != p:
                # drop an earlier match's selection there and park its cursor on the match's line,
                # keeping its scroll position: a match already in view must not move the view
                bars = (pane.verticalScrollBar(), pane.horizontalScrollBar())
                values = [bar.value() for bar in bars]
                block = pane.document().findBlockByNumber(min(line, pane.blockCount() - 1))
                pane.setTextCursor(QTextCursor(block))
                for bar, value in zip(bars, values, strict=True):
                    bar.setValue(value)
        pane = panes[p]
        cursor = QTextCursor(pane.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        pane.setTextCursor(cursor)
        first, visible = pane.first_visible_line(), pane.visible_lines()
        if not first <= line < first + visible - 1:
            self._scroll_center(line)
        self._bar.set_status(f"{self._match + 1} of {len(self._matches)}")

    def _closed(self) -> None:
        self._search("")
        self._panes[0].setFocus()
