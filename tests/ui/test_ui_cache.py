"""ui.cache: the window's caches stay within their byte budgets, least recently used first out."""

from __future__ import annotations

from ui.cache import LRUCache, TextCache


def test_entries_beyond_the_budget_go_least_recently_used_first() -> None:
    cache: LRUCache[str, bytes] = LRUCache(budget=30, size=len)
    cache["a"] = b"x" * 10
    cache["b"] = b"x" * 10
    cache["c"] = b"x" * 10
    assert cache.get("a") is not None  # a is now the most recently used
    cache["d"] = b"x" * 10  # 40 > 30: b goes
    assert "b" not in cache and {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.used == 30 and len(cache) == 3
    cache["c"] = b"x" * 5  # replacing an entry counts its new size only
    assert cache.used == 25


def test_one_entry_larger_than_the_budget_is_kept_alone() -> None:
    cache: LRUCache[str, bytes] = LRUCache(budget=10, size=len)
    cache["small"] = b"x" * 4
    cache["huge"] = b"x" * 50
    assert len(cache) == 1 and cache.get("huge") is not None and cache.get("small") is None
    cache.clear()
    assert len(cache) == 0 and cache.used == 0


def test_the_text_cache_counts_the_memory_of_its_texts() -> None:
    texts = TextCache(budget=1_000_000)
    for i in range(50):
        texts[f"sha{i}"] = f"{i:05d}" + "€" * 50_000  # beyond Latin-1: two bytes a character
    assert texts.used <= 1_000_000 and 5 <= len(texts) <= 10
