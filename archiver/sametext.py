"""When two policy texts count as the same: the same words in the same order.

Whitespace does not count (a paragraph break or a non-breaking space moved is no change), so
change-point discovery and versions agree on what a change is. One helper, shared by every caller
that asks "did the text change?".
"""

from __future__ import annotations

import hashlib


def words(text: str) -> list[str]:
    """The text's words: runs of non-whitespace (``str.split`` also splits on no-break spaces)."""
    return text.split()


def text_key(text: str) -> str:
    """A short key equal for two texts exactly when :func:`same_text` holds."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()


def same_text(a: str, b: str) -> bool:
    """Whether two texts carry the same words in the same order, whatever the whitespace between."""
    return words(a) == words(b)
