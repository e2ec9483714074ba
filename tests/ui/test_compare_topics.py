"""The compare panes underline the words of a change that matched a privacy topic (real widgets,
offscreen): only inside the change, in prose, source and unified views, off with the Topics toggle,
narrowed to one topic, named on hover. The topics are written by hand here (the view never tags);
tests/ui/test_ui_answers.py drives the same through the window on a real comparison."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip

from archiver.analysis.topics import TopicMatch
from archiver.diffing import diff_texts
from ui.compare import CompareView
from ui.compare.panes import DiffPane

OLD = "# Retention\n\nWe keep your data while you use the service.\n\nWe retain logs.\n"
NEW = (
    "# Retention\n\nWe keep your data while you use the service and retain it for two years.\n\n"
    "We retain logs.\n\nChildren under 13 may not use it.\n"
)
RETENTION = TopicMatch("data-retention", "Data retention", 3, ("keep", "retain"), ("retain",))
CHILDREN = TopicMatch("children", "Children", 3, ("children",), ("children",))
# rows: 0 the heading (equal), 1 the edited paragraph ("and retain it for two years." added),
# 2 "We retain logs." (equal), 3 the added paragraph about children
TAGS: tuple[tuple[TopicMatch, ...], ...] = ((), (RETENTION,), (), (CHILDREN,))
BLUE = QColor(5, 80, 174)  # the marks' colour on a light base


@pytest.fixture
def view(qtbot: Any) -> CompareView:
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1200, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def fmt_at(pane: DiffPane, pos: int) -> QTextCharFormat:
    """The format of the character at ``pos``."""
    cursor = QTextCursor(pane.document())
    cursor.setPosition(pos + 1)
    return cursor.charFormat()


def at(pane: DiffPane, context: str, word: str) -> int:
    """Where ``word`` stands inside the first ``context`` of the pane's text."""
    text = pane.toPlainText()
    assert text.count(context) == 1, context
    return text.index(context) + context.index(word)


def marked(pane: DiffPane, pos: int) -> bool:
    fmt = fmt_at(pane, pos)
    style = fmt.underlineStyle()
    if style == QTextCharFormat.UnderlineStyle.NoUnderline:
        return False
    assert style == QTextCharFormat.UnderlineStyle.WaveUnderline
    assert fmt.underlineColor() == BLUE
    return True


def shown(view: CompareView) -> CompareView:
    result = diff_texts(OLD, NEW)
    view.set_result(result, "old", "new")
    assert [row.kind.value for row in result.rows] == ["equal", "replace", "equal", "insert"]
    view.set_topics(result, TAGS)
    return view


def test_the_changed_topic_words_are_underlined_and_the_unchanged_ones_are_not(view: CompareView) -> None:
    shown(view)
    right = view.right
    added = at(right, "and retain", "retain")
    kept = at(right, "We retain logs", "retain")
    assert marked(right, added) and marked(right, added + 5)  # r … n
    assert not marked(right, added - 2) and not marked(right, added + 6)  # "d " before, " " after
    # the mark is merged over the green of the added words: it stays on it
    assert fmt_at(right, added).background().color() == fmt_at(right, added - 4).background().color()
    assert not marked(right, kept)  # the same word in an unchanged paragraph says nothing
    assert not marked(right, at(right, "We keep your", "keep"))  # a topic word, but not in the change
    assert marked(right, at(right, "Children under", "Children"))  # an added paragraph: all of it
    assert not view.left.marks()  # nothing was removed on the left
    assert [tip for _s, _e, tip in right.marks()] == ["Topic: Data retention", "Topic: Children"]
    assert view.topics_action.isEnabled() and view.topics_action.isChecked()


def test_the_toggle_takes_the_marks_away_and_puts_them_back(view: CompareView) -> None:
    shown(view)
    right = view.right
    added = at(right, "and retain", "retain")
    green = fmt_at(right, added).background().color()
    view.topics_action.setChecked(False)
    assert not marked(right, added) and not right.marks()
    assert fmt_at(right, added).background().color() == green  # the highlight underneath is intact
    view.topics_action.setChecked(True)
    assert marked(right, added)


def test_a_topic_filter_marks_only_that_topics_words(view: CompareView) -> None:
    shown(view)
    right = view.right
    view.set_topic_filter("children")
    assert not marked(right, at(right, "and retain", "retain"))
    assert marked(right, at(right, "Children under", "Children"))
    view.set_topic_filter("")
    assert marked(right, at(right, "and retain", "retain"))


def test_marks_follow_the_source_and_unified_views(view: CompareView) -> None:
    shown(view)
    view.source_action.setChecked(True)  # Ctrl+U: the Markdown as stored
    assert marked(view.right, at(view.right, "and retain", "retain"))
    view.source_action.setChecked(False)
    view.unified_action.setChecked(True)
    left = view.left  # the one pane: removed, then added
    assert marked(left, at(left, "and retain", "retain"))
    assert not marked(left, at(left, "We retain logs", "retain"))


def test_tags_of_another_result_are_ignored_and_a_new_result_drops_the_marks(view: CompareView) -> None:
    result = diff_texts(OLD, NEW)
    view.set_result(result, "old", "new")
    view.set_topics(diff_texts(OLD, NEW), TAGS)  # an answer for a result no longer shown
    assert not view.right.marks() and not view.topics_action.isEnabled()
    view.set_topics(result, TAGS)
    assert view.right.marks()
    view.set_result(diff_texts(OLD, NEW + "\nMore.\n"), "old", "newer")
    assert not view.right.marks() and not view.topics_action.isEnabled()


def test_hovering_a_marked_word_names_its_topic(view: CompareView, qtbot: Any) -> None:
    shown(view)
    right = view.right
    cursor = QTextCursor(right.document())
    cursor.setPosition(at(right, "and retain", "retain") + 3)
    point = right.cursorRect(cursor).center()
    assert view.topic_tip(right, point) == "Topic: Data retention"
    assert view.topic_tip(right, point + QPoint(0, 4 * right.fontMetrics().height())) == ""
    event = QHelpEvent(QEvent.Type.ToolTip, point, right.viewport().mapToGlobal(point))
    QApplication.sendEvent(right.viewport(), event)
    assert QToolTip.text() == "Topic: Data retention"
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5_000)
