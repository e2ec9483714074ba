"""Split extracted policy Markdown into blocks that tile the text exactly.

A block is a heading (ATX ``# ...`` or a setext line underlined with ``===``/``---``), a paragraph
(consecutive non-blank lines), a list item (``- ``, ``* ``, ``+ ``, ``1. `` at any indentation, with its continuation lines),
one table row (``| ... |``), a fenced code block, or a thematic break (``* * *``). Each block keeps the
blank lines that follow it, so joining the blocks' texts gives back the input string character for
character, whatever it is (the splitter never fails: a line it cannot classify is a paragraph).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict

from .model import Block, BlockKind, _BlockInit, new_block

_BLANK = r"[^\S\n]*(?:\n|\Z)"
# A line that starts a new block (used to stop paragraph and list-item continuation).
_START = (
    r"(?:[ ]{0,3}(?:\#{1,6}(?:[^\S\n]|$)|\||```|~~~)|[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[^\S\n]|$)"
    r"|[ ]{0,3}(?:(?:\*[^\S\n]*){3,}|(?:-[^\S\n]*){3,}|(?:_[^\S\n]*){3,})$)"
)
#: Longest paragraph or list item, in lines: a text with no blank lines (a plain .txt file) still
#: splits into blocks of this size, so no single block pair gets huge.
MAX_BLOCK_LINES = 40
_CONT = rf"(?:(?!{_BLANK}|{_START}).+(?:\n|\Z)){{0,{MAX_BLOCK_LINES - 1}}}"
_SETEXT_UNDERLINE = r"[ ]{0,3}(?:=+|-+)[^\S\n]*(?:\n|\Z)"

# One alternative per block kind; group numbers identify the kind through ``match.lastindex``.
_ALTERNATIVES = (
    r"(^[ ]{0,3}```.*(?:\n|\Z)(?:(?![ ]{0,3}```).*\n)*(?:[ ]{0,3}```.*(?:\n|\Z)|.*\Z))",  # 1 code
    r"(^[ ]{0,3}~~~.*(?:\n|\Z)(?:(?![ ]{0,3}~~~).*\n)*(?:[ ]{0,3}~~~.*(?:\n|\Z)|.*\Z))",  # 2 code
    r"(^[ ]{0,3}(?:(?:\*[^\S\n]*){3,}|(?:-[^\S\n]*){3,}|(?:_[^\S\n]*){3,})(?:\n|\Z))",  # 3 rule
    r"(^[ ]{0,3}\#{1,6}(?:[^\S\n].*)?(?:\n|\Z))",  # 4 heading
    r"(^[ ]{0,3}\|.*(?:\n|\Z))",  # 5 table row
    rf"(^[ \t]*(?:[-*+]|\d{{1,9}}[.)])(?:[^\S\n].*)?(?:\n|\Z){_CONT})",  # 6 list item (nested too)
    rf"(^.*\S.*(?:\n|\Z)(?:(?!{_BLANK}|{_START}|{_SETEXT_UNDERLINE}).+(?:\n|\Z)){{0,{MAX_BLOCK_LINES - 1}}})"
    rf"({_SETEXT_UNDERLINE})?",  # 7 paragraph; 8 its setext underline: then it is a heading
)
# One alternative per block kind (the group number, ``match.lastindex``, is the kind), then the
# blank lines that follow the block.
_BLOCK = re.compile("(?:" + "|".join(_ALTERNATIVES) + r")(?:[^\S\n]*\n)*(?:[^\S\n]+\Z)?", re.MULTILINE)
_LEADING_BLANKS = re.compile(r"(?:[^\S\n]*\n)+|[^\S\n]+\Z")

# ``match.lastindex`` is the last group closed: 8 when a paragraph has a setext underline.
_KIND_BY_GROUP = (
    BlockKind.PARAGRAPH,
    BlockKind.CODE,
    BlockKind.CODE,
    BlockKind.RULE,
    BlockKind.HEADING,
    BlockKind.TABLE_ROW,
    BlockKind.LIST_ITEM,
    BlockKind.PARAGRAPH,
    BlockKind.HEADING,
)


def split_blocks(text: str) -> tuple[Block, ...]:
    """The blocks of ``text`` in order; ``"".join(b.text for b in blocks) == text``."""
    blocks: list[Block] = []
    pos = line = 0
    n = len(text)
    lead = _leading_blanks(text)
    if lead:
        blocks.append(_block(BlockKind.BLANK, text, 0, lead, 0, 0))
        pos, line = lead, text.count("\n", 0, lead)
    append = blocks.append
    kinds = _KIND_BY_GROUP
    twin, block_class = _BlockInit, Block
    index = len(blocks)
    while pos < n:
        # Consecutive matches tile the text; a gap (never seen in practice) restarts step by step.
        for m in _BLOCK.finditer(text, pos):
            end = m.end()
            if m.start() != pos or end == pos:
                break
            kind = kinds[m.lastindex or 7]
            chunk = text[pos:end]
            count = chunk.count("\n")
            b = twin(kind, chunk, pos, end, index, line, count if chunk[-1] == "\n" else count + 1)
            b.__class__ = block_class  # type: ignore[assignment]  # as new_block, without a call per block
            append(b)  # type: ignore[arg-type]
            index += 1
            line += count
            pos = end
        if pos < n:
            kind, end = _next_block(text, pos)
            append(_block(kind, text, pos, end, index, line))
            index += 1
            line += text.count("\n", pos, end)
            pos = end
    return tuple(blocks)


def split_pair(left: str, right: str) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """``(split_blocks(left), split_blocks(right))``, faster for two versions of one text.

    The right side reuses a left block wherever the right text continues with that block's text
    and the line after it: splitting from a block start looks no further than that, so the result
    is the same as splitting the right text on its own. Once a block is found in step, the whole
    stretch the texts share from there is measured at once and its blocks are taken together (a
    PDF text has thousands of one-line blocks). After a block that is not reused, the expected
    left block is found again by its text.
    """
    lblocks = split_blocks(left)
    nl, m, ltext_len = len(lblocks), len(right), len(left)
    by_text: dict[str, list[int]] = defaultdict(list)
    for b in lblocks:
        by_text[b.text].append(b.index)
    rblocks: list[Block] = []
    append = rblocks.append
    twin, block_class = _BlockInit, Block
    pos = line = 0
    left_lead = nl > 0 and lblocks[0].kind is BlockKind.BLANK
    k = 1 if left_lead else 0
    lead = _leading_blanks(right)
    if lead:
        if left_lead and lblocks[0].text == right[:lead]:
            append(lblocks[0])
        else:
            append(_block(BlockKind.BLANK, right, 0, lead, 0, 0))
        pos, line = lead, right.count("\n", 0, lead)
    ends: list[int] | None = None
    while pos < m:
        if k < nl:
            b = lblocks[k]
            nxt = left.find("\n", b.end)
            seen = ltext_len if nxt == -1 else nxt + 1  # the split of b looked at most this far
            if right.startswith(left[b.start : seen], pos) and (
                seen < ltext_len or pos + seen - b.start == m
            ):
                # In step: the longest stretch the texts share from here, measured once; the left
                # blocks inside it, each with the line after it, are the same on the right.
                if ends is None:
                    ends = [lb.end for lb in lblocks]
                b0 = b.start
                limit = seen + _common_from(left, seen, right, pos + seen - b0)
                stop = bisect_right(ends, limit, k + 1)
                while stop > k + 1:
                    nxt = left.find("\n", ends[stop - 1])
                    seen = ltext_len if nxt == -1 else nxt + 1
                    # (a split that met the end of the text needs the right text to end there too)
                    if seen <= limit and (seen < ltext_len or m - pos == ltext_len - b0):
                        break
                    stop -= 1
                shift, di, dline = pos - b0, len(rblocks) - k, line - b.line
                if shift == 0 and di == 0 and dline == 0:
                    rblocks.extend(lblocks[k:stop])
                else:
                    for b in lblocks[k:stop]:
                        nb = twin(
                            b.kind,
                            b.text,
                            b.start + shift,
                            b.end + shift,
                            b.index + di,
                            b.line + dline,
                            b.lines,
                        )
                        nb.__class__ = block_class  # type: ignore[assignment]  # as new_block, without a call per block
                        append(nb)  # type: ignore[arg-type]
                last = lblocks[stop - 1]
                pos = last.end + shift
                line = last.line + dline + last.text.count("\n")
                k = stop
                continue
        kind, end = _next_block(right, pos)
        chunk = right[pos:end]
        count = chunk.count("\n")
        append(
            new_block(kind, chunk, pos, end, len(rblocks), line, count if chunk[-1] == "\n" else count + 1)
        )
        line += count
        pos = end
        same = by_text.get(chunk)
        if same:  # back in step with the left side: expect the left block after this one next
            after = bisect_left(same, k)
            k = (same[after] if after < len(same) else same[-1]) + 1
        else:  # most likely an edit of the expected left block: expect the one after it next
            k += 1
    return lblocks, tuple(rblocks)


def _block(kind: BlockKind, text: str, start: int, end: int, index: int, line: int) -> Block:
    chunk = text[start:end]
    count = chunk.count("\n")
    return new_block(kind, chunk, start, end, index, line, count if chunk.endswith("\n") else count + 1)


def _leading_blanks(text: str) -> int:
    """Length of the blank lines (or only whitespace) a text starts with."""
    lead = _LEADING_BLANKS.match(text)
    return lead.end() if lead else 0


def _next_block(text: str, pos: int) -> tuple[BlockKind, int]:
    """Kind and end of the block starting at ``pos`` (a block start, not at leading blank lines)."""
    m = _BLOCK.match(text, pos)
    if m is None or m.end() == pos:  # cannot happen for well-formed input; never loop forever
        nl = text.find("\n", pos)
        return BlockKind.PARAGRAPH, len(text) if nl == -1 else nl + 1
    return _KIND_BY_GROUP[m.lastindex or 7], m.end()


def _common_from(a: str, i: int, b: str, j: int) -> int:
    """Length of the common beginning of ``a[i:]`` and ``b[j:]``: growing steps, then halving."""
    limit = min(len(a) - i, len(b) - j)
    lo, step = 0, 1024
    while True:
        hi = min(lo + step, limit)
        if a[i + lo : i + hi] != b[j + lo : j + hi]:
            break
        if hi == limit:
            return limit
        lo, step = hi, step * 4
    while lo + 1 < hi:  # a[i : i + lo] == b[j : j + lo], and they differ before hi
        mid = (lo + hi) // 2
        if a[i + lo : i + mid] == b[j + lo : j + mid]:
            lo = mid
        else:
            hi = mid
    return lo
