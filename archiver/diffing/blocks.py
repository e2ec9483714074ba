"""Split extracted policy Markdown into blocks that tile the text exactly.

A block is a heading (ATX ``# ...`` or a setext line underlined with ``===``/``---``), a paragraph
(consecutive non-blank lines), a list item (``- ``, ``* ``, ``+ ``, ``1. `` at any indentation, with its continuation lines),
one table row (``| ... |``), a fenced code block, or a thematic break (``* * *``). Each block keeps the
blank lines that follow it, so joining the blocks' texts gives back the input string character for
character, whatever it is (the splitter never fails: a line it cannot classify is a paragraph).
"""

from __future__ import annotations

import re

from .model import Block, BlockKind

_BLANK = r"[^\S\n]*(?:\n|\Z)"
# A line that starts a new block (used to stop paragraph and list-item continuation).
_START = (
    r"(?:[ ]{0,3}(?:\#{1,6}(?:[^\S\n]|$)|\||```|~~~)|[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[^\S\n]|$)"
    r"|[ ]{0,3}(?:(?:\*[^\S\n]*){3,}|(?:-[^\S\n]*){3,}|(?:_[^\S\n]*){3,})$)"
)
_CONT = rf"(?:(?!{_BLANK}|{_START}).+(?:\n|\Z))*"
_SETEXT_UNDERLINE = r"[ ]{0,3}(?:=+|-+)[^\S\n]*(?:\n|\Z)"

# One alternative per block kind; group numbers identify the kind through ``match.lastindex``.
_ALTERNATIVES = (
    r"(^[ ]{0,3}```.*(?:\n|\Z)(?:(?![ ]{0,3}```).*\n)*(?:[ ]{0,3}```.*(?:\n|\Z)|.*\Z))",  # 1 code
    r"(^[ ]{0,3}~~~.*(?:\n|\Z)(?:(?![ ]{0,3}~~~).*\n)*(?:[ ]{0,3}~~~.*(?:\n|\Z)|.*\Z))",  # 2 code
    r"(^[ ]{0,3}(?:(?:\*[^\S\n]*){3,}|(?:-[^\S\n]*){3,}|(?:_[^\S\n]*){3,})(?:\n|\Z))",  # 3 rule
    r"(^[ ]{0,3}\#{1,6}(?:[^\S\n].*)?(?:\n|\Z))",  # 4 heading
    r"(^[ ]{0,3}\|.*(?:\n|\Z))",  # 5 table row
    rf"(^[ \t]*(?:[-*+]|\d{{1,9}}[.)])(?:[^\S\n].*)?(?:\n|\Z){_CONT})",  # 6 list item (nested too)
    rf"(^.*\S.*(?:\n|\Z)(?:(?!{_BLANK}|{_START}|{_SETEXT_UNDERLINE}).+(?:\n|\Z))*(?:{_SETEXT_UNDERLINE})?)",  # 7
)
# One alternative per block kind (the group number, ``match.lastindex``, is the kind), then the
# blank lines that follow the block.
_BLOCK = re.compile("(?:" + "|".join(_ALTERNATIVES) + r")(?:[^\S\n]*\n)*(?:[^\S\n]+\Z)?", re.MULTILINE)
_LEADING_BLANKS = re.compile(r"(?:[^\S\n]*\n)+|[^\S\n]+\Z")
_SETEXT_END = re.compile(rf"\n{_SETEXT_UNDERLINE}\Z")
_ANY_LINE = re.compile(r".*(?:\n|\Z)")

_KINDS = {
    1: BlockKind.CODE,
    2: BlockKind.CODE,
    3: BlockKind.RULE,
    4: BlockKind.HEADING,
    5: BlockKind.TABLE_ROW,
    6: BlockKind.LIST_ITEM,
    7: BlockKind.PARAGRAPH,
}


