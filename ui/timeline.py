"""A small custom-painted plot: change size (words) per version over time; click a point to compare it."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from archiver.timestamps import display, to_datetime

HIT_RADIUS = 8.0


@dataclass(frozen=True, slots=True)
class Point:
    index: int  # version index
    timestamp: str  # 14-digit
    change: int | None  # words changed against the previous version; None: not known yet
    note: str = ""  # why there is no change to measure: ui.models.change_note
    source: str = ""  # where its first capture came from: an archive's host, "file", "live"…
    disagree: bool = False  # another archive holds another text the same day (archiver.corroboration)


class TimelineWidget(QWidget):
    """Change size per version, on a time axis (square-root scale so small edits stay visible).

    Signals:
        pointClicked(int): the index of the version whose point was clicked.
    """

    pointClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[Point] = []
        self._selected = -1
        # computed once per set_points / set_change, so painting and hit-testing are O(n)
        self._times: list[float] = []  # seconds since the epoch, per point
        self._lo = 0.0
        self._span = 1.0
        self._max = 1  # the largest change (at least 1)
        self._rows: dict[int, int] = {}  # version index -> position in _points
        self._windows: dict[int, tuple[str, bool]] = {}  # version index -> (window start, open)
        self.setMouseTracking(True)
        self.setMinimumHeight(90)
        self.setToolTip("")
        self.setAccessibleName("Change size per version")

    def sizeHint(self) -> QSize:
        return QSize(480, 120)

    def set_points(self, points: list[Point]) -> None:
        self._points = list(points)
        self._windows = {}
        self._rows = {p.index: i for i, p in enumerate(self._points)}
        self._times = [to_datetime(p.timestamp).timestamp() for p in self._points]
        self._lo = min(self._times, default=0.0)
        self._span = (max(self._times, default=0.0) - self._lo) or 1.0
        self._max = self._max_change()
        self.update()

    def set_windows(self, windows: dict[int, tuple[str, bool]]) -> None:
        """Each version's change window: (last capture with the previous text, still open?). Drawn
        as a bar under the time axis from that capture to the version, dashed while open."""
        self._windows = dict(windows)
        self.update()

    def windows(self) -> dict[int, tuple[str, bool]]:
        return dict(self._windows)

    def set_change(self, index: int, change: int) -> None:
        row = self._rows.get(index)
        if row is None:
            return
        old = self._points[row]
        self._points[row] = replace(old, change=change)
        if change >= self._max:
            self._max = change or 1
        elif (old.change or 0) >= self._max:  # the largest one shrank
            self._max = self._max_change()
        self.update()

    def set_selected(self, index: int) -> None:
        if index != self._selected:
            self._selected = index
            self.update()

    def points(self) -> list[Point]:
        return list(self._points)

    # --- geometry ------------------------------------------------------------------------------

    def _plot_rect(self) -> QRectF:
        fm = QFontMetrics(self.font())
        left = fm.horizontalAdvance("00000") + 10
        return QRectF(left, 10, max(1, self.width() - left - 20), max(1, self.height() - fm.height() - 16))

    def _max_change(self) -> int:
        return max((p.change or 0 for p in self._points), default=0) or 1

    def point_position(self, i: int) -> QPointF:
        """Where the i-th point is drawn (tests click it)."""
        return self._position(i, self._plot_rect())

    def _position(self, i: int, rect: QRectF) -> QPointF:
        if len(self._times) > 1:
            x = rect.left() + (self._times[i] - self._lo) / self._span * rect.width()
        else:
            x = rect.center().x()
        change = self._points[i].change or 0
        y = rect.bottom() - math.sqrt(change / self._max) * rect.height()
        return QPointF(x, y)

    def index_at(self, pos: QPointF) -> int:
        best, best_d = -1, HIT_RADIUS
        rect = self._plot_rect()
        for i in range(len(self._points)):
            p = self._position(i, rect)
            d = math.hypot(p.x() - pos.x(), p.y() - pos.y())
            if d <= best_d:
                best, best_d = i, d
        return self._points[best].index if best >= 0 else -1

    def _paint_windows(
        self, painter: QPainter, rect: QRectF, accent: QColor, positions: list[QPointF]
    ) -> None:
        """Change windows: a bar on the time axis from the last capture with the previous text to
        the version's first capture; solid when exact, dashed (and in a warning colour) when open."""
        open_colour = QColor("#d9822b")
        y = rect.bottom() - 2
        for index, (start, is_open) in self._windows.items():
            row = self._rows.get(index)
            if row is None:
                continue
            at = to_datetime(start).timestamp()
            x0 = rect.left() + (at - self._lo) / self._span * rect.width() if len(self._times) > 1 else 0.0
            pen = QPen(open_colour if is_open else accent, 4 if is_open else 3)
            if is_open:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(x0, y), QPointF(max(positions[row].x(), x0 + 2), y))

    def _paint_years(self, painter: QPainter, rect: QRectF, fm: QFontMetrics, grid: QColor) -> None:
        """A faint line and label at each new year between the first and the last version."""
        lo = to_datetime(self._points[0].timestamp)
        hi = to_datetime(self._points[-1].timestamp)
        span = (hi - lo).total_seconds() or 1.0
        edge = fm.horizontalAdvance("0000-00-00") + 8
        for year in range(lo.year + 1, hi.year + 1):
            moment = lo.replace(year=year, month=1, day=1, hour=0, minute=0, second=0)
            x = rect.left() + (moment - lo).total_seconds() / span * rect.width()
            painter.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            if rect.left() + edge < x < rect.right() - edge:
                label = str(year)
                w = fm.horizontalAdvance(label)
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    QRectF(x - w / 2, rect.bottom() + 4, w + 2, fm.height()),
                    Qt.AlignmentFlag.AlignCenter,
                    label,
                )

    # --- events --------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position())
        if index >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.set_selected(index)
            self.pointClicked.emit(index)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position())
        if index >= 0:
            p = self._points[self._rows[index]]
            if p.note:  # see ui.models.change_note
                change = "first version with policy text" if p.note == "first" else p.note
            else:
                change = "change: …" if p.change is None else f"{p.change:,} words changed"
            window = self._windows.get(index)
            if window is not None:
                start = display(window[0])[:16]
                change += f"\nchanged after {start} ({'open: not narrowed yet' if window[1] else 'exact'})"
            if p.source:
                change += f"\nfrom {p.source}"
            if p.disagree:
                change += "\nanother archive holds another text that day"
            QToolTip.showText(
                event.globalPosition().toPoint(),
                f"Version {index + 1}, {display(p.timestamp)[:16]}\n{change}\nClick to compare "
                "with the previous version",
                self,
            )
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            QToolTip.hideText()
            self.unsetCursor()
        super().mouseMoveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        rect = self._plot_rect()
        text = pal.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlpha(50)
        painter.setPen(QPen(grid, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topLeft(), rect.bottomLeft())
        fm = QFontMetrics(self.font())
        painter.setPen(text)
        if not self._points:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No versions")
            return
        painter.drawText(
            QRectF(0, rect.top() - 4, rect.left() - 6, fm.height()),
            Qt.AlignmentFlag.AlignRight,
            f"{self._max:,}",
        )
        painter.drawText(
            QRectF(0, rect.bottom() - fm.height() + 4, rect.left() - 6, fm.height()),
            Qt.AlignmentFlag.AlignRight,
            "0",
        )
        first, last = self._points[0].timestamp, self._points[-1].timestamp
        painter.drawText(
            QRectF(rect.left(), rect.bottom() + 4, rect.width(), fm.height()),
            Qt.AlignmentFlag.AlignLeft,
            display(first)[:10],
        )
        if len(self._points) > 1:
            painter.drawText(
                QRectF(rect.left(), rect.bottom() + 4, rect.width(), fm.height()),
                Qt.AlignmentFlag.AlignRight,
                display(last)[:10],
            )
            self._paint_years(painter, rect, fm, grid)
        accent = pal.color(QPalette.ColorRole.Highlight)
        stem = QColor(accent)
        stem.setAlpha(110)
        painter.setPen(QPen(stem, 2))
        positions = [self._position(i, rect) for i in range(len(self._points))]
        self._paint_windows(painter, rect, accent, positions)
        painter.setPen(QPen(stem, 2))
        for pos in positions:
            painter.drawLine(QPointF(pos.x(), rect.bottom()), pos)
        for i, p in enumerate(self._points):
            pos = positions[i]
            selected = p.index == self._selected
            radius = 6.0 if selected else 4.0
            painter.setPen(QPen(text if selected else accent, 2 if selected else 1))
            painter.setBrush(accent if p.change is not None or i == 0 else pal.color(QPalette.ColorRole.Base))
            painter.drawEllipse(pos, radius, radius)
            if p.disagree:  # a ring in the warning colour: the archives disagree that day
                painter.setPen(QPen(QColor(214, 120, 0), 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(pos, radius + 3, radius + 3)
        painter.end()
