"""Where to look next to pin every text change between two adjacent captures: pure logic, no I/O.

The rows of a listing are numbered 0..n-1, oldest first. Each row is unknown until it is probed;
a probe gives its text key, or None when the capture holds no policy text (an archived error page,
a redirect, a JavaScript shell, a wall): such a row is neither old nor new text and is stepped over.
Rows the listing itself marks as holding no text (non-200) are never probed.

Strategy: probe a sample (the first and last rows that may hold text, and one row per ``spacing``
of time; a sampled row without text hands over to the next row), then, for every two consecutive known texts that differ, probe the middle of the unknown
rows between them, until none is left: the change is then bracketed by two captures adjacent in
the listing but for rows without text. A gap whose two ends carry the same text is not searched,
so a change that is reverted inside it is missed (a denser sample, or every capture, finds it).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..timestamps import to_datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A text change between rows ``before`` (last with the old text) and ``after`` (first with the
    new one). ``exact``: nothing that may hold text lies between them; else ``unknown`` rows (not yet
    probed) and ``failed`` rows (their download failed in this run) still do."""

    before: int
    after: int
    unknown: int = 0
    failed: int = 0

    @property
    def exact(self) -> bool:
        return not self.unknown and not self.failed


def sample_rows(times: Sequence[str], candidates: Iterable[int], spacing: timedelta | None) -> list[int]:
    """The rows to probe first: the first and last candidate, and the first candidate at or after
    each multiple of ``spacing`` from the first one's time (None: the two ends only)."""
    rows = sorted(set(candidates))
    if not rows:
        return []
    picked = {rows[0], rows[-1]}
    if spacing is not None and spacing.total_seconds() > 0:
        start = to_datetime(times[rows[0]])
        step = spacing.total_seconds()
        mark = 1
        for i in rows:
            offset = (to_datetime(times[i]) - start).total_seconds()
            if offset >= mark * step:
                picked.add(i)
                mark = math.floor(offset / step) + 1
    return sorted(picked)


class Bisection:
    """The state of one search: which rows are known, and which to probe next.

    ``no_text``: rows the listing already says hold no text. ``known``: rows probed in an earlier
    run (key, or None for no text). ``samples``: the rows to probe before any bisection.
    """

    def __init__(
        self,
        size: int,
        *,
        no_text: Iterable[int] = (),
        known: dict[int, str | None] | None = None,
        samples: Iterable[int] = (),
    ) -> None:
        self.size = size
        self.keys: dict[int, str | None] = {}
        self._texts: list[int] = []  # rows with a known text, sorted
        self._failed: list[int] = []  # rows whose probe failed in this run, sorted
        skip = set(no_text)
        self._unknown: list[int] = [i for i in range(size) if i not in skip]  # may hold text, not probed
        for i, key in (known or {}).items():
            self.record(i, key)
        self._samples = [i for i in sorted(set(samples)) if i not in self.keys]

    # --- updates ---------------------------------------------------------------------------------

    def record(self, row: int, key: str | None) -> None:
        """The probe of ``row`` found text ``key`` (None: no policy text; also to take back a text
        found to be a truncated capture once its neighbours were known)."""
        self._discard(row)
        at = bisect_left(self._texts, row)
        if at < len(self._texts) and self._texts[at] == row:
            del self._texts[at]
        self.keys[row] = key
        if key is not None:
            insort(self._texts, row)

    def fail(self, row: int) -> None:
        """The probe of ``row`` failed: leave it for a later run, and search around it."""
        self._discard(row)
        insort(self._failed, row)

    def _discard(self, row: int) -> None:
        for rows in (self._unknown, self._failed):
            at = bisect_left(rows, row)
            if at < len(rows) and rows[at] == row:
                del rows[at]

    # --- queries ---------------------------------------------------------------------------------

    def next_probe(self) -> int | None:
        """The row to probe next, or None when every change is bracketed as closely as it can be."""
        while self._samples:
            row = self._samples[0]
            if self._is_unknown(row):
                return row
            self._samples.pop(0)
            if self.keys.get(row, "") is None or self._is_failed(row):
                # a sample without text: the next row that may hold text stands in for it
                at = bisect_right(self._unknown, row)
                if at < len(self._unknown) and (not self._samples or self._unknown[at] < self._samples[0]):
                    self._samples.insert(0, self._unknown[at])
        if not self._unknown:
            return None
        if not self._texts:  # nothing known yet: step in from the first row
            return self._unknown[0]
        if self._unknown[0] < self._texts[0]:  # before the first text: is there an earlier one?
            return self._unknown[0]
        if self._unknown[-1] > self._texts[-1]:  # after the last text
            return self._unknown[-1]
        for before, after in zip(self._texts, self._texts[1:], strict=False):
            if self.keys[before] != self.keys[after]:
                lo = bisect_right(self._unknown, before)
                hi = bisect_left(self._unknown, after)
                if lo < hi:
                    return self._unknown[(lo + hi - 1) // 2]
        return None

    def around(self, row: int) -> tuple[int | None, int | None]:
        """The nearest rows with a known text before and after ``row``."""
        lo = bisect_left(self._texts, row)
        hi = bisect_right(self._texts, row)
        return (self._texts[lo - 1] if lo else None, self._texts[hi] if hi < len(self._texts) else None)

    def _is_unknown(self, row: int) -> bool:
        at = bisect_left(self._unknown, row)
        return at < len(self._unknown) and self._unknown[at] == row

    def _is_failed(self, row: int) -> bool:
        at = bisect_left(self._failed, row)
        return at < len(self._failed) and self._failed[at] == row

    def changes(self) -> list[Change]:
        """Every change found so far, oldest first, each with what still lies inside its window."""
        found = []
        for before, after in zip(self._texts, self._texts[1:], strict=False):
            if self.keys[before] != self.keys[after]:
                found.append(
                    Change(
                        before,
                        after,
                        bisect_left(self._unknown, after) - bisect_right(self._unknown, before),
                        bisect_left(self._failed, after) - bisect_right(self._failed, before),
                    )
                )
        return found

    def remaining(self) -> int:
        """About how many probes are left: the samples, then a binary search in each open window."""
        left = sum(1 for row in self._samples if self._is_unknown(row))
        left += sum(math.ceil(math.log2(c.unknown + 1)) for c in self.changes() if c.unknown)
        if self._texts and self._unknown and self._unknown[0] < self._texts[0]:
            left += 1
        if self._texts and self._unknown and self._unknown[-1] > self._texts[-1]:
            left += 1
        return left

    @property
    def probed(self) -> int:
        return len(self.keys)
