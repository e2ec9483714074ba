"""CompareView on real widgets (offscreen): aligned navigation, highlights, plain text only, toggles."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor

from archiver.diffing import DiffOptions, RowKind, diff_texts
from ui.compare import CompareView
from ui.compare.layout import SPAN_INS

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
OLD = "# Title\n\nWe collect your email.\n\nWe share data with partners.\n\nContact us.\n"
NEW = "# Title\n\nWe collect your email and phone.\n\nContact us.\n\nA brand new closing paragraph.\n"


def corpus(name: str) -> str:
    return (CORPUS / f"{name}.ref.md").read_text(encoding="utf-8")


@pytest.fixture
def view(qtbot):
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture(scope="module")
def tinder():
    return diff_texts(corpus("tinder-privacy/20240531183348"), corpus("tinder-privacy/20250417003349"))


def first_lines(view):
    return view.left.first_visible_line(), view.right.first_visible_line()


def test_opening_a_pair_goes_to_the_first_change_in_both_panes(view, tinder, qtbot):
    with qtbot.waitSignal(view.currentChangeChanged) as blocker:
        view.set_result(tinder, "2024-05-31", "2025-04-17")
    total = view.change_count
    assert total == len(view.layout_info.hunks) > 3
    assert blocker.args == [0, total]
    start = view.layout_info.hunk_lines[0][0]
    assert first_lines(view) == (start, start)


def test_next_change_moves_both_panes_to_the_same_change(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    lay = view.layout_info
    for k in (1, 2, 3):
        with qtbot.waitSignal(view.currentChangeChanged) as blocker:
            view.next_change()
        assert blocker.args == [k, view.change_count]
        start = lay.hunk_lines[k][0]
        assert first_lines(view) == (start, start)
        assert view.left.verticalScrollBar().value() == view.right.verticalScrollBar().value() == start
        row = tinder.rows[lay.hunks[k].first]
        side = view.right if row.right is not None else view.left
        block = row.right if row.right is not None else row.left
        first_text = side.document().findBlockByNumber(start).text()
        # read as prose, a list item's "*" or "-" is drawn as a bullet: the rest is the text as written
        assert first_text and block.body[0] == first_text[0] or first_text[0] == "•"
        assert block.body[1:].startswith(first_text[1:])
    view.previous_change()
    assert view.current_change == 2
    assert first_lines(view) == (lay.hunk_lines[2][0],) * 2


def test_navigation_keys_are_actions_with_f7_and_alt_arrows(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    keys = {a.text(): [s.toString() for s in a.shortcuts()] for a in view.actions()}
    assert keys["Next change"] == ["F7", "Alt+Down"]
    assert keys["Previous change"] == ["Shift+F7", "Alt+Up"]
    assert keys["Find…"] == ["Ctrl+F"] and keys["Reset zoom"] == ["Ctrl+0"]
    assert keys["Zoom in"][0] == "Ctrl+=" and keys["Zoom out"] == ["Ctrl+-"]
    toggles = {a.text() for a in view.actions() if a.isCheckable()}
    assert {"Ignore whitespace", "Ignore case", "Ignore punctuation", "Changes only", "Unified"} <= toggles
    view.activateWindow()
    qtbot.waitUntil(lambda: view.isActiveWindow())
    view.left.setFocus()
    qtbot.keyClick(view.left, Qt.Key_F7)
    assert view.current_change == 1
    qtbot.keyClick(view.left, Qt.Key_Down, Qt.AltModifier)
    assert view.current_change == 2
    qtbot.keyClick(view.left, Qt.Key_F7, Qt.ShiftModifier)
    qtbot.keyClick(view.left, Qt.Key_Up, Qt.AltModifier)
    assert view.current_change == 0


def test_scrolling_one_pane_scrolls_the_other(view, tinder):
    view.set_result(tinder, "old", "new")
    view.right.verticalScrollBar().setValue(120)
    assert view.left.first_visible_line() == 120
    view.left.verticalScrollBar().setValue(40)
    assert view.right.first_visible_line() == 40


def test_an_inserted_word_is_highlighted_exactly(view):
    result = diff_texts(OLD, NEW)
    view.set_result(result, "old", "new")
    text = view.right.toPlainText()
    start = text.index("and phone")
    spans = [(s, e) for s, e, style in view.layout_info.panes[1].spans if style == SPAN_INS]
    assert (start - 1, start + len("and phone")) in spans  # the engine marks " and phone"
    cursor = QTextCursor(view.right.document())

    def background_at(pos):
        cursor.setPosition(pos + 1)  # the format of the character before the cursor
        return cursor.charFormat().background().color().name()

    marked = background_at(start)
    assert marked == background_at(start + len("and phone") - 1)
    assert background_at(start - 3) != marked  # "l" of "email" is not marked
    assert background_at(start + len("and phone")) != marked  # "." after "phone"
    left_text = view.left.toPlainText()
    assert "We share data with partners." in left_text
    assert (
        view.right.document()
        .findBlockByNumber(left_text.split("\n").index("We share data with partners."))
        .text()
        == ""
    )


def test_archived_markup_is_shown_literally(view):
    old = "Intro.\n\nPlain paragraph.\n"
    new = "Intro.\n\n<b>Bold</b> <img src=http://example.com/x.png> &amp;\n"
    view.set_result(diff_texts(old, new), "<i>left</i>", "right")
    assert "<b>Bold</b> <img src=http://example.com/x.png> &amp;" in view.right.toPlainText()
    html = view.right.document().toHtml()
    assert "<img" not in html and "&lt;img src=http://example.com/x.png&gt;" in html
    assert view.left_title.text() == "<i>left</i>" and view.left_title.textFormat() == Qt.PlainText
    model = view.model
    shown = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert any("<b>Bold</b>" in s for s in shown)
    tips = [model.index(r, 0).data(Qt.ToolTipRole) for r in range(model.rowCount())]
    assert any("&lt;img src=http://example.com/x.png&gt;" in t for t in tips)


def test_ignore_toggles_ask_for_a_new_diff_and_follow_the_result(view, qtbot):
    result = diff_texts(OLD, NEW, DiffOptions(detect_moves=False))
    view.set_result(result, "old", "new")
    with qtbot.waitSignal(view.optionsChanged) as blocker:
        view.ignore_case_action.trigger()
    assert blocker.args[0] == DiffOptions(ignore_case=True, detect_moves=False)
    recomputed = diff_texts(OLD, NEW, DiffOptions(ignore_whitespace=True))
    with qtbot.assertNotEmitted(view.optionsChanged):
        view.set_result(recomputed, "old", "new")
    assert view.ignore_whitespace_action.isChecked() and not view.ignore_case_action.isChecked()


def test_unified_view_shows_removed_then_added_in_one_pane(view, tinder):
    view.set_result(diff_texts(OLD, NEW), "old", "new")
    view.unified_action.trigger()
    assert view.right.isHidden() and not view.left.isHidden()
    text = view.left.toPlainText()
    assert text.index("We collect your email.") < text.index("We collect your email and phone.")
    view.set_result(tinder, "2024", "2025")
    assert view.left_title.text() == "2024  →  2025"
    view.go_to_change(3)
    assert view.left.first_visible_line() == view.layout_info.hunk_lines[3][0] > 0
    view.unified_action.trigger()
    assert not view.right.isHidden()
    assert view.left.document().blockCount() == view.right.document().blockCount()


def test_changes_only_hides_unchanged_text_and_keeps_panes_aligned(view, tinder):
    view.set_result(tinder, "old", "new")
    full = view.left.document().blockCount()
    view.changes_only_action.trigger()
    assert view.left.document().blockCount() < full
    assert "unchanged blocks hidden" in view.left.toPlainText()
    assert view.left.document().blockCount() == view.right.document().blockCount()
    view.go_to_change(2)
    assert first_lines(view) == (view.layout_info.hunk_lines[2][0],) * 2


def test_find_selects_matches_in_either_pane(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    view.find_action.trigger()
    assert view.find_bar.isVisible()
    qtbot.keyClicks(view.find_bar.edit, "Tinder, LLC")
    count = sum(p.toPlainText().count("Tinder, LLC") for p in (view.left, view.right))
    assert count > 1 and view.find_bar.status.text() == f"1 of {count}"
    selected = [p.textCursor().selectedText() for p in (view.left, view.right)]
    assert "Tinder, LLC" in selected
    highlighted = [len(p.extraSelections()) for p in (view.left, view.right)]
    assert highlighted == [p.toPlainText().count("Tinder, LLC") for p in (view.left, view.right)]
    qtbot.keyClick(view.find_bar.edit, Qt.Key_Return)
    assert view.find_bar.status.text().startswith("2 of")
    qtbot.keyClick(view.find_bar.edit, Qt.Key_Return, Qt.ShiftModifier)
    assert view.find_bar.status.text().startswith("1 of")
    qtbot.keyClick(view.find_bar.edit, Qt.Key_Backspace)  # typing keeps the current match
    assert view.find_bar.status.text().startswith("1 of")
    qtbot.keyClick(view.find_bar.edit, Qt.Key_Escape)
    assert not view.find_bar.isVisible()
    assert view.left.extraSelections() == [] and view.right.extraSelections() == []


def test_zoom_changes_the_pane_font_and_rewraps(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    size = view.font_point_size()
    lines = view.left.document().blockCount()
    view.zoom_in_action.trigger()
    view.zoom_in_action.trigger()
    assert view.font_point_size() == size + 2
    assert view.left.document().blockCount() > lines  # fewer columns, more wrapped lines
    assert view.left.document().blockCount() == view.right.document().blockCount()
    view.zoom_reset_action.trigger()
    assert view.font_point_size() == size
    view.zoom_out_action.trigger()
    assert view.right.font().pointSizeF() == size - 1


def test_resizing_rewraps_and_keeps_panes_aligned(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    lines = view.left.document().blockCount()
    view.resize(800, 700)
    qtbot.waitUntil(lambda: view.left.document().blockCount() > lines)
    assert view.left.document().blockCount() == view.right.document().blockCount()


def test_ruler_click_jumps_to_the_change_under_it(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    last = view.change_count - 1
    center = view.ruler.mark_rect(last).center()
    qtbot.mouseClick(view.ruler, Qt.LeftButton, pos=QPoint(round(center.x()), round(center.y())))
    assert view.current_change == last
    top = view.left.first_visible_line()
    first, count = view.layout_info.hunk_lines[last]
    assert top <= first < top + view.left.visible_lines()
    assert view.right.first_visible_line() == top


def test_change_list_click_jumps(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    index = view.model.index(4, 0)
    rect = view.change_list.visualRect(index)
    qtbot.mouseClick(view.change_list.viewport(), Qt.LeftButton, pos=rect.center())
    assert view.current_change == 4
    row = index.data(view.model.RowRole)
    assert row.kind is not RowKind.EQUAL and row is tinder.rows[view.layout_info.hunks[4].first]


def test_stats_and_clear(view, tinder, qtbot):
    with qtbot.waitSignal(view.statsChanged) as blocker:
        view.set_result(tinder, "old", "new")
    assert blocker.args[0] == view.stats_text()
    assert f"+{tinder.stats.words_added} −{tinder.stats.words_removed} words" in view.stats_text()
    with qtbot.waitSignal(view.statsChanged) as stats, qtbot.waitSignal(view.currentChangeChanged) as current:
        view.clear()
    assert view.left.toPlainText() == view.right.toPlainText() == ""
    assert view.model.rowCount() == 0 and view.current_change == -1
    assert stats.args == [""] and current.args == [-1, 0]
    identical = diff_texts(OLD, OLD)
    view.set_result(identical, "a", "b")
    assert view.stats_text().startswith("No differences") and view.current_change == -1
    view.next_change()
    assert view.current_change == -1


def test_change_list_model_passes_the_model_tester(qtmodeltester, tinder):
    from ui.compare import ChangeListModel
    from ui.compare.layout import hunks_of

    model = ChangeListModel()
    qtmodeltester.check(model)
    model.set_changes(tinder, hunks_of(tinder))
    qtmodeltester.check(model)
    assert model.rowCount() == len(hunks_of(tinder))
    model.set_changes(None, [])
    qtmodeltester.check(model)


def test_copy_gives_the_text_as_written_without_soft_wraps(view, tinder):
    view.set_result(tinder, "old", "new")
    doc = view.left.document()
    wrapped = next(k for k in range(doc.blockCount()) if view.layout_info.panes[0].seps[k] == " ")
    cursor = QTextCursor(doc.findBlockByNumber(wrapped))
    cursor.movePosition(QTextCursor.NextBlock, QTextCursor.KeepAnchor)
    cursor.movePosition(QTextCursor.EndOfBlock, QTextCursor.KeepAnchor)
    view.left.setTextCursor(cursor)
    copied = view.left.createMimeDataFromSelection().text()
    assert "\n" not in copied and copied in tinder.left_text
    assert not view.left.createMimeDataFromSelection().hasHtml()


def test_a_recomputed_diff_of_the_same_pair_keeps_the_text_at_the_top(view, tinder):
    view.set_result(tinder, "old", "new")
    view.go_to_change(4)
    top_row = view.layout_info.row_at_line(view.left.first_visible_line())
    top_text = tinder.rows[top_row].left.body
    again = diff_texts(tinder.left_text, tinder.right_text, DiffOptions(ignore_case=True))
    view.set_result(again, "old", "new")
    new_top = view.layout_info.row_at_line(view.left.first_visible_line())
    assert again.rows[new_top].left.body == top_text
    view.set_result(again, "other", "pair")  # a new pair opens at its first change
    assert view.current_change == 0


def test_moves_name_the_change_with_the_other_half(view, qtmodeltester):
    rewrite = diff_texts(corpus("github-privacy/20231013183001"), corpus("github-privacy/20240203003002"))
    view.set_result(rewrite, "old", "new")
    model = view.model
    qtmodeltester.check(model)
    moved = [r for r in range(model.rowCount()) if model.index(r, 0).data(model.RowRole).kind is RowKind.MOVE]
    assert moved
    for r in moved:
        partner = model.partner(r)
        assert partner is not None and partner != r
        row, other = (model.index(k, 0).data(model.RowRole) for k in (r, partner))
        assert other.kind is RowKind.MOVE and (row.left is None) != (other.left is None)
        assert f"change {partner + 1})" in model.index(r, 0).data()


def test_a_result_set_while_hidden_is_wrapped_when_shown(qtbot, tinder):
    hidden = CompareView()
    qtbot.addWidget(hidden)
    hidden.set_result(tinder, "old", "new")
    assert hidden.change_count > 0
    hidden.resize(1000, 600)
    hidden.show()
    qtbot.waitExposed(hidden)
    qtbot.waitUntil(lambda: max(len(b) for b in hidden.left.toPlainText().split("\n")) < 200)
    assert hidden.left.document().blockCount() == hidden.right.document().blockCount()
    hidden.next_change()
    assert hidden.left.first_visible_line() == hidden.right.first_visible_line()


def test_a_long_url_is_cut_to_fit_yet_found_and_copied_whole(view):
    url = "https://example.com/" + "segment/" * 40 + "end"
    new = f"Intro.\n\nSee [the policy]({url}) for details.\n"
    view.set_result(diff_texts("Intro.\n\nSee the policy.\n", new), "old", "new")
    assert max(len(line) for line in view.right.toPlainText().split("\n")) <= view._columns
    assert view.find_text(url) == 1
    cursor = view.right.textCursor()
    assert cursor.selectedText().replace("\u2029", "") == url  # Qt shows a line break as U+2029
    assert view.right.createMimeDataFromSelection().text() == url


def test_next_and_previous_are_enabled_only_where_they_lead(view, tinder):
    view.set_result(tinder, "old", "new")
    assert view.next_action.isEnabled() and not view.previous_action.isEnabled()  # at the first change
    view.go_to_change(view.change_count - 1)
    assert not view.next_action.isEnabled() and view.previous_action.isEnabled()
    view.right.verticalScrollBar().setValue(0)  # scrolled away: next starts from the top again
    assert view.next_action.isEnabled()
    view.next_change()
    assert view.current_change == 0


def test_highlight_colours_follow_a_palette_change(view, tinder):
    from PySide6.QtGui import QColor, QPalette

    view.set_result(tinder, "old", "new")
    first = view.layout_info.hunk_lines[0][0]

    def background():
        return view.left.document().findBlockByNumber(first).blockFormat().background().color()

    light = background()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.Text, QColor("#dddddd"))
    view.setPalette(dark)
    assert background() != light and background().lightness() < 80
    assert view.current_change == 0


@pytest.mark.parametrize(("old", "new"), [("", ""), ("", NEW), (OLD, ""), ("same\n", "same\n")])
def test_empty_and_one_sided_texts(view, old, new):
    result = diff_texts(old, new)
    view.set_result(result, "old", "new")
    assert view.left.document().blockCount() == view.right.document().blockCount()
    assert view.change_count == len(view.layout_info.hunks)
    for action in (view.unified_action, view.changes_only_action, view.wrap_action):
        action.trigger()
        view.next_change()
        view.previous_change()
        action.trigger()
    assert view.find_text("policy") >= 0
    if new and not old:
        assert view.right.toPlainText().startswith("# Title") and view.left.toPlainText().strip() == ""


def test_find_starts_from_the_selected_word(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    text = view.right.toPlainText()
    start = text.index("Privacy")
    cursor = QTextCursor(view.right.document())
    cursor.setPosition(start)
    cursor.setPosition(start + len("Privacy"), QTextCursor.KeepAnchor)
    view.right.setTextCursor(cursor)
    view.find_action.trigger()
    assert view.find_bar.edit.text() == "Privacy"
    qtbot.keyClick(view.find_bar.edit, Qt.Key_Return)
    assert view.find_bar.status.text().startswith("1 of ")
    swatches = {view.model.index(r, 0).data(Qt.DecorationRole).name() for r in range(view.model.rowCount())}
    assert len(swatches) >= 2  # one colour per kind of change


def test_zoom_without_wrapping_widens_the_gutter(view, tinder):
    view.set_result(tinder, "old", "new")
    view.wrap_action.trigger()
    assert not view.wrap_action.isChecked()
    gutter = view.left.gutter_width()
    lines = view.left.document().blockCount()
    view.zoom(3)
    assert (
        view.left.gutter_width() > gutter and view.left.viewportMargins().left() == view.left.gutter_width()
    )
    assert view.left.document().blockCount() == lines  # nothing to rewrap


def test_arrow_keys_in_the_change_list_jump(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    view.change_list.setFocus()
    qtbot.keyClick(view.change_list, Qt.Key_Down)
    assert view.current_change == 1
    qtbot.keyClick(view.change_list, Qt.Key_Down)
    assert view.current_change == 2
    assert first_lines(view) == (view.layout_info.hunk_lines[2][0],) * 2
    view.previous_change()
    assert view.change_list.currentIndex().row() == 1


def test_double_click_on_a_hidden_marker_shows_the_hidden_text(view, tinder, qtbot):
    view.set_result(tinder, "old", "new")
    view.changes_only_action.trigger()
    lay = view.layout_info
    marker_line, first_hidden = sorted(lay.skipped.items())[1]
    view._scroll_to(marker_line)
    block = view.right.document().findBlockByNumber(marker_line)
    assert "hidden" in block.text()
    rect = view.right.blockBoundingGeometry(block).translated(view.right.contentOffset())
    qtbot.mouseDClick(view.right.viewport(), Qt.LeftButton, pos=QPoint(30, round(rect.center().y())))
    assert not view.changes_only_action.isChecked()
    assert "hidden ⋯" not in view.left.toPlainText()
    top = view.layout_info.row_lines[first_hidden][0]
    assert first_lines(view) == (min(top, view.left.verticalScrollBar().maximum()),) * 2


def test_keep_position_overrides_the_title_rule(view, tinder):
    view.set_result(tinder, "old", "new")
    view.go_to_change(3)
    view.set_result(tinder, "old", "new", keep_position=False)
    assert view.current_change == 0
    view.go_to_change(3)
    view.set_result(tinder, "other", "titles", keep_position=True)
    assert view.left.first_visible_line() == view.layout_info.hunk_lines[3][0]


def test_the_wheel_over_the_ruler_scrolls_both_panes(view, tinder):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view.set_result(tinder, "old", "new")
    top = view.left.first_visible_line()
    pos = QPointF(5, 50)
    event = QWheelEvent(
        pos,
        view.ruler.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.NoButton,
        Qt.NoModifier,
        Qt.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.ruler, event)
    assert view.left.first_visible_line() > top
    assert view.right.first_visible_line() == view.left.first_visible_line()


def test_find_leaves_the_view_alone_when_the_match_is_already_visible(view, tinder):
    """Either pane: the other pane's cursor (left where it was, often at the top) must not scroll."""
    view.set_result(tinder, "old", "new")
    view.go_to_change(3)
    top = first_lines(view)
    assert top[0] > 10  # far from the start, where the panes' cursors are
    for pane in (view.right, view.left):
        visible = range(top[0] + 2, top[0] + pane.visible_lines() - 2)
        text = next(
            t
            for t in (pane.document().findBlockByNumber(n).text() for n in visible)
            if len(t) > 12 and t.isprintable()
        )
        assert view.find_text(text) >= 1
        line = view.finder._matches[view.finder._match][0]
        assert line in visible
        assert first_lines(view) == top, text
        view.find_bar.close_bar()
