"""A policy's versions from its captures: consecutive captures whose texts have the same words are
one version (archiver/sametext.py), and the flags that need a version's neighbours are added: a
language change or a transient truncation (extraction.quality), the stated date against the text
(analysis.dateflags), another archive holding another text that day (corroboration).

``Archive.versions`` reads the rows; this module makes versions of them, reading a text only where a
flag needs it (``load_text``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

from .corroboration import mark_disagreements
from .models import Capture, Flag, Version
from .schema import capture_from_row


def build_versions(
    policy_id: int, rows: Sequence[sqlite3.Row], load_text: Callable[[str], str]
) -> list[Version]:
    """The versions of the captures ``rows`` (oldest first, with their extraction's columns)."""
    groups: list[list[sqlite3.Row]] = []
    for row in rows:  # texts that differ only in layout are one version (archiver/sametext.py)
        if groups and groups[-1][-1]["t_key"] == row["t_key"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    versions: list[Version] = []
    previous: Capture | None = None
    for index, group in enumerate(groups):
        first = group[0]
        captures = tuple(capture_from_row(r) for r in group)
        flags = set(json.loads(first["t_flags"])) | set(captures[0].flags)
        versions.append(
            Version(
                policy_id=policy_id,
                text_sha256=first["t_sha"],
                extractor_version=first["t_ver"],
                words=first["t_words"],
                language=first["t_lang"],
                stated_date=first["t_date"],
                captures=captures,
                flags=tuple(sorted(flags)),
                previous_capture=previous,
                index=index,
                layout_only=tuple(r["timestamp"] for r in group if r["t_sha"] != first["t_sha"]),
            )
        )
        previous = captures[-1]
    return with_date_flags(with_sequence_flags(mark_disagreements(versions), load_text), load_text)


def with_date_flags(versions: list[Version], load_text: Callable[[str], str]) -> list[Version]:
    """Add the flags that compare a version's stated date with its text (analysis.dateflags)."""
    from .analysis.dateflags import DatedText, date_flags

    items = [
        DatedText(v.stated_date, v.timestamp, v.words, partial(load_text, v.text_sha256), v.language)
        for v in versions
    ]
    # a capture that looks truncated is no text to compare dates with, nor one to flag
    usable = [v.is_policy_text and Flag.TRUNCATED.value not in v.flags for v in versions]
    bases: list[int | None] = []
    last: int | None = None
    for i, ok in enumerate(usable):
        bases.append(last if ok else None)
        last = i if ok else last
    return [
        replace(v, flags=tuple(sorted(set(v.flags) | set(extra)))) if extra else v
        for v, extra in zip(versions, date_flags(items, bases), strict=True)
    ]


def with_sequence_flags(versions: list[Version], load_text: Callable[[str], str]) -> list[Version]:
    """Add the flags that need a version's neighbours (language change, transient truncation).

    Texts are read only for a version that looks short against both neighbours.
    """
    if len(versions) < 2:
        return versions
    # Imported here: the extraction package loads lxml, not needed to open.
    from .extraction.quality import SequenceItem, sequence_flags

    items = [
        SequenceItem(
            words=v.words,
            language=v.language,
            text_sha256=v.text_sha256,
            load_text=partial(load_text, v.text_sha256),
        )
        for v in versions
    ]
    out = []
    for version, extra in zip(versions, sequence_flags(items), strict=True):
        if extra and not set(extra) <= set(version.flags):
            version = replace(version, flags=tuple(sorted(set(version.flags) | set(extra))))
        out.append(version)
    return out
