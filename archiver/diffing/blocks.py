"""Split extracted policy Markdown into blocks that tile the text exactly.

A block is a heading (ATX ``# ...`` or a setext line underlined with ``===``/``---``), a paragraph
(consecutive non-blank lines), a list item (``- ``, ``* ``, ``+ ``, ``1. `` with its continuation lines),
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
    r"[ ]{0,3}(?:\#{1,6}(?:[^\S\n]|$)|\||```|~~~|(?:[-*+]|\d{1,9}[.)])(?:[^\S\n]|$)"
    r"|(?:(?:\*[^\S\n]*){3,}|(?:-[^\S\n]*){3,}|(?:_[^\S\n]*){3,})$)"
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
    rf"(^[ ]{{0,3}}(?:[-*+]|\d{{1,9}}[.)])(?:[^\S\n].*)?(?:\n|\Z){_CONT})",  # 6 list item
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
    pos = 0
    line = 0
    n = len(text)
    match_block = _BLOCK.match
    append = blocks.append
    if n:
        lead = _LEADING_BLANKS.match(text)
        if lead:
            pos = lead.end()
            chunk = text[:pos]
            count = chunk.count("\n")
            lines = count if chunk.endswith("\n") else count + 1
            append(Block(BlockKind.BLANK, chunk, 0, pos, 0, 0, lines))
            line = count
    while pos < n:
        m = match_block(text, pos)
        if m is None or m.end() == pos:  # cannot happen for well-formed input; never loop forever
            m = _ANY_LINE.match(text, pos)
            assert m is not None
            kind = BlockKind.PARAGRAPH
            end = m.end() if m.end() > pos else n
        else:
            end = m.end()
            kind = _KINDS[m.lastindex or 7]
            if kind is BlockKind.PARAGRAPH and _SETEXT_END.search(m.group(7)):
                kind = BlockKind.HEADING
        chunk = text[pos:end]
        count = chunk.count("\n")
        lines = count if chunk.endswith("\n") else count + 1
        append(Block(kind, chunk, pos, end, len(blocks), line, lines))
        line += count
        pos = end
    return tuple(blocks)
