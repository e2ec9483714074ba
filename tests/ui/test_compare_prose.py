"""Markdown read as prose in the compare panes: markup hidden or restyled, offsets kept, a source
toggle, and one-character changes outlined."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QFont, QTextCursor

from archiver.diffing import diff_texts
from ui.compare import CompareView
from ui.compare.layout import SPAN_DEL
from ui.compare.panes import kind_color
from ui.compare.prose import BOLD, HEADING, HIDE, ITALIC, LINK, MUTED, prose

OLD = (
    "## Data we keep\n\n"
    "We keep **your e-mail** and *your name* for 30 days.\n\n"
    "- See [our partners](https://example.com/partners).\n\n"
    "| Data | Kept |\n|---|---|\n| e-mail | 30 days |\n"
)
NEW = OLD.replace("for 30 days.", "for 31 days").replace("| e-mail | 30 days |", "| e-mail | 31 days |")


def styled(text: str, ranges: list[tuple[int, int, str]], style: str) -> list[str]:
    return [text[a:b] for a, b, s in ranges if s == style]


def test_markdown_is_read_as_prose_with_offsets_kept() -> None:
    starts = {0}
    pos = 0
    for line in OLD.split("\n")[:-1]:
        pos += len(line) + 1
        starts.add(pos)
    shown, ranges = prose(OLD, starts)
    assert len(shown) == len(OLD)  # same offsets: highlights, find and copy are unchanged
    assert styled(OLD, ranges, HEADING) == ["Data we keep"]
    assert styled(OLD, ranges, BOLD) == ["your e-mail"]
    assert styled(OLD, ranges, ITALIC) == ["your name"]
    assert styled(OLD, ranges, LINK) == ["our partners"]
    hidden = styled(OLD, ranges, HIDE)
    assert "## " in hidden and hidden.count("**") == 2 and "](https://example.com/partners)" in hidden
    assert "|---|---|" in styled(OLD, ranges, MUTED)
    assert "• See" in shown and "│ Data │ Kept │" in shown
    assert "- See" in OLD and shown.replace("•", "-").replace("│", "|") == OLD


def test_only_lines_that_start_a_source_line_are_list_items_or_headings() -> None:
    text = "a long sentence that wrapped\n- here, and\n# this too"
    shown, ranges = prose(text, {0})  # the two later lines are wrapped continuations
    assert shown == text and not styled(text, ranges, HEADING)


@pytest.fixture
def view(qtbot: Any) -> CompareView:
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def char_format_at(pane: Any, pos: int) -> Any:
    cursor = QTextCursor(pane.document())
    cursor.setPosition(pos + 1)  # the format of the character before the cursor
    return cursor.charFormat()


def test_the_panes_show_prose_in_a_proportional_font_and_the_source_on_request(
    view: CompareView, qtbot: Any
) -> None:
    view.set_result(diff_texts(OLD, NEW), "old", "new")
    pane = view.right
    text = pane.toPlainText()
    assert not pane.fontInfo().fixedPitch()
    stars = text.index("**")
    hidden = char_format_at(pane, stars)
    assert hidden.fontLetterSpacingType() == QFont.SpacingType.PercentageSpacing
    assert hidden.fontLetterSpacing() < 5 and hidden.foreground().color().alpha() == 0
    assert char_format_at(pane, text.index("your e-mail")).fontWeight() == QFont.Weight.Bold
    assert char_format_at(pane, text.index("Data we keep")).fontWeight() == QFont.Weight.Bold
    assert "•" in text and "│" in text
    # the word highlight of the changed number is still there, and the line numbers
    digit = text.index("31 days")
    assert char_format_at(pane, digit).background().color() != pane.palette().base().color()
    numbers = list(pane._numbers)
    assert numbers[0] == 1

    view.source_action.setChecked(True)
    source = pane.toPlainText()
    assert pane.fontInfo().fixedPitch()
    assert "**your e-mail**" in source and "- See" in source and "| Data | Kept |" in source
    assert char_format_at(pane, source.index("**")).fontLetterSpacingType() != (
        QFont.SpacingType.PercentageSpacing
    ) or char_format_at(pane, source.index("**")).fontLetterSpacing() in (0, 100)
    assert pane._numbers == numbers
    view.source_action.setChecked(False)
    assert pane.toPlainText() == text


def test_a_one_character_change_is_outlined(view: CompareView) -> None:
    view.set_result(diff_texts(OLD, NEW), "old", "new")
    left, right = view.left.toPlainText(), view.right.toPlainText()
    outlined_left = [left[a:b] for a, b in view.left.small_changes()]
    outlined_right = [right[a:b] for a, b in view.right.small_changes()]
    assert "." in outlined_left  # the removed full stop
    assert "31" in outlined_right and "30" in outlined_left  # the changed digit
    # and drawn: the outline's colour is on screen around the full stop
    image = view.left.viewport().grab().toImage()
    cursor = QTextCursor(view.left.document())
    cursor.setPosition(left.index("30 days.") + len("30 days"))
    rect = view.left.cursorRect(cursor)
    strong = kind_color(view.left.palette(), SPAN_DEL, strong=True)

    def near(c: Any) -> bool:
        return (
            abs(c.red() - strong.red()) + abs(c.green() - strong.green()) + abs(c.blue() - strong.blue()) < 90
        )

    box = [
        image.pixelColor(x, y)
        for x in range(max(0, rect.left() - 6), rect.left() + 14)
        for y in range(rect.top(), rect.bottom() + 1)
    ]
    assert sum(map(near, box)) >= 6
