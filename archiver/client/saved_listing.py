"""The listing a fetch keeps between runs, per policy and archive, in the archive's job table: every
row ever listed (so a later run with a narrower date range or a grown listing adds to it) and the
time spans the listings covered. The fetch job writes it; change-point discovery and version windows
(:mod:`archiver.history`) read it. It lives with the client so that the client never imports the
history package that builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import Policy
from ..storage import Archive
from .rows import ListedCapture


def _listing_key(prefix: str, policy: Policy) -> str:
    return f"history listing {prefix} {policy.key}"


def save_listing(
    arc: Archive,
    policy: Policy,
    prefix: str,
    rows: Iterable[ListedCapture],
    span: tuple[str | None, str | None] = (None, None),
) -> None:
    """Add ``rows``, listed for the time ``span`` (the query's from/to; None: open), to the saved
    listing: one row per time and URL, oldest first, with the spans the listings covered."""
    state = arc.job_get(_listing_key(prefix, policy)) or {}
    merged = {r.key: r for r in _rows(state)}
    for r in rows:
        merged.setdefault(r.key, r)
    ordered = sorted(merged.values(), key=lambda r: (r.timestamp, r.original))
    spans = _merge([*_spans(state), (span[0] or FIRST, span[1] or LAST)])
    arc.job_put(
        _listing_key(prefix, policy),
        {
            "rows": [[r.timestamp, r.original, r.mimetype, r.status, r.digest] for r in ordered],
            "spans": [list(s) for s in spans],
        },
    )


FIRST, LAST = "0" * 14, "9" * 14


def load_listing(
    arc: Archive, policy: Policy, prefix: str
) -> tuple[list[ListedCapture], list[tuple[str, str]]]:
    """The saved rows, and the time spans (inclusive) that listings covered, merged."""
    state = arc.job_get(_listing_key(prefix, policy)) or {}
    return _rows(state), _spans(state)


def _rows(state: dict[str, Any]) -> list[ListedCapture]:
    out = []
    for r in state.get("rows", []):
        if isinstance(r, list) and len(r) == 5:
            out.append(ListedCapture(str(r[0]), str(r[1]), r[2], r[3], r[4]))
    return out


def _spans(state: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(s[0]), str(s[1])) for s in state.get("spans", []) if isinstance(s, list) and len(s) == 2]


def _merge(spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def covered(spans: list[tuple[str, str]], start: str, end: str) -> bool:
    """Whether one listed span holds the whole of ``start``..``end``."""
    return any(lo <= start and end <= hi for lo, hi in spans)
