"""Flags that compare what a policy says about its date with what its text did.

Per version, against the version it is compared with by default (``models.baseline``):

- ``silent-change``: the text changed, the stated date did not;
- ``date-only-change``: the stated date moved, nothing else in the text did;
- ``date-backwards``: the stated date is earlier than the previous version's;
- ``effective-in-future``: the stated date is after the version's first capture.

The names are part of the command-line contract (``versions --json``). A version with no stated
date, or compared with one that has none, gets none of the first three: nothing can be said.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

SILENT_CHANGE = "silent-change"
DATE_ONLY_CHANGE = "date-only-change"
DATE_BACKWARDS = "date-backwards"
EFFECTIVE_IN_FUTURE = "effective-in-future"
DATE_FLAGS = (SILENT_CHANGE, DATE_ONLY_CHANGE, DATE_BACKWARDS, EFFECTIVE_IN_FUTURE)

#: Two versions whose word counts differ more than this cannot differ in their date lines alone.
_DATE_LINE_WORDS = 12


@dataclass(frozen=True, slots=True)
class DatedText:
    """What the flags need of one version; the text is read only when needed."""

    stated_date: str  # ISO yyyy-mm-dd, or ""
    timestamp: str  # 14-digit time of the version's first capture
    words: int
    load_text: Callable[[], str]
    language: str = ""


def _captured_on(timestamp: str) -> str:
    return f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"


def _only_dates_differ(before: DatedText, after: DatedText) -> bool:
    if abs(before.words - after.words) > _DATE_LINE_WORDS:
        return False
    # imported here: the extraction package loads lxml (the app starts without)
    from ..extraction.dates import parse_stated_date, without_date_lines

    left, right = (
        without_date_lines(t, parse_stated_date(t, v.language))
        for v in (before, after)
        for t in [v.load_text()]
    )
    return left == right


def date_flags(items: Sequence[DatedText], baselines: Sequence[int | None]) -> list[tuple[str, ...]]:
    """The date flags of each item; ``baselines[i]`` is the index ``items[i]`` is compared with."""
    out: list[tuple[str, ...]] = []
    for item, base in zip(items, baselines, strict=True):
        flags: list[str] = []
        stated = item.stated_date
        if base is not None and stated and items[base].stated_date:
            before = items[base]
            if stated == before.stated_date:
                flags.append(SILENT_CHANGE)
            elif _only_dates_differ(before, item):
                flags.append(DATE_ONLY_CHANGE)
            if stated < before.stated_date:
                flags.append(DATE_BACKWARDS)
        if stated and len(item.timestamp) >= 8 and stated > _captured_on(item.timestamp):
            flags.append(EFFECTIVE_IN_FUTURE)
        out.append(tuple(flags))
    return out
