"""Process-wide tuning of the running app."""

from __future__ import annotations

import functools
from collections.abc import Callable


def settle_gc() -> None:
    """Keep Python's cyclic garbage collector from stalling the event loop.

    A full (oldest-generation) collection walks every tracked object and holds the GIL while it does,
    whichever thread triggers it: with diff results and parsed pages around, that is 40-150 ms with the
    GUI frozen. Objects alive once the window is up (modules, classes, Qt wrappers) are moved out of the
    collector's reach (``gc.freeze``), and young collections run less often, so the oldest generation
    stays small and is rarely walked.
    """
    import gc

    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


GC_THRESHOLD = 20_000  # allocations between young collections (CPython's default is 700)


def release_freed_memory() -> None:
    """Hand memory Python freed back to the system (glibc only; elsewhere nothing to do).

    Texts and diffs are made on worker threads and freed on the GUI thread when a cache drops them;
    glibc keeps such freed blocks in its per-thread arenas, so the process's resident memory crept up
    long after the caches were full. ``malloc_trim`` returns the free pages of every arena.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")  # (runs ldconfig once: cached)
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


TRIM_INTERVAL_MS = 60_000
