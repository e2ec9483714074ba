"""A small custom-painted plot per version over time: the change size (words), or a measure of each
version's text (an :class:`Axis`: reading time, readability…); click a point to compare it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from archiver.timestamps import display, to_datetime

HIT_RADIUS = 8.0
VALUE_INSET = 8.0  # px between the plot's edges and the lowest/highest value of a measure


@dataclass(frozen=True, slots=True)
class Point:
    index: int  # version index
    timestamp: str  # 14-digit
    change: int | None  # words changed against the previous version; None: not known yet
    note: str = ""  # why there is no change to measure: ui.models.change_note
    source: str = ""  # where its first capture came from: an archive's host, "file", "live"…
    disagree: bool = False  # another archive holds another text the same day (archiver.corroboration)
    value: float | None = None  # the plotted measure of the version's text; None: none (yet)


@dataclass(frozen=True, slots=True)
class Axis:
    """A measure the timeline plots instead of the change size."""

    title: str  # names the measure and its unit: "Reading time (minutes)"
    decimals: int = 0  # shown in the scale and the tooltips
    missing: str = "none"  # what a measured version without a value has: "no score for this language"

    def format(self, value: float) -> str:
        return f"{value:,.{self.decimals}f}"


class TimelineWidget(QWidget):
    """Change size per version, on a time axis (square-root scale so small edits stay visible); or,
    after :meth:`set_measure`, a measure's value per version, points joined by a line, on a linear
    scale from its lowest to its highest value. Versions without a value are gaps.

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
        self._axis: Axis | None = None  # the measure plotted; None: the change size
        self._measured: set[int] = set()  # version indexes whose value is known (maybe None)
        self._low = 0.0  # the lowest and highest value of the measure
        self._high = 0.0
        self._scale: tuple[str, str] = ("", "")  # their labels
        self.setMouseTracking(True)
        self.setMinimumHeight(90)
        self.setToolTip("")
        self.setAccessibleName("Change size per version")

    def sizeHint(self) -> QSize:
        return QSize(480, 120)

    def set_points(self, points: list[Point]) -> None:
        self._points = list(points)
        self._windows = {}
        self._measured = {p.index for p in self._points if p.value is not None}
        self._rows = {p.index: i for i, p in enumerate(self._points)}
        self._times = [to_datetime(p.timestamp).timestamp() for p in self._points]
        self._lo = min(self._times, default=0.0)
        self._span = (max(self._times, default=0.0) - self._lo) or 1.0
        self._max = self._max_change()
        self._rescale()
        self.update()

    def set_measure(self, axis: Axis | None, values: Mapping[int, float | None]) -> None:
        """Plot ``axis``'s measure: ``values`` by version index (a version left out: not measured
        yet; None: measured, without a value). ``axis`` None plots the change size again."""
        self._axis = axis
        self._measured = set(values) & set(self._rows)
        self._points = [replace(p, value=values.get(p.index)) for p in self._points]
        self._rescale()
        self.setAccessibleName(f"{axis.title if axis else 'Change size'} per version")
        self.update()

    def set_value(self, index: int, value: float | None) -> None:
        """One version's value of the plotted measure arrived."""
        row = self._rows.get(index)
        if row is None:
            return
        self._measured.add(index)
        self._points[row] = replace(self._points[row], value=value)
        self._rescale()
        self.update()

    def axis(self) -> Axis | None:
        return self._axis

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
        if self._axis is None:
            return QRectF(
                left, 10, max(1, self.width() - left - 20), max(1, self.height() - fm.height() - 16)
            )
        # room for the scale's labels on the left, and for the measure's name above
        left = max(left, *(fm.horizontalAdvance(label) + 10 for label in self._scale))
        top = fm.height() + 8
        return QRectF(
            left, top, max(1, self.width() - left - 20), max(1, self.height() - fm.height() - top - 6)
        )

    def _rescale(self) -> None:
        """The measure's range and its labels, after its values changed."""
        known = [p.value for p in self._points if p.value is not None]
        self._low, self._high = min(known, default=0.0), max(known, default=0.0)
        axis = self._axis
        self._scale = (axis.format(self._low), axis.format(self._high)) if axis and known else ("", "")

    def _value_y(self, value: float, rect: QRectF) -> float:
        inner = max(1.0, rect.height() - 2 * VALUE_INSET)
        if self._high == self._low:
            return rect.center().y()
        return rect.bottom() - VALUE_INSET - (value - self._low) / (self._high - self._low) * inner

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
        if self._axis is not None:
            value = self._points[i].value
            return QPointF(x, rect.bottom() if value is None else self._value_y(value, rect))
        change = self._points[i].change or 0
        y = rect.bottom() - math.sqrt(change / self._max) * rect.height()
        return QPointF(x, y)

    def index_at(self, pos: QPointF) -> int:
        best, best_d = -1, HIT_RADIUS
        rect = self._plot_rect()
        for i in range(len(self._points)):
            if self._axis is not None and self._points[i].value is None:
                continue  # a gap: nothing drawn there
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
            if self._axis is not None:
                change = f"{self._axis.title}: {self._value_text(p)}\n{change}"
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

    def _value_text(self, p: Point) -> str:
        assert self._axis is not None
        if p.value is not None:
            return self._axis.format(p.value)
        return self._axis.missing if p.index in self._measured else "measuring…"

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
        if self._axis is not None:
            self._paint_measure(painter, rect, fm, grid)
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

    def _paint_dates(self, painter: QPainter, rect: QRectF, fm: QFontMetrics, grid: QColor) -> None:
        first, last = self._points[0].timestamp, self._points[-1].timestamp
        below = QRectF(rect.left(), rect.bottom() + 4, rect.width(), fm.height())
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, display(first)[:10])
        if len(self._points) > 1:
            painter.drawText(below, Qt.AlignmentFlag.AlignRight, display(last)[:10])
            self._paint_years(painter, rect, fm, grid)

    def _paint_measure(self, painter: QPainter, rect: QRectF, fm: QFontMetrics, grid: QColor) -> None:
        """The measure's value per version: its name above, its lowest and highest value on the
        left, points joined by a line that breaks where a version has no value."""
        assert self._axis is not None
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        painter.drawText(
            QRectF(rect.left(), 4, rect.width(), fm.height()), Qt.AlignmentFlag.AlignLeft, self._axis.title
        )
        self._paint_dates(painter, rect, fm, grid)
        known = [i for i, p in enumerate(self._points) if p.value is not None]
        if not known:
            measuring = any(p.index not in self._measured for p in self._points)
            message = "Measuring…" if measuring else self._axis.missing.capitalize()
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, message)
            painter.end()
            return
        positions = [self._position(i, rect) for i in range(len(self._points))]
        # the scale: a faint line at the lowest and at the highest value, labelled on the left
        levels = [(self._low, self._scale[0])]
        if self._high != self._low:
            levels.append((self._high, self._scale[1]))
        for value, label in levels:
            y = self._value_y(value, rect)
            painter.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y - fm.height() / 2, rect.left() - 6, fm.height()),
                Qt.AlignmentFlag.AlignRight,
                label,
            )
        accent = pal.color(QPalette.ColorRole.Highlight)
        self._paint_windows(painter, rect, accent, positions)
        line = QColor(accent)
        line.setAlpha(160)
        painter.setPen(QPen(line, 2))
        for a, b in zip(known, known[1:], strict=False):
            if b == a + 1:  # neighbours both with a value; a version without one breaks the line
                painter.drawLine(positions[a], positions[b])
        for i in known:
            p, pos = self._points[i], positions[i]
            selected = p.index == self._selected
            radius = 6.0 if selected else 4.0
            painter.setPen(QPen(text if selected else accent, 2 if selected else 1))
            painter.setBrush(accent)
            painter.drawEllipse(pos, radius, radius)
            if p.disagree:
                painter.setPen(QPen(QColor(214, 120, 0), 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(pos, radius + 3, radius + 3)
        painter.end()
