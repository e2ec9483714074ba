"""Split extracted policy Markdown into blocks that tile the text exactly.

A block is a heading (ATX ``# ...`` or a setext line underlined with ``===``/``---``), a paragraph
(consecutive non-blank lines), a list item (``- ``, ``* ``, ``+ ``, ``1. `` at any indentation, with its continuation lines),
one table row (``| ... |``), a fenced code block, or a thematic break (``* * *``). Each block keeps the
blank lines that follow it, so joining the blocks' texts gives back the input string character for
character, whatever it is (the splitter never fails: a line it cannot classify is a paragraph).
"""

from __future__ import annotations

import re
from itertools import accumulate

from .model import Block, BlockKind, new_block

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
# A line that can only be a paragraph (no block starts with its first character), followed by a
# blank line or the end: most blocks of a policy; tried first, it spares the other alternatives.
_PLAIN_LINE = r"^[^\s#|`~*\-_+0-9=][^\n]*(?:\n|\Z)(?=[^\S\n]*(?:\n|\Z))"
_TRAILING_BLANKS = r"(?:[^\S\n]*\n)*(?:[^\S\n]+\Z)?"
# One alternative per block kind (the group number, ``match.lastindex``, is the kind; none for a
# plain line), then the blank lines that follow the block. Some alternative matches at the start of
# every non-blank line, so the matches from a block start tile the rest of the text.
_BLOCK = re.compile(
    f"{_PLAIN_LINE}{_TRAILING_BLANKS}|(?:{'|'.join(_ALTERNATIVES)}){_TRAILING_BLANKS}", re.MULTILINE
)
# Blank lines a text starts with, or all of a text that is only whitespace.
_LEADING_BLANKS = re.compile(r"\s+\Z|(?:[^\S\n]*\n)+")

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
    """The blocks of ``text`` in order; ``"".join(b.text for b in blocks) == text``.

    Built column by column (ends, texts, kinds, line numbers) and then constructed with ``map``:
    a policy has thousands of blocks, and a statement per block is what costs here.
    """
    blocks: list[Block] = []
    pos = line = 0
    lead = _LEADING_BLANKS.match(text)
    if lead:
        pos = lead.end()
        line = text.count("\n", 0, pos)
        blocks.append(
            new_block(BlockKind.BLANK, text[:pos], 0, pos, 0, 0, line if text[pos - 1] == "\n" else line + 1)
        )
    matches = list(_BLOCK.finditer(text, pos))
    if not matches:
        return tuple(blocks)
    texts = [m.group() for m in matches]
    if sum(map(len, texts)) != len(text) - pos:  # matches never overlap: equal lengths mean they tile
        raise AssertionError("split_blocks: the block pattern left a gap")  # see _BLOCK
    ends = [m.end() for m in matches]
    kinds = [_KIND_BY_GROUP[m.lastindex or 0] for m in matches]
    counts = [t.count("\n") for t in texts]
    starts_at = list(accumulate(counts, initial=line))
    if texts[-1][-1] != "\n":
        counts[-1] += 1  # the last line has no newline but is a line
    first = len(blocks)
    blocks.extend(
        map(
            new_block,
            kinds,
            texts,
            [pos, *ends[:-1]],
            ends,
            range(first, first + len(texts)),
            starts_at,
            counts,
        )
    )
    return tuple(blocks)
