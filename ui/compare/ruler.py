"""Overview ruler: one mark per change, placed in proportion to where it sits; a click jumps there."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from .panes import kind_color


class OverviewRuler(QWidget):
    """Marks ``(first line, line count, style)`` over ``total`` view lines, plus the visible window.

    Signals:
        markClicked(int): a click on (or within a few pixels of) the mark of change ``index``.
        lineClicked(int): the view line under a click elsewhere, or under a drag.
        wheeled(QWheelEvent): the wheel turned over the ruler (the panes scroll).
    """

    markClicked = Signal(int)
    lineClicked = Signal(int)
    wheeled = Signal(QWheelEvent)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: a mark per change; click to jump")
        self._marks: list[tuple[int, int, str]] = []
        self._total = 0
        self._window = (0, 0)
        self._current = -1

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(16, 100)

    def set_marks(self, marks: list[tuple[int, int, str]], total: int) -> None:
        self._marks = marks
        self._total = total
        self._current = -1
        self.update()

    def set_window(self, first: int, count: int) -> None:
        if (first, count) != self._window:
            self._window = (first, count)
            self.update()

    def set_current(self, index: int) -> None:
        self._current = index
        self.update()

    def mark_rect(self, index: int) -> QRectF:
        first, count, _style = self._marks[index]
        scale = self._scale()
        return QRectF(2, 2 + first * scale, self.width() - 4, max(3.0, count * scale))

    def line_at(self, y: float) -> int:
        return max(0, min(self._total - 1, int((y - 2) / self._scale())))

    def _scale(self) -> float:
        return (self.height() - 4) / max(1, self._total)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        if self._total:
            scale = self._scale()
            first, count = self._window
            window_color = QColor(pal.color(QPalette.ColorRole.Text))
            window_color.setAlpha(28)
            painter.fillRect(
                QRectF(0, 2 + first * scale, self.width(), max(4.0, count * scale)), window_color
            )
            colors: dict[str, QColor] = {}
            for k in range(len(self._marks)):
                style = self._marks[k][2]
                color = colors.get(style)
                if color is None:
                    color = colors[style] = kind_color(pal, style, strong=True)
                painter.fillRect(self.mark_rect(k), color)
            if 0 <= self._current < len(self._marks):
                pen = QPen(pal.color(QPalette.ColorRole.Highlight))
                pen.setWidth(2)
                painter.setPen(pen)
                painter.drawRect(self.mark_rect(self._current).adjusted(-1, -1, 1, 1))
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self._total:
            return
        y = event.position().y()
        best, best_dist = -1, 5.0  # pixels of slack around a mark
        for k in range(len(self._marks)):
            rect = self.mark_rect(k)
            dist = (
                0.0 if rect.top() <= y <= rect.bottom() else min(abs(y - rect.top()), abs(y - rect.bottom()))
            )
            if dist <= best_dist:
                best, best_dist = k, dist
                if dist == 0.0:
                    break
        if best >= 0:
            self.markClicked.emit(best)
        else:
            self.lineClicked.emit(self.line_at(y))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        self.wheeled.emit(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton and self._total:
            self.lineClicked.emit(self.line_at(event.position().y()))
