"""What a history search keeps between runs, in the archive's job table.

Per policy and archive: the last listing (every row ever listed, so a later run with a narrower
date range or a grown listing adds to it), and which stored capture each probed row turned out to
be (a row may be served as its nearest capture, or through a redirect, under another time or URL).
Together with the stored captures and their texts, that is the whole state of a search: an
interrupted run resumes from it, and version windows (:mod:`archiver.history.windows`) are read
from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..client.rows import ListedCapture
from ..models import NOT_POLICY_TEXT, Capture, Extraction, Flag, Policy
from ..sametext import text_key
from ..storage import Archive

if TYPE_CHECKING:
    from ..extraction.quality import SequenceItem

#: Flags saying a capture carries neither the old text nor the new one: a search steps over it.
NO_TEXT_FLAGS = NOT_POLICY_TEXT | {
    Flag.CROSS_DOMAIN_REDIRECT.value,
    Flag.TRUNCATED.value,
    "archived-redirect",
}


def _listing_key(prefix: str, policy: Policy) -> str:
    return f"history listing {prefix} {policy.key}"


def _links_key(prefix: str, policy: Policy) -> str:
    return f"history probes {prefix} {policy.key}"


def listed_without_text(row: ListedCapture) -> bool:
    """The listing itself says so: a non-200 row (redirect, error). Revisits carry no status."""
    return row.status is not None and row.status != 200


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


def load_links(arc: Archive, policy: Policy, prefix: str) -> dict[str, int]:
    state = arc.job_get(_links_key(prefix, policy)) or {}
    return {str(k): int(v) for k, v in state.get("links", {}).items()}


def save_links(arc: Archive, policy: Policy, prefix: str, links: dict[str, int]) -> None:
    arc.job_put(_links_key(prefix, policy), {"links": links})


def stored_rows(
    arc: Archive, policy: Policy, prefix: str, rows: list[ListedCapture], links: dict[str, int]
) -> dict[int, Capture]:
    """Row index -> the stored capture holding its bytes: linked by a search, or stored under the
    row's own time and URL (an every-capture fetch; an archived redirect kept as evidence aside)."""
    by_id: dict[int, Capture] = {}
    by_key: dict[str, Capture] = {}
    for c in arc.captures(policy.id):
        by_id[c.id] = c
        if c.archive == prefix and "archived-redirect" not in c.flags:
            by_key.setdefault(f"{c.timestamp} {c.original_url}", c)
    found: dict[int, Capture] = {}
    for i, r in enumerate(rows):
        linked = links.get(r.key)
        capture = by_id.get(linked) if linked is not None else by_key.get(r.key)
        if capture is not None:
            found[i] = capture
    return found


class TextKeys:
    """The text key of a stored capture (None: it holds no policy text), texts read once each; and
    what :func:`archiver.extraction.quality.sequence_flags` needs to tell a truncated capture."""

    def __init__(self, arc: Archive) -> None:
        self._arc = arc
        self._by_text: dict[str, str] = {}
        self._extractions: dict[int, Extraction] = {}  # capture id -> its extraction, once read

    def sequence_item(self, capture_id: int) -> SequenceItem:
        """Words, language and text of a capture that :meth:`of` found text in."""
        from ..extraction.quality import SequenceItem  # here: extraction loads lxml

        e = self._extractions[capture_id]
        return SequenceItem(
            e.words, e.language, e.text_sha256, load_text=partial(self._arc.text, e.text_sha256)
        )

    def of(self, capture: Capture) -> str | None:
        extraction: Extraction | None = self._arc.extraction(capture.id)
        if extraction is None or NO_TEXT_FLAGS.intersection((*capture.flags, *extraction.flags)):
            return None
        self._extractions[capture.id] = extraction
        key = self._by_text.get(extraction.text_sha256)
        if key is None:
            key = self._by_text[extraction.text_sha256] = text_key(self._arc.text(extraction.text_sha256))
        return key
