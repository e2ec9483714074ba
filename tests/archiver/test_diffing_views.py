"""Blocks, the changes-only view and the row -> line map, without Qt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.diffing import (
    BlockKind,
    DiffRow,
    RowKind,
    Skipped,
    changes_only,
    chunk_line_map,
    diff_texts,
    line_map,
    split_blocks,
)
from archiver.diffing import blocks as blocks_module
from archiver.diffing.render import render_text

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


def ref(slug: str, timestamp: str) -> str:
    return (CORPUS / slug / f"{timestamp}.ref.md").read_text(encoding="utf-8")


def test_blocks_follow_markdown_structure() -> None:
    text = (
        "\n\nPrivacy Policy\n==============\n\nIntro line one\nline two.\n\n* * *\n\n"
        "## Data we collect\n- email\n- phone\n  continued\n1. first\n\n| a | b |\n| --- | --- |\n"
        "```\ncode\n\nstill code\n```\nlast"
    )
    blocks = split_blocks(text)
    assert [(b.kind, b.body.strip()) for b in blocks] == [
        (BlockKind.BLANK, ""),
        (BlockKind.HEADING, "Privacy Policy\n=============="),
        (BlockKind.PARAGRAPH, "Intro line one\nline two."),
        (BlockKind.RULE, "* * *"),
        (BlockKind.HEADING, "## Data we collect"),
        (BlockKind.LIST_ITEM, "- email"),
        (BlockKind.LIST_ITEM, "- phone\n  continued"),
        (BlockKind.LIST_ITEM, "1. first"),
        (BlockKind.TABLE_ROW, "| a | b |"),
        (BlockKind.TABLE_ROW, "| --- | --- |"),
        (BlockKind.CODE, "```\ncode\n\nstill code\n```"),
        (BlockKind.PARAGRAPH, "last"),
    ]
    assert "".join(b.text for b in blocks) == text
    assert [b.index for b in blocks] == list(range(len(blocks)))
    # line numbers and line counts add up
    assert [b.line for b in blocks][:4] == [0, 2, 5, 8]
    assert sum(b.lines for b in blocks) == text.count("\n") + 1


# Markdown-ish text: block markers, blank lines, odd whitespace (\r, no-break space, form feed)
TEXTISH = st.text(alphabet=st.sampled_from("ab \n\n-#|*`~=1.>_\t\r\u00a0\x0cé+)"), max_size=60)


def _general_split(text: str) -> list[tuple[str, str]]:
    """Kinds and texts as the block alternatives alone cut them, without the plain-line shortcut."""
    general = re.compile(f"(?:{'|'.join(blocks_module._ALTERNATIVES)}){blocks_module._TRAILING_BLANKS}", re.M)
    lead = blocks_module._LEADING_BLANKS.match(text)
    out = [("blank", lead.group())] if lead else []
    out += [
        (str(blocks_module._KIND_BY_GROUP[m.lastindex or 0]), m.group())
        for m in general.finditer(text, lead.end() if lead else 0)
    ]
    return out


@settings(max_examples=300, deadline=None)
@given(TEXTISH, TEXTISH, TEXTISH)
def test_the_plain_line_shortcut_splits_as_the_block_alternatives_do(a: str, b: str, c: str) -> None:
    text = a + b + c
    blocks = split_blocks(text)
    assert [(str(x.kind), x.text) for x in blocks] == _general_split(text)
    assert "".join(x.text for x in blocks) == text
    assert [x.start for x in blocks] == [sum(len(y.text) for y in blocks[:k]) for k in range(len(blocks))]


def test_the_plain_line_shortcut_on_real_versions() -> None:
    for text in (ref("tinder-privacy", "20250417003349"), ref("github-privacy", "20231013183001")):
        assert [(str(x.kind), x.text) for x in split_blocks(text)] == _general_split(text)


@pytest.mark.parametrize(
    "text", ["", "   ", "\n\n  ", "\n\n  a", "a\n\n   ", "a", "\n", " \n x\n", "x\n\n\n \t"]
)
def test_whitespace_edges_tile_and_whitespace_alone_is_one_blank_block(text: str) -> None:
    blocks = split_blocks(text)
    assert "".join(b.text for b in blocks) == text
    assert sum(b.lines for b in blocks) == (
        text.count("\n") + (0 if text.endswith("\n") else 1) if text else 0
    )
    if text and not text.strip():
        assert [b.kind for b in blocks] == [BlockKind.BLANK]


def _numbered(n: int) -> str:
    return "".join(f"Paragraph number {k} says something about data.\n\n" for k in range(n))


def test_changes_only_keeps_context_and_collapses_the_rest() -> None:
    a = _numbered(20)
    b = a.replace("number 10 says", "number 10 now says")
    result = diff_texts(a, b)
    (changed,) = result.change_indices()
    assert changed == 10
    view = changes_only(result, context=2)
    assert isinstance(view[0], Skipped) and (view[0].start, view[0].stop) == (0, 8)
    assert view[0].left_lines == view[0].right_lines == 16
    shown = [item for item in view if isinstance(item, DiffRow)]
    assert [r.kind for r in shown] == [RowKind.EQUAL] * 2 + [RowKind.REPLACE] + [RowKind.EQUAL] * 2
    assert isinstance(view[-1], Skipped) and (view[-1].start, view[-1].stop) == (13, 20)
    assert changes_only(result, context=100) == result.rows
    assert changes_only(diff_texts(a, a), 3) == (Skipped(0, 20, 40, 40),)
    with pytest.raises(ValueError):
        changes_only(result, -1)


def test_line_map_pads_both_sides() -> None:
    a = "Title\n\nFirst paragraph\nwraps here.\n\nSecond paragraph.\n"
    b = "Title\n\nSecond paragraph.\n\nA new\nthree line\nparagraph.\n"
    result = diff_texts(a, b)
    assert [r.kind for r in result.rows] == [RowKind.EQUAL, RowKind.DELETE, RowKind.EQUAL, RowKind.INSERT]
    lm = line_map(result)
    assert [(x.left_start, x.left_count, x.right_start, x.right_count) for x in lm] == [
        (0, 2, 0, 2),
        (2, 3, 2, 0),
        (5, 1, 2, 2),
        (6, 0, 4, 3),
    ]
    assert [(x.view_start, x.height) for x in lm] == [(0, 2), (2, 3), (5, 2), (7, 3)]
    assert chunk_line_map(result) == ((RowKind.DELETE, 2, 5, 2, 2), (RowKind.INSERT, 6, 6, 4, 7))


def test_line_map_matches_source_lines_on_the_corpus() -> None:
    a, b = ref("tinder-privacy", "20240531183348"), ref("tinder-privacy", "20250417003349")
    result = diff_texts(a, b)
    a_lines, b_lines = a.splitlines(keepends=True), b.splitlines(keepends=True)
    for rl in line_map(result):
        row = result.rows[rl.row]
        if row.left is not None:
            assert "".join(a_lines[rl.left_start : rl.left_start + rl.left_count]) == row.left.text
        if row.right is not None:
            assert "".join(b_lines[rl.right_start : rl.right_start + rl.right_count]) == row.right.text
    last = line_map(result)[-1]
    assert last.left_start + last.left_count == len(a_lines)
    assert last.right_start + last.right_count == len(b_lines)


def test_text_render_marks_words_like_git() -> None:
    a = "We keep logs for 30 days.\n\nUnchanged.\n\nAlso unchanged.\n"
    b = "We keep server logs for 90 days.\n\nUnchanged.\n\nAlso unchanged.\n"
    out = render_text(diff_texts(a, b), context=0)
    assert "We keep {+server +}logs for [-30-]{+90+} days." in out
    assert "Unchanged." not in out and "... 2 unchanged blocks ..." in out
    assert render_text(diff_texts(a, a)) == ""
