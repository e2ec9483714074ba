"""Version windows: when each change happened, as closely as the captures tell.

A version's window runs from the last capture with the previous text to the first capture with
this one. It is *exact* when the two are adjacent in the archive's listing (every capture listed
between them holds no policy text: an error, a redirect), and *open* while listed captures between
them are not downloaded yet (a search that stopped early, a failed download): narrowing it
(``policydiff bisect``, the app's "Narrow this window") downloads only inside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Capture, Policy, Version
from ..storage import Archive
from .state import covered, listed_without_text, load_links, load_listing, stored_rows


@dataclass(frozen=True, slots=True)
class VersionWindow:
    previous: Capture | None  # last capture with the previous text (None: the first version)
    first: Capture  # first capture with this text
    exact: bool | None  # None: no listing tells (the first version, imports, captures of two archives)
    unknown: int = 0  # captures listed between the two, not downloaded yet
    listed: bool = True  # False: no listing covered the whole window (a fetch of a narrower range)

    @property
    def is_open(self) -> bool:
        return self.exact is False


def version_windows(arc: Archive, policy: Policy, versions: Sequence[Version]) -> list[VersionWindow]:
    """The window of each of ``versions`` (as :meth:`Archive.versions` gives them)."""
    place: dict[int, tuple[str, int]] = {}  # capture id -> (archive, row index in its listing)
    between: dict[str, list[int]] = {}  # archive -> running count of rows that may still hold text
    spans: dict[str, list[tuple[str, str]]] = {}
    for prefix in sorted({c.archive for v in versions for c in v.captures if c.archive}):
        rows, spans[prefix] = load_listing(arc, policy, prefix)
        if not rows:
            continue
        stored = stored_rows(arc, policy, prefix, rows, load_links(arc, policy, prefix))
        counts = [0]
        for i, row in enumerate(rows):
            undecided = i not in stored and not listed_without_text(row)
            counts.append(counts[-1] + undecided)
            if i in stored:
                place.setdefault(stored[i].id, (prefix, i))
        between[prefix] = counts
    out = []
    for v in versions:
        prev = v.previous_capture
        exact: bool | None = None
        unknown = 0
        listed = True
        if prev is not None and prev.id in place and v.first.id in place:
            (pa, i), (fa, j) = place[prev.id], place[v.first.id]
            if pa == fa and i < j:
                unknown = between[pa][j] - between[pa][i + 1]
                listed = covered(spans[pa], prev.timestamp, v.first.timestamp)
                exact = listed and unknown == 0
        out.append(VersionWindow(prev, v.first, exact, unknown, listed))
    return out
