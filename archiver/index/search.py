"""Search every version of every policy: which versions say it, since when, until when.

A query is FTS5 syntax over single paragraphs, folded for case and diacritics: words (all must be in
one paragraph), ``"a phrase"``, ``prefix*``, ``OR``, ``NOT``, ``NEAR(a b, 5)``. For each policy with
a match the answer gives the versions whose text holds a matching paragraph, when it *first
appeared* (the first capture with it, and the last capture without it before: the window in which
it was added) and when it was *last seen* (the last capture with it, and the first capture without
it after: the window in which it was removed; none while the latest version still says it).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

from ..errors import UsageError
from ..models import Policy
from ..storage import Archive
from . import fts


class SearchQueryError(UsageError):
    """The query is not valid FTS5 syntax (or is empty)."""

    def __init__(self, query: str, reason: str) -> None:
        self.query = query
        self.reason = reason
        super().__init__(
            f"cannot search for {query!r}: {reason}. Words match anywhere in a paragraph; write "
            '"a phrase" in double quotes (also for words with punctuation, e.g. "opt-out"), '
            "prefix* for word starts, and OR, NOT, NEAR(a b, 5) in capitals"
        )


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """A version whose text holds a matching paragraph (of several, the one indexed first)."""

    timestamp: str  # the version's first capture
    last_timestamp: str  # its last capture
    text_sha256: str
    block: int  # index of a matching paragraph among the text's blocks (archiver.diffing)
    paragraph: str


@dataclass(frozen=True, slots=True)
class PolicyMatch:
    """One policy's answer. Timestamps are capture timestamps (14 digits)."""

    policy_id: int
    url: str
    label: str
    versions: tuple[VersionMatch, ...]  # oldest first; never empty
    total_versions: int  # versions of the policy in all
    first_appeared: str  # first capture whose text matches
    absent_before: str | None  # the last capture before it without a match (None: from the start)
    last_seen: str  # last capture whose text matches
    absent_after: str | None  # the first capture after it without a match (None: still there)

    @property
    def paragraph(self) -> str:
        """The matching paragraph as the latest matching version says it."""
        return self.versions[-1].paragraph


def update_index(archive: Archive, check: bool = False) -> Iterator[tuple[int, int]]:
    """Index the texts the index does not hold yet (an archive made before it, a catch-up cut
    short), :data:`.fts.BATCH_TEXTS` per transaction; yields (done, total) after each batch.
    With ``check``, FTS5's integrity check runs first and a damaged index is rebuilt whole."""
    if check:
        with archive.transaction() as conn:  # FTS5 checks through an INSERT
            healthy = fts.healthy(conn)
        if not healthy:
            with archive.transaction() as conn:
                fts.clear(conn)
    todo = [str(r[0]) for r in archive.query(fts.MISSING_SQL)]
    for start in range(0, len(todo), fts.BATCH_TEXTS):
        batch = [(sha, archive.text(sha)) for sha in todo[start : start + fts.BATCH_TEXTS]]
        with archive.transaction() as conn:
            for sha, text in batch:
                fts.index_text(conn, sha, text)
        yield min(start + fts.BATCH_TEXTS, len(todo)), len(todo)


_POSTINGS_SQL = (
    "SELECT id, postings FROM search_paragraphs"
    " WHERE id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :query) ORDER BY id"
)
# The texts with a hit (a JSON array of text ids) -> the policies using them -> every capture of
# those policies in time order, with its text's id. CROSS JOIN keeps SQLite from scanning all
# captures: the hits are few.
_CAPTURES_SQL = """
WITH pols AS (
    SELECT DISTINCT c.policy_id AS id
    FROM json_each(:texts) j CROSS JOIN search_texts t ON t.id = j.value
    CROSS JOIN extractions e ON e.text_sha256 = t.text_sha256 CROSS JOIN captures c ON c.id = e.capture_id
    WHERE :policy IS NULL OR c.policy_id = :policy
)
SELECT c.policy_id, c.timestamp, e.text_sha256, t.id, COALESCE(w.words_sha256, e.text_sha256)
FROM pols CROSS JOIN captures c ON c.policy_id = pols.id CROSS JOIN extractions e ON e.capture_id = c.id
LEFT JOIN search_texts t ON t.text_sha256 = e.text_sha256
LEFT JOIN text_words w ON w.text_sha256 = e.text_sha256
ORDER BY c.policy_id, c.timestamp, c.id
"""


