"""Where the words that tagged a change with a topic stand in its blocks (no Qt).

The view does not tag: the owner (``ui.answers.AnswersController``) has the topics of each row of the
diff from ``archiver.analysis.topics.tag_diff``, each with the words that matched and which of them
lie inside the highlighted change (``changed_words``). Those words are found again here, in the
changed text only: the whole block of an added or removed row, the highlighted spans of an edited
or moved one; a topic word in unchanged text says nothing about the change. They are found as the
matcher found them: case-insensitively (the matcher reads the text in lower case; it does not fold
diacritics, so neither do we), the words of a term separated by any run of spaces, at word
boundaries (anywhere in the scripts written without spaces).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from archiver.diffing import DiffResult, RowKind

if TYPE_CHECKING:
    from archiver.analysis.topics import TopicMatch

#: (start, end) in the block's text, and the names of the topics the word stands for
Mark = tuple[int, int, tuple[str, ...]]
#: (row index, side: 0 the older block, 1 the newer block)
BlockKey = tuple[int, int]

_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One expression for ``words`` (longest first, so a longer term wins as in the matcher)."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        body = r"\s+".join(re.escape(token) for token in word.split())
        parts.append(body if _UNSPACED.search(word) else rf"(?<!\w){body}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


def word_marks(
    result: DiffResult, tags: Sequence[Sequence[TopicMatch]], topic: str = ""
) -> dict[BlockKey, list[Mark]]:
    """The changed words of each tagged row found in its blocks, by (row, side); only the words of
    ``topic`` (a topic id) when it is given."""
    out: dict[BlockKey, list[Mark]] = {}
    rows = result.rows
    for k, matches in enumerate(tags[: len(rows)]):
        if not matches:
            continue
        names: dict[str, list[str]] = {}
        for match in matches:
            if topic and match.topic != topic:
                continue
            for word in match.changed_words:
                seen = names.setdefault(word, [])
                if match.name not in seen:
                    seen.append(match.name)
        if not names:
            continue
        row = rows[k]
        pattern = _pattern(tuple(sorted(names)))
        whole = row.kind in (RowKind.INSERT, RowKind.DELETE)
        for side, block, spans in ((0, row.left, row.left_spans), (1, row.right, row.right_spans)):
            if block is None or not (whole or spans):
                continue
            found: list[Mark] = []
            for m in pattern.finditer(block.body):
                start, end = m.span()
                if not whole and not any(s.start < end and start < s.end for s in spans):
                    continue
                topics = names.get(" ".join(m.group().lower().split()))
                if topics:
                    found.append((start, end, tuple(topics)))
            if found:
                out[(k, side)] = found
    return out


def has_changed_words(tags: Sequence[Sequence[TopicMatch]]) -> bool:
    """Whether any row has a topic word inside its change (something to mark)."""
    return any(match.changed_words for matches in tags for match in matches)
