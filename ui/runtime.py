"""Process-wide tuning of the running app."""

from __future__ import annotations


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
