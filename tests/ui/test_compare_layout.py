"""The pure layout behind the compare view: aligned rows, wrapping that keeps offsets, spans, numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.diffing import RowKind, diff_texts
from ui.compare.layout import (
    FILLER,
    SKIPPED,
    SPAN_DEL,
    SPAN_INS,
    hunks_of,
    layout_side_by_side,
    layout_unified,
    wrap_line,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
OLD = "# Title\n\nWe collect your email.\n\nWe share data with partners.\n\nContact us.\n"
NEW = "# Title\n\nWe collect your email and phone.\n\nContact us.\n\nA brand new closing paragraph.\n"


def corpus(name: str) -> str:
    return (CORPUS / f"{name}.ref.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [1, 5, 12, 40, None])
def test_wrap_line_breaks_only_at_spaces_and_keeps_length(width):
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing  elit, averyveryverylongwordindeed x"
    pieces = wrap_line(line, width)
    assert "".join(p + sep for p, sep in pieces) == line + "\n"
    assert all(sep in (" ", "") for _p, sep in pieces[:-1]) and pieces[-1][1] == "\n"
    if width:
        assert all(len(p) <= width for p, _sep in pieces)
    if width and width >= len("averyveryverylongwordindeed"):
        assert all(sep == " " for _p, sep in pieces[:-1])  # no word is cut when it fits a line


def test_side_by_side_panes_have_equal_heights_and_filler_where_a_side_is_missing():
    result = diff_texts(OLD, NEW)
    lay = layout_side_by_side(result, width=None)
    left, right = lay.panes
    assert len(left.lines) == len(right.lines) == lay.total_lines
    for k, row in enumerate(result.rows):
        start, n = lay.row_lines[k]
        if row.kind is RowKind.INSERT:
            assert left.lines[start] == "" and right.lines[start] == row.right.body.split("\n")[0]
            assert any(first <= start < stop and style == FILLER for first, stop, style in left.styles)
        if row.kind is RowKind.DELETE:
            assert any(first <= start < stop and style == FILLER for first, stop, style in right.styles)


def test_spans_cover_exactly_the_changed_words_even_across_soft_wraps():
    result = diff_texts(OLD, NEW)
    for width in (None, 10):
        left, right = layout_side_by_side(result, width=width).panes
        ins = [right.text[s:e].replace("\n", " ") for s, e, style in right.spans if style == SPAN_INS]
        dels = [left.text[s:e] for s, e, style in left.spans if style == SPAN_DEL]
        assert "and phone" in " ".join(ins)
        for pane in (left, right):
            assert len(pane.text) == len(pane.search_text) + len(pane.hard)
        assert dels == [] or all(d.strip() for d in dels)


def test_line_numbers_point_at_the_source_lines():
    old, new = corpus("tinder-privacy/20240531183348"), corpus("tinder-privacy/20250417003349")
    result = diff_texts(old, new)
    left, right = layout_side_by_side(result, width=60).panes
    for pane, source in ((left, old.split("\n")), (right, new.split("\n"))):
        numbered = [(n, line) for n, line in zip(pane.numbers, pane.lines, strict=True) if n]
        assert len(numbered) > 100
        for n, line in numbered:
            assert source[n - 1].startswith(line), (n, line)


def test_unified_shows_the_deletion_before_the_insertion():
    result = diff_texts(OLD, NEW)
    (pane,) = layout_unified(result, width=None).panes
    text = pane.text
    assert text.index("We collect your email.") < text.index("We collect your email and phone.")
    assert text.count("# Title") == 1  # equal rows once
    assert "We share data with partners." in text and "A brand new closing paragraph." in text


def test_changes_only_collapses_unchanged_runs_and_keeps_every_change():
    old, new = corpus("tinder-privacy/20240531183348"), corpus("tinder-privacy/20250417003349")
    result = diff_texts(old, new)
    full = layout_side_by_side(result, width=80)
    short = layout_side_by_side(result, width=80, only_changes=True)
    assert short.total_lines < full.total_lines
    assert any(style == SKIPPED for _f, _s, style in short.panes[0].styles)
    assert len(short.hunks) == len(full.hunks) == len(hunks_of(result))
    for hunk, (first, n) in zip(short.hunks, short.hunk_lines, strict=True):
        row = result.rows[hunk.first]
        block = row.right if row.right is not None else row.left
        side = short.panes[1] if row.right is not None else short.panes[0]
        assert side.lines[first] == wrap_line(block.body.split("\n")[0], 80)[0][0]
        assert n >= 1


def test_hunks_group_consecutive_rows_of_one_kind():
    result = diff_texts(corpus("tinder-privacy/20240531183348"), corpus("tinder-privacy/20250417003349"))
    hunks = hunks_of(result)
    assert sum(h.last - h.first + 1 for h in hunks) == len(result.change_indices())
    for h in hunks:
        assert {result.rows[k].kind for k in range(h.first, h.last + 1)} == {h.kind}


def test_overlong_words_are_cut_and_offsets_map_back_to_the_text_as_written():
    url = "https://example.com/" + "a" * 150 + "/policy"
    old = f"Intro.\n\nSee [the policy]({url}) for details.\n"
    new = f"Intro.\n\nSee [the new policy]({url}) for all details.\n"
    result = diff_texts(old, new)
    left, right = layout_side_by_side(result, width=40).panes
    assert right.hard and max(len(line) for line in right.lines) <= 40
    for pane, source in ((left, old), (right, new)):
        assert source.split("\n")[2] in pane.search_text.split("\n")  # the paragraph as written
        assert url in pane.search_text and url not in pane.text
        start = pane.search_text.index(url)
        a, b = pane.text_range(start, start + len(url))
        assert pane.text[a:b].replace("\n", "") == url
        assert pane.to_source(a) == start and pane.to_source(b) == start + len(url)
        for pos in range(len(pane.search_text)):
            assert pane.text[pane.to_text(pos)] == pane.search_text[pos] or pane.search_text[pos] == " "
    marked = "".join(right.text[s:e] for s, e, style in right.spans if style == SPAN_INS).replace("\n", " ")
    assert "new" in marked and "all" in marked


def test_unified_numbers_old_lines_in_one_column_and_new_lines_in_the_other():
    old, new = corpus("tinder-privacy/20240531183348"), corpus("tinder-privacy/20250417003349")
    result = diff_texts(old, new)
    (pane,) = layout_unified(result, width=70).panes
    assert pane.unified and len(pane.numbers2) == len(pane.lines)
    old_lines, new_lines = old.split("\n"), new.split("\n")
    both = only_old = only_new = 0
    for line, n_old, n_new in zip(pane.lines, pane.numbers, pane.numbers2, strict=True):
        if n_old:
            assert old_lines[n_old - 1].startswith(line)
        if n_new:
            assert new_lines[n_new - 1].startswith(line)
        both += bool(n_old and n_new)
        only_old += bool(n_old and not n_new)
        only_new += bool(n_new and not n_old)
    assert both > 100 and only_old > 50 and only_new > 5