def split_blocks(text: str) -> tuple[Block, ...]:
    """The blocks of ``text`` in order; ``"".join(b.text for b in blocks) == text``."""
    blocks: list[Block] = []
    _split(text, blocks, 0, 0, None)
    return tuple(blocks)


def split_pair(left: str, right: str) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """``(split_blocks(left), split_blocks(right))``, faster for two versions of one text.

    Where the texts share a beginning, the right side reuses the left's blocks; once the right split
    reaches, inside the shared ending, a position where a left block starts, the rest of the right
    side is the left's blocks shifted (splitting from a block start depends only on what follows).
    """
    lblocks: list[Block] = []
    _split(left, lblocks, 0, 0, None)
    n, m = len(left), len(right)
    prefix = _common_prefix(left, right)
    # Reuse block k when block k + 1 ends with a newline inside the common prefix: the split of
    # block k looked no further than that newline.
    k = 0
    while k + 1 < len(lblocks) and lblocks[k + 1].end <= prefix and lblocks[k + 1].text[-1] == "\n":
        k += 1
    rblocks = lblocks[:k] if k else []
    pos = rblocks[-1].end if rblocks else 0
    line = rblocks[-1].line + rblocks[-1].text.count("\n") if rblocks else 0
    suffix = _common_prefix(left[::-1], right[::-1]) if left and right else 0
    suffix = min(suffix, n - pos, m - pos)
    delta = m - n
    starts = {b.start: b.index for b in lblocks if b.index > 0 and b.start >= n - suffix}
    sync = _split(right, rblocks, pos, line, (starts, delta, m - suffix))
    if sync is not None:
        li = sync
        first = lblocks[li]
        di = len(rblocks) - li
        dl = (rblocks[-1].line + rblocks[-1].text.count("\n") if rblocks else 0) - first.line
        rblocks.extend(
            Block(b.kind, b.text, b.start + delta, b.end + delta, b.index + di, b.line + dl, b.lines)
            for b in lblocks[li:]
        )
    return tuple(lblocks), tuple(rblocks)


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving (slice comparisons run in C)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _split(
    text: str,
    blocks: list[Block],
    pos: int,
    line: int,
    sync: tuple[dict[int, int], int, int] | None,
) -> int | None:
    """Append the blocks of ``text`` from ``pos`` (a block start) to ``blocks``.

    With ``sync = (left starts -> left index, delta, suffix start)``, stop at the first block start
    at or after ``suffix start`` that is a left block start shifted by ``delta``, and return that
    left index.
    """
    n = len(text)
    match_block = _BLOCK.match
    append = blocks.append
    kinds = _KINDS
    paragraph = BlockKind.PARAGRAPH
    if pos == 0 and n:
        lead = _LEADING_BLANKS.match(text)
        if lead:
            pos = lead.end()
            chunk = text[:pos]
            count = chunk.count("\n")
            lines = count if chunk.endswith("\n") else count + 1
            append(Block(BlockKind.BLANK, chunk, 0, pos, 0, 0, lines))
            line = count
    if sync is not None:
        starts, delta, sync_from = sync
    index = len(blocks)
    while pos < n:
        if sync is not None and pos >= sync_from:
            li = starts.get(pos - delta)
            if li is not None:
                return li
        m = match_block(text, pos)
        if m is None or m.end() == pos:  # cannot happen for well-formed input; never loop forever
            m = _ANY_LINE.match(text, pos)
            assert m is not None
            kind = paragraph
            end = m.end() if m.end() > pos else n
        else:
            end = m.end()
            kind = kinds[m.lastindex or 7]
            if kind is paragraph:
                body = m.group(7)
                if body.find("\n") < len(body) - 1 and _SETEXT_END.search(body):
                    kind = BlockKind.HEADING
        chunk = text[pos:end]
        count = chunk.count("\n")
        append(Block(kind, chunk, pos, end, index, line, count if chunk[-1] == "\n" else count + 1))
        index += 1
        line += count
        pos = end
    return None
