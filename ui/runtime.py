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


M_ARENA_MAX = -8  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 * 1024  # bytes: a policy's text, a diff's row table


def tune_malloc() -> None:
    """Fix glibc's allocator for a long session, before the worker threads start (glibc only).

    Texts and diffs (50-500 KB each) are made on worker threads and freed on the GUI thread. glibc
    raises its mmap threshold each time such a block is freed, after which they come from the heap and
    leave it fragmented; and every thread gets arenas of its own. A fixed threshold keeps large
    blocks in mmap (returned to the system when freed) and two arenas keep the heap compact.
    """
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        mallopt(M_ARENA_MAX, 2)


def _malloc_trim() -> Callable[[int], int] | None:
    return _libc_function("malloc_trim")


@functools.cache
def _libc_function(name: str) -> Callable[..., int] | None:
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:  # the process's own symbols (libc among them): no library search, no ldconfig
        function: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # not glibc (musl has neither)
        return None
    return function


TRIM_INTERVAL_MS = 60_000  # how often the window hands freed memory back (release_freed_memory)
