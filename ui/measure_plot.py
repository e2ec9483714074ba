"""The measures of the versions as the app shows them: the labels and timeline scales of the
measures, the worker job that measures each version, and the dock's plot of one measure over time.

Apart from ui/answers.py so that module stays under the size guideline (modules of a few hundred
lines). Nothing here holds the window's state: ``AnswersController`` imports these, and still owns
the plot and the "Plot:" choices it builds and keeps the dock's and the timeline's choice as one.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from archiver.analysis.measures import MEASURES, measure_text
from archiver.errors import CancelledError
from archiver.models import Version
from archiver.storage import Archive

from .timeline import Axis

MEASURE_LABELS = {
    "words": "Words",
    "sentences": "Sentences",
    "reading_minutes": "Reading time (minutes)",
    "readability": "Readability (higher reads easier)",
    "third_parties": "Third parties named",
}
CHANGE_SIZE_LABEL = "Words changed"  # the timeline's default plot: the change size per version
#: how the timeline's scale and tooltips show each measure
MEASURE_AXES = {
    name: Axis(
        MEASURE_LABELS[name],
        decimals=1 if name in ("reading_minutes", "readability") else 0,
        missing="no score for this language" if name == "readability" else "none",
    )
    for name in MEASURES
}


def job_measures(archive: Archive, versions: list[Version]) -> Any:
    """Each version's measures, reported as (index, Measures)."""

    def run(cancel: threading.Event, report: Any) -> None:
        for version in versions:
            if cancel.is_set():
                raise CancelledError()
            report((version.index, measure_text(archive.text(version.text_sha256), version.language)))

    return run


class MeasurePlot(QWidget):
    """One measure per version, as points joined by lines; versions without a value are gaps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[float | None] = []
        self._dates: list[str] = []
        self._label = ""
        self.setMinimumHeight(120)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, 160)

    def set_series(self, values: list[float | None], label: str, dates: list[str] | None = None) -> None:
        """``values`` per version, oldest first (None: not known); ``dates`` label the ends."""
        self._values = list(values)
        self._dates = list(dates or [])
        self._label = label
        self.update()

    def values(self) -> list[float | None]:
        return list(self._values)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        fm = painter.fontMetrics()
        rect = QRectF(self.rect()).adjusted(48, 2 * fm.height() + 8, -12, -fm.height() - 8)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        known = [v for v in self._values if v is not None]
        if not known:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No values for this measure yet")
            return
        painter.drawText(8, fm.ascent() + 4, self._label)
        low, high = min(known), max(known)
        if high == low:
            low, high = low - 1, high + 1
        n = len(self._values)

        def at(i: int, value: float) -> QPointF:
            x = rect.left() + (rect.width() * i / (n - 1) if n > 1 else rect.width() / 2)
            return QPointF(x, rect.bottom() - (value - low) / (high - low) * rect.height())

        grid = QColor(pal.color(QPalette.ColorRole.Mid))
        painter.setPen(QPen(grid, 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        painter.drawText(
            QRectF(0, rect.top() - fm.height() / 2, 44, fm.height()), Qt.AlignmentFlag.AlignRight, f"{high:g}"
        )
        painter.drawText(
            QRectF(0, rect.bottom() - fm.height() / 2, 44, fm.height()),
            Qt.AlignmentFlag.AlignRight,
            f"{low:g}",
        )
        if self._dates:
            below = QRectF(rect.left(), rect.bottom() + 4, rect.width(), fm.height())
            painter.drawText(below, Qt.AlignmentFlag.AlignLeft, self._dates[0])
            painter.drawText(below, Qt.AlignmentFlag.AlignRight, self._dates[-1])
        line = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
        previous: QPointF | None = None
        for i, value in enumerate(self._values):
            if value is None:
                previous = None
                continue
            point = at(i, value)
            painter.setPen(line)
            if previous is not None:
                painter.drawLine(previous, point)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight))
            painter.drawEllipse(point, 3, 3)
            previous = point
