"""Bounded caches of the window: least recently used entries go first once a byte budget is spent.

Browsing a large archive reads thousands of texts and computes thousands of diffs: every cache the
window keeps has a budget, so memory stays flat however long a person browses. Jobs read and fill the
text cache from worker threads, hence the lock.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

TEXT_BUDGET = 8 * 1024 * 1024  # bytes of text: ~150 policy versions of 50 KB
DIFF_BUDGET = 16 * 1024 * 1024  # estimated bytes of diff results: ~40 comparisons of 50 KB policies


class LRUCache(Generic[K, V]):
    """A mapping with a budget: ``size(value)`` of all entries stays within ``budget`` (one entry
    larger than the whole budget is still kept, alone, so the last thing asked for is always there)."""

    def __init__(self, budget: int, size: Callable[[V], int]) -> None:
        self.budget = budget
        self._size = size
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.used = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def __setitem__(self, key: K, value: V) -> None:
        size = self._size(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.used -= old[1]
            self._entries[key] = (value, size)
            self.used += size
            while self.used > self.budget and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.used -= dropped

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.used = 0


def text_size(text: str) -> int:
    return sys.getsizeof(text)


class TextCache(LRUCache[str, str]):
    """Texts by sha256, shared by the diff and change-size jobs."""

    def __init__(self, budget: int = TEXT_BUDGET) -> None:
        super().__init__(budget, text_size)