def _hits(archive: Archive, query: str) -> dict[int, tuple[int, int]]:
    """Text id -> (block, paragraph id) of a matching paragraph for every text holding one: of
    several, the paragraph indexed first (the oldest wording), at its first block in that text."""
    try:
        rows = archive.query(_POSTINGS_SQL, {"query": query}, user_syntax=True)
    except sqlite3.OperationalError as exc:
        raise SearchQueryError(query, _reason(str(exc))) from None
    if not rows:
        return {}
    ids, blobs = zip(*rows, strict=True)  # by paragraph id
    pairs = fts.unpack(b"".join(blobs))  # one entry per (paragraph, text): text id, block
    texts, blocks = pairs[0::2], pairs[1::2]
    pids = array("q", chain.from_iterable(map(repeat, ids, [len(b) >> 3 for b in blobs])))
    # built backwards, so the first pair of each text is the one kept (in C: a common word matches
    # tens of thousands of pairs)
    first = dict(zip(reversed(texts), range(len(texts) - 1, -1, -1), strict=True))
    return {text: (blocks[k], pids[k]) for text, k in first.items()}


def search(archive: Archive, query: str, policy: Policy | None = None) -> list[PolicyMatch]:
    """The policies whose versions hold a paragraph matching ``query``, earliest first appearance first."""
    if not query.strip():
        raise SearchQueryError(query, "the query is empty")
    hits = _hits(archive, query)
    if not hits:
        return []
    params = {"texts": json.dumps(list(hits)), "policy": policy.id if policy else None}
    # per policy: versions as [first ts, last ts, text sha256, block, paragraph id, words key];
    # consecutive captures with the same words are one version, as Archive.versions groups them
    # (texts differing only in layout: the first with a match gives the version's paragraph)
    per_policy: dict[int, list[list[Any]]] = {}
    for policy_id, timestamp, sha, text_id, key in archive.query(_CAPTURES_SQL, params):
        versions = per_policy.setdefault(policy_id, [])
        hit = hits.get(text_id)
        if versions and versions[-1][5] == key:
            versions[-1][1] = timestamp
            if versions[-1][4] is None and hit is not None:
                versions[-1][3:5] = hit
        else:
            versions.append([timestamp, timestamp, sha, *(hit or (None, None)), key])
    bodies = _bodies(archive, {int(v[4]) for vs in per_policy.values() for v in vs if v[4] is not None})
    names = _names(archive, set(per_policy))
    out = []
    for policy_id, versions in per_policy.items():
        matched = [k for k, v in enumerate(versions) if v[4] is not None]
        if not matched:
            continue
        first, last = matched[0], matched[-1]
        out.append(
            PolicyMatch(
                policy_id=policy_id,
                url=names[policy_id][0],
                label=names[policy_id][1],
                versions=tuple(
                    VersionMatch(v[0], v[1], v[2], v[3], bodies[v[4]]) for v in (versions[k] for k in matched)
                ),
                total_versions=len(versions),
                first_appeared=str(versions[first][0]),
                absent_before=str(versions[first - 1][1]) if first > 0 else None,
                last_seen=str(versions[last][1]),
                absent_after=str(versions[last + 1][0]) if last + 1 < len(versions) else None,
            )
        )
    out.sort(key=lambda m: (m.first_appeared, m.url))
    return out


def _bodies(archive: Archive, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = archive.query(f"SELECT rowid, body FROM search_fts WHERE rowid IN ({marks})", sorted(ids))  # noqa: S608
    return {int(r[0]): str(r[1]) for r in rows}


def snippet(text: str, query: str, limit: int) -> str:
    """The paragraph on one line, cut to ``limit`` characters around the first query word in it."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    folded = _fold(flat)
    words = [w for w in re.findall(r"\w+", _fold(query)) if w not in ("and", "or", "not", "near")]
    found = [i for i in (folded.find(w) for w in words) if i >= 0]
    start = max(0, min(found) - limit // 4) if found else 0
    start = min(start, len(flat) - limit + 1)
    piece = flat[start : start + limit - 1]
    return ("…" if start else "") + piece + ("…" if start + len(piece) < len(flat) else "")


def _fold(text: str) -> str:
    """Lower case without accents, one character for each (so positions carry over)."""
    return "".join((unicodedata.normalize("NFKD", ch)[:1] or ch).lower()[:1] or ch for ch in text)


def _names(archive: Archive, ids: set[int]) -> dict[int, tuple[str, str]]:
    """URL and label of each policy (not ``Archive.policies``: its counts cost a query per policy)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = archive.query(f"SELECT id, url, label FROM policies WHERE id IN ({marks})", sorted(ids))  # noqa: S608
    return {int(r[0]): (str(r[1]), str(r[2])) for r in rows}


def _reason(message: str) -> str:
    """SQLite's words for a bad query, made readable ("no such column: out" is a bare '-')."""
    if message.startswith("no such column"):
        return f"'{message.rsplit(':', 1)[-1].strip()}' follows a character FTS5 reads as an operator"
    return message.removeprefix("fts5: ")
