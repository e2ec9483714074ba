"""The engine's shortcuts give what the plain computation gives: fast constructors, the exact-match
alignment over keys found on both sides, word counts from shared blocks, the word diff of text only
added or removed, and the in-order walk over gaps with more blocks on one side."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.diffing import (
    Block,
    BlockKind,
    DiffOptions,
    DiffRow,
    RowKind,
    Span,
    SpanKind,
    diff_texts,
    split_blocks,
)
from archiver.diffing.align import _exact
from archiver.diffing.model import new_block, new_row
from archiver.diffing.words import TokenCodec, trim_points, trimmed_diff, word_diff

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_fast_constructors_make_the_same_frozen_objects() -> None:
    block = new_block(BlockKind.HEADING, "# A\n\n", 3, 8, 1, 2, 2)
    plain = Block(BlockKind.HEADING, "# A\n\n", 3, 8, 1, 2, 2)
    assert type(block) is Block and block == plain and hash(block) == hash(plain)
    assert block.body == "# A"
    row = new_row(RowKind.REPLACE, block, None, (Span(0, 1, SpanKind.DELETE),), (), None, 0.5, 7)
    plain_row = DiffRow(RowKind.REPLACE, plain, None, (Span(0, 1, SpanKind.DELETE),), (), None, 0.5, 7)
    assert type(row) is DiffRow and row == plain_row and hash(row) == hash(plain_row)
    assert new_row(RowKind.EQUAL, block, block) == DiffRow(RowKind.EQUAL, plain, plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        block.start = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.kind = RowKind.EQUAL  # type: ignore[misc]
    assert dataclasses.replace(block, index=4) == Block(BlockKind.HEADING, "# A\n\n", 3, 8, 4, 2, 2)
    assert pickle.loads(pickle.dumps(row)) == plain_row
    assert dataclasses.asdict(row) == dataclasses.asdict(plain_row)


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


KEYS = st.lists(st.sampled_from("abcdefgh"), max_size=14)


@PROPERTY
@given(KEYS, KEYS)
def test_exact_matching_is_a_longest_common_subsequence_with_gaps_between(a: list[str], b: list[str]) -> None:
    runs, gaps = _exact(a, b)
    assert all(n > 0 for _, _, n in runs)
    equal = [(i + k, j + k) for i, j, n in runs for k in range(n)]
    assert len(equal) == _lcs(a, b)
    assert all(a[i] == b[j] for i, j in equal)
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in zip(equal, equal[1:], strict=False))
    # the gaps are exactly the unmatched runs between (and around) the matches, in order
    bounds = [(-1, -1), *equal, (len(a), len(b))]
    expected = [
        (p[0] + 1, q[0], p[1] + 1, q[1])
        for p, q in zip(bounds, bounds[1:], strict=False)
        if q != (p[0] + 1, p[1] + 1)
    ]
    assert gaps == expected


SENTENCES = st.lists(
    st.sampled_from("We collect data. You may object! Cookies, pixels and logs. ¿Qué? 42 items;".split(" ")),
    min_size=1,
    max_size=12,
).map(" ".join)


@PROPERTY
@given(SENTENCES, SENTENCES, SENTENCES)
def test_text_only_added_or_removed_is_one_span_as_the_word_diff_gives(pre: str, mid: str, post: str) -> None:
    short, long = f"{pre} {post}", f"{pre} {mid} {post}"
    for left, right in ((short, long), (long, short)):
        codec = TokenCodec(DiffOptions())
        p, s = trim_points(left, right)
        fast = trimmed_diff(codec, left, right, (p, s))
        lmid, rmid = left[p : len(left) - s], right[p : len(right) - s]
        same = left[:p] + left[len(left) - s :]
        shared = 2 * sum(ch.isalnum() or ch == "_" for ch in same)
        plain = word_diff(codec.encode(lmid), codec.encode(rmid), (p, p), shared)
        assert fast == plain


@PROPERTY
@given(
    st.lists(SENTENCES, min_size=1, max_size=8),
    st.lists(SENTENCES, min_size=1, max_size=8),
    st.booleans(),
    st.booleans(),
)
def test_word_counts_are_those_of_the_whole_texts(
    a: list[str], b: list[str], case: bool, punct: bool
) -> None:
    left, right = "\n\n".join(a), "\n\n".join(b + a[:2])
    for options in (
        DiffOptions(),
        DiffOptions(ignore_whitespace=True, ignore_case=case, ignore_punctuation=punct),
    ):
        stats = diff_texts(left, right, options).stats
        assert (stats.left_words, stats.right_words) == (len(left.split()), len(right.split()))


def test_edits_in_place_around_a_deleted_paragraph_stay_paired() -> None:
    a = (
        "We collect your name and email address when you register.\n\n"
        "This paragraph about newsletters was removed entirely from the policy.\n\n"
        "We keep logs for ninety days and then delete them.\n"
    )
    b = (
        "We collect your name and postal address when you register.\n\n"
        "We keep logs for thirty days and then delete them.\n"
    )
    for left, right in ((a, b), (b, a)):
        result = diff_texts(left, right)
        assert [r.kind for r in result.rows] == [RowKind.REPLACE, RowKind.DELETE, RowKind.REPLACE] or [
            r.kind for r in result.rows
        ] == [RowKind.REPLACE, RowKind.INSERT, RowKind.REPLACE]
        marked = [
            row.left.body[s.start : s.end]
            for row in result.rows
            if row.kind is RowKind.REPLACE and row.left is not None
            for s in row.left_spans
        ]
        assert all(len(m.split()) <= 1 for m in marked)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Title\n=====\n", BlockKind.HEADING),
        ("Title\n---\n\nNext\n", BlockKind.HEADING),
        ("two\nlines\n  ===  \n", BlockKind.HEADING),
        ("===\n", BlockKind.PARAGRAPH),
        ("a = b\n", BlockKind.PARAGRAPH),
        ("---\n", BlockKind.RULE),
        ("Title\n=====", BlockKind.HEADING),
    ],
)
def test_setext_headings_are_headings(text: str, expected: BlockKind) -> None:
    assert split_blocks(text)[0].kind is expected


def test_repeated_blocks_get_the_same_answers_in_each_copy() -> None:
    # similarity answers and encodings are kept per text: both copies must still be paired alike
    a = (
        "## Data we collect\n\nWe collect your name, email address and phone number.\n\n"
        "| Purpose | Basis |\n|---|---|\n| Billing | Contract |\n\n"
        "We keep logs for ninety days.\n"
    )
    b = (
        "## Data we collect\n\nWe collect your name, postal address and phone number.\n\n"
        "| Purpose | Basis |\n|---|---|\n| Billing and tax | Contract |\n\n"
        "We keep logs for thirty days.\n"
    )
    result = diff_texts(a + "\n" + a, b + "\n" + b)
    changed = [r for r in result.rows if r.kind is not RowKind.EQUAL]
    assert len(changed) % 2 == 0
    half = len(changed) // 2
    for first, second in zip(changed[:half], changed[half:], strict=True):
        assert first.kind is second.kind is RowKind.REPLACE
        assert first.left is not None and second.left is not None
        assert first.left.body == second.left.body
        assert (first.left_spans, first.right_spans, first.similarity) == (
            second.left_spans,
            second.right_spans,
            second.similarity,
        )
