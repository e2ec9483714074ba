"""Corroboration across web archives: where two archives hold captures of the same day whose texts
differ, each of those versions says so (``Flag.ARCHIVES_DISAGREE``).

A reader of a merged history (the Wayback Machine and a national library's pywb, say) otherwise
sees one archive's capture followed by the other's and takes the difference for a change of the
policy, when it may be a difference between the archives (a crawler served another language, a
region, or a page mid-deployment). Same *UTC day* is the unit: archives rarely capture in the same
minute, and a policy rarely changes twice in a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .models import Flag, Version


def mark_disagreements(versions: Sequence[Version]) -> list[Version]:
    """``versions`` with ``archives-disagree`` added where another archive's capture of the same
    day carries another text. Files, live captures and versions with no policy text do not count."""
    texts_by_day: dict[str, dict[str, set[str]]] = {}  # day -> archive -> text sha256s
    for v in versions:
        if not v.is_policy_text:
            continue
        for c in v.captures:
            if c.archive:
                texts_by_day.setdefault(c.timestamp[:8], {}).setdefault(c.archive, set()).add(v.text_sha256)
    out = []
    for v in versions:
        disagree = v.is_policy_text and any(
            sha != v.text_sha256
            for c in v.captures
            if c.archive
            for archive, shas in texts_by_day.get(c.timestamp[:8], {}).items()
            if archive != c.archive
            for sha in shas
        )
        if disagree and Flag.ARCHIVES_DISAGREE not in v.flags:
            v = replace(v, flags=tuple(sorted({*v.flags, Flag.ARCHIVES_DISAGREE.value})))
        out.append(v)
    return out
