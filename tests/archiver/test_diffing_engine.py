"""The diff engine on real policy text and as properties over generated policies."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.diffing import (
    BlockKind,
    DiffOptions,
    DiffResult,
    RowKind,
    SpanKind,
    diff_texts,
    split_blocks,
)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


def ref(slug: str, timestamp: str) -> str:
    return (CORPUS / slug / f"{timestamp}.ref.md").read_text(encoding="utf-8")


def rebuilt(result: DiffResult) -> tuple[str, str]:
    return (
        "".join(b.text for b in result.left_blocks()),
        "".join(b.text for b in result.right_blocks()),
    )


def kinds(result: DiffResult) -> set[RowKind]:
    return {row.kind for row in result.rows}


# --- generated policies ----------------------------------------------------------------------------

WORDS = st.sampled_from(
    "data personal we you your share collect process account service services retain delete "
    "rights law consent third parties cookies device location email contact policy privacy "
    "legitimate interest security transfer Europe members safety".split()
)
SENTENCE = st.lists(WORDS, min_size=4, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=3).map(" ".join)
HEADING = st.lists(WORDS, min_size=1, max_size=4).map(lambda ws: "## " + " ".join(ws).title())
ITEM = st.lists(WORDS, min_size=2, max_size=8).map(lambda ws: "- " + " ".join(ws))
BLOCK = st.one_of(PARAGRAPH, PARAGRAPH, HEADING, ITEM)
SEPARATOR = st.sampled_from(["\n\n", "\n\n", "\n", "\n\n\n", "  \n\n"])


@st.composite
def policies(draw: st.DrawFn, min_size: int = 0) -> str:
    blocks = draw(st.lists(BLOCK, min_size=min_size, max_size=12))
    out = []
    for b in blocks:
        sep = draw(SEPARATOR)
        # a list item or heading needs a newline after it; a paragraph followed by a single
        # newline merges with the next paragraph, which is fine: the text is what it is
        out.append(b + sep)
    text = "".join(out)
    if draw(st.booleans()):
        text = text.rstrip("\n")
    return text


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    """A policy and an edited version: blocks removed, inserted, words changed."""
    blocks = draw(st.lists(BLOCK, min_size=1, max_size=10))
    new = list(blocks)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["insert", "delete", "edit"]))
        if op == "insert":
            new.insert(draw(st.integers(0, len(new))), draw(BLOCK))
        elif new and op == "delete":
            del new[draw(st.integers(0, len(new) - 1))]
        elif new:
            k = draw(st.integers(0, len(new) - 1))
            words = new[k].split(" ")
            words[draw(st.integers(0, len(words) - 1))] = draw(WORDS)
            new[k] = " ".join(words)
    return "\n\n".join(blocks) + "\n", "\n\n".join(new) + "\n"


ARBITRARY = st.text(alphabet=st.sampled_from("ab c\n\n\t-#|*`=1.>_\r\u00a0é"), max_size=80)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.one_of(policies(), ARBITRARY), st.one_of(policies(), ARBITRARY))
def test_rows_rebuild_both_texts_exactly(a: str, b: str) -> None:
    result = diff_texts(a, b)
    assert rebuilt(result) == (a, b)
    # block offsets are the source offsets, and spans stay inside their block bodies
    for row in result.rows:
        for block, spans, text in ((row.left, row.left_spans, a), (row.right, row.right_spans, b)):
            if block is None:
                assert not spans
                continue
            assert text[block.start : block.end] == block.text
            for span in spans:
                assert 0 <= span.start < span.end <= len(block.body)


@PROPERTY
@given(st.one_of(policies(), ARBITRARY), st.one_of(policies(), ARBITRARY), st.booleans(), st.booleans())
def test_ignore_options_still_rebuild_the_original_texts(a: str, b: str, case: bool, punct: bool) -> None:
    options = DiffOptions(ignore_whitespace=True, ignore_case=case, ignore_punctuation=punct)
    assert rebuilt(diff_texts(a, b, options)) == (a, b)


@PROPERTY
@given(st.one_of(policies(), ARBITRARY))
def test_equal_inputs_give_no_changes(a: str) -> None:
    result = diff_texts(a, a)
    assert result.same
    assert kinds(result) <= {RowKind.EQUAL}
    assert (result.stats.words_added, result.stats.words_removed, result.stats.changed_ratio) == (0, 0, 0.0)
    assert result.change_indices() == ()


@PROPERTY
@given(st.one_of(edited(), st.tuples(policies(), policies()), st.tuples(ARBITRARY, ARBITRARY)))
def test_swapping_sides_swaps_insertions_and_deletions(pair: tuple[str, str]) -> None:
    a, b = pair
    forward, backward = diff_texts(a, b), diff_texts(b, a)
    assert len(forward.rows) == len(backward.rows)
    mirror = {
        RowKind.INSERT: RowKind.DELETE,
        RowKind.DELETE: RowKind.INSERT,
        RowKind.EQUAL: RowKind.EQUAL,
        RowKind.REPLACE: RowKind.REPLACE,
        RowKind.MOVE: RowKind.MOVE,
    }

    def signature(result: DiffResult, swap: bool) -> list[tuple[object, ...]]:
        out = []
        for row in result.rows:
            left, right = (row.right, row.left) if swap else (row.left, row.right)
            lspans, rspans = (row.right_spans, row.left_spans) if swap else (row.left_spans, row.right_spans)
            kind = mirror[row.kind] if swap else row.kind
            out.append(
                (
                    kind,
                    left.start if left else None,
                    right.start if right else None,
                    tuple((s.start, s.end) for s in lspans),
                    tuple((s.start, s.end) for s in rspans),
                )
            )
        return sorted(out, key=repr)

    assert signature(forward, False) == signature(backward, True)
    fs, bs = forward.stats, backward.stats
    assert (fs.words_added, fs.words_removed) == (bs.words_removed, bs.words_added)
    assert fs.moved_blocks == bs.moved_blocks
    assert fs.changed_ratio == pytest.approx(bs.changed_ratio)
    for row in forward.rows:
        assert all(s.kind is SpanKind.DELETE for s in row.left_spans)
        assert all(s.kind is SpanKind.INSERT for s in row.right_spans)


@st.composite
def moved(draw: st.DrawFn) -> tuple[list[str], int, int]:
    paragraphs = draw(st.lists(PARAGRAPH, min_size=4, max_size=10, unique=True))
    source = draw(st.integers(0, len(paragraphs) - 1))
    # jump over at least two other paragraphs, so moving this one is the smallest explanation
    targets = [t for t in range(len(paragraphs)) if abs(t - source) >= 3]
    if not targets:
        source, targets = 0, [len(paragraphs) - 1]
    return paragraphs, source, draw(st.sampled_from(targets))


@PROPERTY
@given(moved())
def test_moved_paragraphs_are_reported_as_moves(case: tuple[list[str], int, int]) -> None:
    paragraphs, source, target = case
    new = list(paragraphs)
    para = new.pop(source)
    new.insert(target, para)
    result = diff_texts("\n\n".join(paragraphs) + "\n", "\n\n".join(new) + "\n")
    assert kinds(result) == {RowKind.EQUAL, RowKind.MOVE}
    moves = [row for row in result.rows if row.kind is RowKind.MOVE]
    assert len(moves) == 2
    (old_half,) = [r for r in moves if r.left is not None]
    (new_half,) = [r for r in moves if r.right is not None]
    assert old_half.move_id == new_half.move_id is not None
    assert old_half.left is not None and new_half.right is not None
    assert old_half.left.body == new_half.right.body == para
    assert result.stats.moved_blocks == 1
    assert result.stats.words_added == result.stats.words_removed == 0


def test_moved_and_edited_paragraph_is_a_move_with_word_spans() -> None:
    paras = [
        "We collect your email address when you create an account with us.",
        "Cookies help us remember your settings between visits.",
        "You can delete your account at any time from the settings page.",
        "We keep billing records for seven years to comply with tax law.",
    ]
    new = [paras[1], paras[2], paras[3], paras[0].replace("email address", "phone number")]
    result = diff_texts("\n\n".join(paras) + "\n", "\n\n".join(new) + "\n")
    moves = [row for row in result.rows if row.kind is RowKind.MOVE]
    assert len(moves) == 2 and moves[0].move_id == moves[1].move_id
    old_half, new_half = moves
    assert old_half.left is not None and new_half.right is not None
    assert [old_half.left.text[s.start : s.end] for s in old_half.left_spans] == ["email address"]
    assert [new_half.right.text[s.start : s.end] for s in new_half.right_spans] == ["phone number"]
    assert result.stats.moved_blocks == 1
    assert (result.stats.words_removed, result.stats.words_added, result.stats.words_changed) == (2, 2, 2)


def test_word_spans_fall_on_whole_words() -> None:
    a = "We share your personal data with our trusted partners.\n"
    b = "We share your personal information with our partners.\n"
    (row,) = diff_texts(a, b).rows
    assert row.kind is RowKind.REPLACE
    assert row.left is not None and row.right is not None
    assert [row.left.text[s.start : s.end].strip() for s in row.left_spans] == ["data", "trusted"]
    assert [row.right.text[s.start : s.end].strip() for s in row.right_spans] == ["information"]


def test_ignore_options_change_only_what_counts_as_equal() -> None:
    a = "We may share your DATA, with partners.\n\nSecond   paragraph stays.\n"
    b = "We may share your data with partners\n\nSecond paragraph stays.\n"
    assert not diff_texts(a, b).same
    assert diff_texts(
        a, b, DiffOptions(ignore_case=True, ignore_punctuation=True, ignore_whitespace=True)
    ).same
    only_case = diff_texts(a, b, DiffOptions(ignore_case=True))
    first = only_case.rows[0]
    assert first.kind is RowKind.REPLACE and first.left is not None
    assert [first.left.text[s.start : s.end] for s in first.left_spans] == [",", "."]
    ws = diff_texts(a, b, DiffOptions(ignore_whitespace=True))
    assert [row.kind for row in ws.rows] == [RowKind.REPLACE, RowKind.EQUAL]


def test_unrelated_policies_share_nothing_but_are_not_one_big_hunk() -> None:
    result = diff_texts(ref("github-privacy", "20231013183001"), ref("heloa-privacy-fr", "20250718003012"))
    assert not result.same
    assert result.stats.changed_ratio > 0.95
    assert rebuilt(result) == (
        ref("github-privacy", "20231013183001"),
        ref("heloa-privacy-fr", "20250718003012"),
    )


# --- the corpus ----------------------------------------------------------------------------------

TINDER = "tinder-privacy"
SECTION_7 = "**7\\. Cross-Border Data Transfers**"
AFTER_SECTION_9 = "Where and as legally permitted, we may maintain and use data"


def sections_7_to_9(text: str) -> str:
    """The blocks of sections 7, 8 and 9 (up to the end of section 9's last paragraph)."""
    start = text.index(SECTION_7)
    last = text.index(AFTER_SECTION_9)
    end = next(b.end for b in split_blocks(text) if b.start == last)
    return text[start:end]


def deleted_runs(result: DiffResult) -> list[str]:
    """The text of each run of consecutive DELETE rows."""
    runs: list[str] = []
    previous = None
    for row in result.rows:
        if row.kind is RowKind.DELETE and row.left is not None:
            if previous is RowKind.DELETE:
                runs[-1] += row.left.text
            else:
                runs.append(row.left.text)
        previous = row.kind
    return runs


def test_tinder_partial_capture_shows_exactly_sections_7_to_9_deleted() -> None:
    before, partial = ref(TINDER, "20240531183348"), ref(TINDER, "20250417003349")
    result = diff_texts(before, partial)
    assert deleted_runs(result) == [sections_7_to_9(before)]
    # two address lines were merged into the address quote below them: one group, nothing lost
    group = [row for row in result.rows if row.group_id is not None]
    assert [row.left.body for row in group if row.left is not None] == [
        "Data Protection Officer",
        "MTCH Technology Services Limited",
        "> Tinder  \n> 1 Hatch Street Upper\u00a0  \n> Dublin 2\u00a0  \n> Dublin\u00a0  \n> D02 PY28  \n> Ireland",
    ]
    assert all(not row.left_spans for row in group)
    assert all(row.kind is RowKind.REPLACE for row in group)
    assert kinds(result) == {RowKind.EQUAL, RowKind.DELETE, RowKind.REPLACE, RowKind.INSERT}
    inserted = [row.right for row in result.rows if row.kind is RowKind.INSERT]
    assert [b.text.strip() for b in inserted if b is not None] == ["### **10\\. Children's Privacy**"]
    replaced = [row for row in result.rows if row.kind is RowKind.REPLACE]
    dates = replaced[0]
    assert dates.left is not None and dates.right is not None
    assert "July 1" in [dates.left.text[s.start : s.end] for s in dates.left_spans]
    assert "February 28" in [dates.right.text[s.start : s.end] for s in dates.right_spans]


def test_tinder_next_capture_shows_sections_7_to_9_back() -> None:
    partial, after = ref(TINDER, "20250417003349"), ref(TINDER, "20250417123351")
    result = diff_texts(partial, after)
    inserted = [row.right for row in result.rows if row.kind is RowKind.INSERT]
    assert "".join(b.text for b in inserted if b is not None) == sections_7_to_9(after)
    deleted = [row.left for row in result.rows if row.kind is RowKind.DELETE]
    assert [b.text.strip() for b in deleted if b is not None] == ["### **10\\. Children's Privacy**"]
    assert kinds(result) == {RowKind.EQUAL, RowKind.INSERT, RowKind.DELETE}


def test_github_rewrite_matches_surviving_paragraphs() -> None:
    old, new = ref("github-privacy", "20231013183001"), ref("github-privacy", "20240203003002")
    result = diff_texts(old, new)
    assert rebuilt(result) == (old, new)
    paired = [row for row in result.rows if row.left is not None and row.right is not None]
    # never the delete-everything/insert-everything answer: surviving blocks are aligned
    assert len(paired) >= 30
    assert result.stats.moved_blocks >= 10
    assert 0.4 < result.stats.changed_ratio < 0.9
    # a paragraph that survived word for word is not reported as changed
    survivor = "GitHub Privacy Statement"
    assert any(
        row.kind in (RowKind.EQUAL, RowKind.MOVE) and row.left is not None and survivor in row.left.text
        for row in result.rows
    )


def test_markup_only_change_is_all_small_replacements() -> None:
    old, new = ref("github-privacy", "20230425183000"), ref("github-privacy", "20230501183000")
    result = diff_texts(old, new)
    assert result.stats.changed_ratio < 0.05
    replaced = [row for row in result.rows if row.kind is RowKind.REPLACE]
    assert len(replaced) >= 40
    # the heading anchor moved: the heading words are marked, not the whole section
    for row in replaced:
        assert row.left is not None and row.left.kind is BlockKind.HEADING or row.similarity >= 0.5


def test_same_text_in_both_heloa_builds_is_equal() -> None:
    a, b = ref("heloa-privacy-fr", "20250826123011"), ref("heloa-privacy-fr", "20250902003011")
    assert a == b
    result = diff_texts(a, b)
    assert result.same and result.stats.changed_ratio == 0.0


@PROPERTY
@given(st.lists(SENTENCE, min_size=2, max_size=6, unique=True), st.data())
def test_split_or_joined_paragraphs_mark_no_words(sentences: list[str], data: st.DataObject) -> None:
    """A paragraph cut in two (or two joined) keeps every word: one group, no words marked."""
    cut = data.draw(st.integers(1, len(sentences) - 1))
    before = ["First, an unchanged paragraph about cookies.", " ".join(sentences), "Last, unchanged."]
    after = [before[0], " ".join(sentences[:cut]), " ".join(sentences[cut:]), before[2]]
    a, b = "\n\n".join(before) + "\n", "\n\n".join(after) + "\n"
    for x, y in ((a, b), (b, a)):
        result = diff_texts(x, y)
        changed = [row for row in result.rows if row.kind is not RowKind.EQUAL]
        assert {row.kind for row in changed} == {RowKind.REPLACE}
        assert len(changed) == 2 and changed[0].group_id == changed[1].group_id is not None
        marked = [
            block.text[s.start : s.end]
            for row in changed
            for block, spans in ((row.left, row.left_spans), (row.right, row.right_spans))
            if block is not None
            for s in spans
        ]
        assert all(not m.strip() for m in marked)  # at most the space where the cut is
        assert result.stats.words_added == result.stats.words_removed == 0


def test_text_without_paragraph_breaks_still_aligns_by_sentences() -> None:
    """A policy flattened to one line (or a .txt without blank lines) is not one delete + insert."""
    github = " ".join(ref("github-privacy", "20231013183001").split())
    doctolib = " ".join(ref("doctolib-privacy-pdf-fr", "20250718003000").split())
    tinder = " ".join(ref(TINDER, "20240531183348").split())
    old, new = github + " " + doctolib, tinder + " " + doctolib[:20000]
    result = diff_texts(old, new)
    (row,) = result.rows
    assert row.kind is RowKind.REPLACE and row.left is not None and row.right is not None
    # the shared French text is not marked: only the start differs
    marked_right = sum(s.end - s.start for s in row.right_spans)
    assert marked_right < len(new) - 19000
    assert rebuilt(result) == (old, new)


def test_long_unbroken_text_is_cut_into_blocks_of_at_most_40_lines() -> None:
    lines = [f"Line {k} of a plain text policy without blank lines." for k in range(100)]
    old = "\n".join(lines) + "\n"
    new = "\n".join(lines[:50] + ["An inserted line."] + lines[50:]) + "\n"
    blocks = split_blocks(old)
    assert [b.lines for b in blocks] == [40, 40, 20]
    result = diff_texts(old, new)
    assert rebuilt(result) == (old, new)
    assert result.stats.words_added == 3 and result.stats.words_removed == 0
