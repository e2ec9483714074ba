"""Read-only text panes that show laid-out diff text: plain text only, formats applied in one edit block.

A pane never interprets its text as HTML: it is set with ``setPlainText`` (no rich text, no resource
loading). Line backgrounds are block formats, word highlights are char formats, and both are applied
through one ``QTextCursor`` inside a single ``beginEditBlock``/``endEditBlock``. Read as prose
(``ui.compare.prose``), Markdown's headings, emphasis, links, lists and tables are char formats too,
its markup characters drawn with no width, so every offset stays that of the laid-out text.

A change of one or two characters (a full stop, a digit) is outlined as well as highlighted: a
highlight that narrow is easy to miss.

The words of a change that matched a privacy topic get a wavy underline in a colour of their own
(``show_marks``), merged over the other formats, so it reads on top of the red and green; the formats
they covered are kept, and put back exactly when the marks go. Qt draws that underline one pixel
thin, so the marks in view are drawn over it once more, thicker, as the narrow changes are outlined.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRect, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from .layout import DELETE, FILLER, INSERT, MOVE, REPLACE, SKIPPED, SPAN_DEL, SPAN_INS, PaneText
from .prose import BOLD, CODE, HEADING, HIDE, ITALIC, LINK, MUTED, prose

# Hues of the kinds; mixed into the palette's base colour so dark themes stay readable.
_HUES = {
    INSERT: QColor(46, 160, 67),
    DELETE: QColor(207, 34, 46),
    REPLACE: QColor(212, 167, 44),
    MOVE: QColor(130, 80, 223),
    SPAN_INS: QColor(46, 160, 67),
    SPAN_DEL: QColor(207, 34, 46),
}
# The underline of a topic's word: a blue apart from the kinds' hues, lighter on a dark base.
_TOPIC_HUE, _TOPIC_HUE_DARK = QColor(5, 80, 174), QColor(88, 166, 255)
_LINE_ALPHA = 0.16
_SPAN_ALPHA = 0.45
SMALL_CHANGE = 2  # characters: a highlight this narrow is outlined too


def blend(base: QColor, hue: QColor, alpha: float) -> QColor:
    return QColor(
        round(base.red() + (hue.red() - base.red()) * alpha),
        round(base.green() + (hue.green() - base.green()) * alpha),
        round(base.blue() + (hue.blue() - base.blue()) * alpha),
    )


def kind_color(palette: QPalette, style: str, strong: bool = False) -> QColor:
    """The colour of a line style (or a stronger one for marks on the ruler)."""
    base = palette.color(QPalette.ColorRole.Base)
    hue = _HUES.get(style, palette.color(QPalette.ColorRole.Mid))
    return blend(base, hue, 0.75 if strong else _LINE_ALPHA)


_WAVE = (4, 4)  # pixels: the period and the height of the wave drawn under a topic's word


def _wave_tile(color: QColor) -> QPixmap:
    """One period of the wave, drawn once and tiled under each mark (a pixmap is ~10x cheaper than
    stroking a polyline per word)."""
    tile = QPixmap(*_WAVE)
    tile.fill(Qt.GlobalColor.transparent)
    painter = QPainter(tile)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color)
    pen.setWidthF(1.5)
    painter.setPen(pen)
    w, h = _WAVE
    painter.drawPolyline([QPointF(0, h - 1.2), QPointF(w / 2, 1.2), QPointF(w, h - 1.2)])
    painter.end()
    return tile


def topic_format(palette: QPalette) -> QTextCharFormat:
    """The mark of a word that matched a topic: a wavy underline, blue (lighter on a dark base)."""
    fmt = QTextCharFormat()
    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    fmt.setUnderlineColor(_TOPIC_HUE_DARK if dark else _TOPIC_HUE)
    return fmt


def _formats(palette: QPalette) -> tuple[dict[str, QTextBlockFormat], dict[str, QTextCharFormat]]:
    base = palette.color(QPalette.ColorRole.Base)
    blocks: dict[str, QTextBlockFormat] = {}
    for style in (INSERT, DELETE, REPLACE, MOVE):
        fmt = QTextBlockFormat()
        fmt.setBackground(blend(base, _HUES[style], _LINE_ALPHA))
        blocks[style] = fmt
    filler = QTextBlockFormat()
    filler.setBackground(
        QBrush(blend(base, palette.color(QPalette.ColorRole.Text), 0.18), Qt.BrushStyle.BDiagPattern)
    )
    blocks[FILLER] = filler
    skipped = QTextBlockFormat()
    skipped.setBackground(blend(base, palette.color(QPalette.ColorRole.Text), 0.07))
    blocks[SKIPPED] = skipped
    chars: dict[str, QTextCharFormat] = {}
    for style in (SPAN_INS, SPAN_DEL):
        char = QTextCharFormat()
        char.setBackground(blend(base, _HUES[style], _SPAN_ALPHA))
        chars[style] = char
    return blocks, chars


def _prose_formats(palette: QPalette) -> dict[str, QTextCharFormat]:
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    hide = QTextCharFormat()
    hide.setForeground(QColor(0, 0, 0, 0))
    hide.setFontLetterSpacingType(QFont.SpacingType.PercentageSpacing)
    hide.setFontLetterSpacing(1)  # ~no width (0 means "unset"): the character is there (offsets), not drawn
    bold = QTextCharFormat()
    bold.setFontWeight(QFont.Weight.Bold)
    italic = QTextCharFormat()
    italic.setFontItalic(True)
    heading = QTextCharFormat()
    heading.setFontWeight(QFont.Weight.Bold)
    heading.setForeground(blend(text, palette.color(QPalette.ColorRole.Highlight), 0.45))
    code = QTextCharFormat()
    code.setBackground(blend(base, text, 0.08))
    link = QTextCharFormat()
    link.setForeground(palette.color(QPalette.ColorRole.Link))
    link.setFontUnderline(True)
    muted = QTextCharFormat()
    muted.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
    return {HIDE: hide, BOLD: bold, ITALIC: italic, HEADING: heading, CODE: code, LINK: link, MUTED: muted}


class _Gutter(QWidget):
    """Source line numbers beside a pane (blank on filler lines and wrapped continuations); the unified
    view shows two columns, old and new."""

    def __init__(self, pane: DiffPane) -> None:
        super().__init__(pane)
        self._pane = pane

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(self._pane.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        self._pane.paint_gutter(self, event.rect())


class DiffPane(QPlainTextEdit):
    """One side of the comparison (or the only pane of the unified view)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._numbers: list[int] = []
        self._numbers2: list[int] = []  # the unified view's second column (new version)
        self._reserved = 1
        self._two_columns = False
        self._pane_text = PaneText()  # for copying the text as written
        self._frame: tuple[int, int] | None = None  # (first line, count) of the current change
        self._small: list[tuple[int, int, str]] = []  # narrow highlights to outline: (start, end, style)
        self._small_starts: list[int] = []
        self._marks: list[tuple[int, int, str]] = []  # topic words underlined: (start, end, tooltip)
        self._mark_starts: list[int] = []
        self._covered: list[tuple[int, int, QTextCharFormat]] = []  # the formats the marks went over
        self._mark_color = QColor(_TOPIC_HUE)
        self._wave: QPixmap | None = None  # a period of the drawn wave, in the marks' colour
        self.prose = True  # Markdown read as prose; False: the source, as stored
        self._gutter = _Gutter(self)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # lines are wrapped by the layout
        self.setWordWrapMode(QTextOption.WrapMode.NoWrap)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.document().setDocumentMargin(2)
        self.blockCountChanged.connect(self._update_margins)
        self.updateRequest.connect(self._on_update_request)
        self._update_margins()

    # -- content -------------------------------------------------------------------------------
    def show_text(self, pane: PaneText, palette: QPalette | None = None) -> None:
        """Replace the content: one setPlainText, then all formats (colours from ``palette``, by
        default the pane's) in one edit block."""
        self._numbers = pane.numbers
        self._numbers2 = pane.numbers2 if pane.unified else []
        self._pane_text = pane
        self._frame = None
        self._forget_marks()  # a new document: no marks on it yet
        palette = palette or self.palette()
        text = pane.text
        offsets = pane.line_offsets()
        ranges: list[tuple[int, int, str]] = []
        if self.prose:
            numbers, numbers2 = pane.numbers, pane.numbers2
            starts = {
                offsets[i] for i in range(len(offsets)) if numbers[i] or (i < len(numbers2) and numbers2[i])
            }
            text, ranges = prose(text, starts)
        self.setPlainText(text)
        blocks, chars = _formats(palette)
        doc = self.document()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        move = QTextCursor.MoveMode.KeepAnchor
        if ranges:
            looks = _prose_formats(palette)
            for start, end, look in ranges:
                cursor.setPosition(start)
                cursor.setPosition(end, move)
                cursor.mergeCharFormat(looks[look])
        for first, stop, style in pane.styles:
            cursor.setPosition(offsets[first])
            cursor.setPosition(offsets[stop - 1], move)
            cursor.setBlockFormat(blocks[style])
        small = []
        for start, end, style in pane.spans:
            cursor.setPosition(start)
            cursor.setPosition(end, move)
            cursor.mergeCharFormat(chars[style])
            if len(text[start:end].strip()) <= SMALL_CHANGE:
                small.append((start, end, style))
        cursor.endEditBlock()
        self._small = small
        self._small_starts = [start for start, _, _ in small]
        self._update_margins()

    def clear_text(self) -> None:
        self._forget_marks()
        self._small = []
        self._small_starts = []
        self._numbers = []
        self._numbers2 = []
        self._pane_text = PaneText()
        self._frame = None
        self.setPlainText("")

    # -- topic marks ---------------------------------------------------------------------------
    def show_marks(self, marks: list[tuple[int, int, str]], fmt: QTextCharFormat) -> None:
        """Underline ``marks`` ((start, end, tooltip) in the pane's text, sorted, not overlapping) with
        ``fmt`` merged over the formats there, instead of the marks shown before."""
        if not marks and not self._marks:
            return
        self.clear_marks()
        doc = self.document()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        covered: list[tuple[int, int, QTextCharFormat]] = []
        for start, end, _tip in marks:
            block = doc.findBlock(start)
            while block.isValid() and block.position() < end:
                it = block.begin()
                while not it.atEnd():
                    fragment = it.fragment()
                    a = max(start, fragment.position())
                    b = min(end, fragment.position() + fragment.length())
                    if a < b:
                        covered.append((a, b, fragment.charFormat()))
                    it += 1
                block = block.next()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)
        cursor.endEditBlock()
        self._covered = covered
        if fmt.underlineColor() != self._mark_color:
            self._mark_color, self._wave = fmt.underlineColor(), None
        self._marks = list(marks)
        self._mark_starts = [start for start, _, _ in marks]

    def clear_marks(self) -> None:
        """Take the topic marks away: the formats they covered back as they were."""
        if self._covered:
            cursor = QTextCursor(self.document())
            cursor.beginEditBlock()
            for start, end, fmt in reversed(self._covered):
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(fmt)
            cursor.endEditBlock()
        self._forget_marks()

    def _forget_marks(self) -> None:
        self._marks, self._mark_starts, self._covered = [], [], []

    def marks(self) -> list[tuple[int, int, str]]:
        """The topic marks shown: (start, end, tooltip) in the pane's text."""
        return list(self._marks)

    def mark_at(self, point: QPoint) -> str:
        """The tooltip of the topic mark under ``point`` (viewport coordinates), or ""."""
        if not self._marks:
            return ""
        cursor = self.cursorForPosition(point)
        pos = cursor.position()
        k = bisect_right(self._mark_starts, pos) - 1
        if k < 0:
            return ""
        start, end, tip = self._marks[k]
        if pos > end:
            return ""
        line = self.cursorRect(cursor)
        if not line.top() <= point.y() <= line.bottom():
            return ""
        cursor.setPosition(start)
        a = self.cursorRect(cursor)
        cursor.setPosition(end)
        b = self.cursorRect(cursor)
        # the point is over the word, not beside the end of its line
        if a.top() == line.top() and point.x() < a.left():
            return ""
        if b.top() == line.top() and point.x() > b.left():
            return ""
        return tip

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802
        """Copy the text as written (no wrapping line breaks); plain text only."""
        cursor = self.textCursor()
        mime = QMimeData()
        pane = self._pane_text
        start, end = pane.to_source(cursor.selectionStart()), pane.to_source(cursor.selectionEnd())
        mime.setText(pane.search_text[start:end])
        return mime

    def set_frame(self, frame: tuple[int, int] | None) -> None:
        """Outline the lines ``(first, count)`` of the current change, or nothing."""
        self._frame = frame
        self.viewport().update()

    # -- geometry helpers ----------------------------------------------------------------------
    def first_visible_line(self) -> int:
        return self.firstVisibleBlock().blockNumber()

    def visible_lines(self) -> int:
        return max(1, self.viewport().height() // max(1, self.fontMetrics().lineSpacing()))

    def columns(self) -> int:
        """How many characters fit across the viewport (the wrap width). In a proportional font,
        the average character of running text in bold (a heading, a bold paragraph fit), with a small
        margin: a line of capitals may still overflow (the horizontal scroll bar shows then)."""
        margin = 2 * int(self.document().documentMargin()) + 4
        advance = max(1.0, self.fontMetrics().horizontalAdvance("M" * 100) / 100)  # advances are fractional
        if not self.fontInfo().fixedPitch():
            bold = QFont(self.font())
            bold.setWeight(QFont.Weight.Bold)
            sample = "Privacy Policy: we collect your Data (e.g. e-mail) for 30 days, then delete it. "
            advance = QFontMetricsF(bold).horizontalAdvance(sample) / len(sample) * 1.03
        return max(20, int((self.viewport().width() - margin) / advance) - 1)

    # -- gutter --------------------------------------------------------------------------------
    def reserve_numbers(self, largest: int, two_columns: bool = False) -> None:
        """Size the gutter for line numbers up to ``largest`` (in one or two columns) before the
        text is laid out, so the wrap width is right the first time."""
        self._reserved = largest
        self._two_columns = two_columns
        self._update_margins()

    def gutter_width(self) -> int:
        digits = max(2, len(str(max(self._reserved, max(self._numbers, default=1)))))
        columns = 2 if self._numbers2 or self._two_columns else 1
        return 6 * columns + self.fontMetrics().horizontalAdvance("9") * digits * columns

    def _update_margins(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoom: the gutter grows with the digits
            self._update_margins()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_margins()

    def paint_gutter(self, gutter: QWidget, rect: QRect) -> None:
        painter = QPainter(gutter)
        pal = self.palette()
        painter.fillRect(rect, pal.color(QPalette.ColorRole.Window))
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        painter.setFont(self.font())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        numbers, numbers2 = self._numbers, self._numbers2
        width = (gutter.width() if not numbers2 else gutter.width() // 2) - 3
        second = gutter.width() // 2
        while block.isValid() and top <= rect.bottom():
            n = block.blockNumber()
            if n < len(numbers) and top + height >= rect.top():
                if numbers[n]:
                    painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, str(numbers[n]))
                if numbers2 and numbers2[n]:
                    painter.drawText(
                        second, top, width, height, Qt.AlignmentFlag.AlignRight, str(numbers2[n])
                    )
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()

    # -- current change outline ----------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if self._small:
            self._outline_small_changes()
        if self._marks:
            self._underline_marks()
        if self._frame is None:
            return
        first, count = self._frame
        doc = self.document()
        top_block = doc.findBlockByNumber(first)
        last_block = doc.findBlockByNumber(first + max(1, count) - 1)
        if not top_block.isValid() or not last_block.isValid():
            return
        offset = self.contentOffset()
        top = self.blockBoundingGeometry(top_block).translated(offset).top()
        bottom = self.blockBoundingGeometry(last_block).translated(offset).bottom()
        if bottom < 0 or top > self.viewport().height():
            return
        painter = QPainter(self.viewport())
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight))
        pen.setWidth(2)
        painter.setPen(pen)
        painter.drawRect(QRect(1, round(top) + 1, self.viewport().width() - 3, round(bottom - top) - 2))
        painter.end()

    def small_changes(self) -> list[tuple[int, int]]:
        """The (start, end) offsets of the highlights outlined because they are narrow."""
        return [(start, end) for start, end, _ in self._small]

    def _outline_small_changes(self) -> None:
        """A box around each narrow highlight in view (a removed full stop, a changed digit)."""
        first = self.firstVisibleBlock().position()
        last = self.cursorForPosition(self.viewport().rect().bottomRight()).position()
        k = bisect_left(self._small_starts, first)
        if k >= len(self._small) or self._small[k][0] > last:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        cursor = QTextCursor(self.document())
        while k < len(self._small) and self._small[k][0] <= last:
            start, end, style = self._small[k]
            k += 1
            cursor.setPosition(start)
            a = self.cursorRect(cursor)
            cursor.setPosition(end)
            b = self.cursorRect(cursor)
            if a.top() != b.top():  # wrapped: the highlight alone shows it
                continue
            left, right = a.left(), max(b.left(), a.left() + 4)
            pen = QPen(kind_color(palette, style, strong=True))
            pen.setWidthF(1.5)
            painter.setPen(pen)
            painter.drawRoundedRect(QRect(left - 3, a.top(), right - left + 6, a.height()), 3, 3)
        painter.end()

    def _underline_marks(self) -> None:
        """A wavy line, thicker than Qt's underline, under each topic mark in view (line by line: a
        term can wrap)."""
        doc = self.document()
        first = self.firstVisibleBlock().position()
        last = self.cursorForPosition(self.viewport().rect().bottomRight()).position()
        k = max(0, bisect_left(self._mark_starts, first) - 1)  # one may begin above and wrap into view
        if k >= len(self._marks) or self._marks[k][0] > last:
            return
        painter = QPainter(self.viewport())
        if self._wave is None:
            self._wave = _wave_tile(self._mark_color)
        wave = self._wave
        ascent = self.fontMetrics().ascent()
        cursor = QTextCursor(doc)
        while k < len(self._marks) and self._marks[k][0] <= last:
            start, end, _tip = self._marks[k]
            k += 1
            block = doc.findBlock(start)
            while block.isValid() and block.position() < end:
                a, b = max(start, block.position()), min(end, block.position() + block.length() - 1)
                block = block.next()
                if a >= b:
                    continue
                cursor.setPosition(a)
                left = self.cursorRect(cursor)
                cursor.setPosition(b)
                right = self.cursorRect(cursor).left()
                if right > left.left():
                    painter.drawTiledPixmap(
                        QRect(left.left(), left.top() + ascent + 1, right - left.left(), _WAVE[1]), wave
                    )
        painter.end()
