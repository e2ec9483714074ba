"""A find bar: Enter / Shift+Enter for the next / previous match, Esc closes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget


class _FindEdit(QLineEdit):
    stepped = Signal(bool)  # True: backwards
    closed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.stepped.emit(bool(event.modifiers() & Qt.ShiftModifier))
            return
        if key == Qt.Key_Escape:
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
        prev_button = QToolButton(self, text="▲", toolTip="Previous match (Shift+Enter)")
        next_button = QToolButton(self, text="▼", toolTip="Next match (Enter)")
        close_button = QToolButton(self, text="✕", toolTip="Close (Esc)")
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.PlainText)
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
        self.edit.setFocus(Qt.ShortcutFocusReason)
        self.edit.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def set_status(self, text: str) -> None:
        self.status.setText(text)
